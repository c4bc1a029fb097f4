import { describe, expect, it } from 'vitest';
import { wallClock } from '../../agent/correlate/to-record.js';

describe('wallClock', () => {
  it('maps kernel monotonic ns to wall time, and follows a wall-clock step after at most 10 s', () => {
    let wall = Date.parse('2026-11-26T05:00:00.000Z');
    let mono = 1_000e9; // 1000 s of uptime
    const iso = wallClock(() => wall, () => mono);
    expect(iso(999.5e9)).toBe('2026-11-26T04:59:59.500Z');
    // NTP steps the wall clock forward by 2 s; monotonic time does not jump.
    wall += 5_000 + 2_000;
    mono += 5_000e6;
    expect(iso(1_004e9)).toBe('2026-11-26T05:00:04.000Z'); // offset still the old one (5 s < 10 s)
    wall += 6_000;
    mono += 6_000e6;
    expect(iso(1_011e9)).toBe('2026-11-26T05:00:13.000Z'); // re-measured: the 2 s step is applied
  });
});
