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

  it('follows a step back too, and reads the wall clock once per 10 s of records, not per record', () => {
    let wall = Date.parse('2026-11-26T05:00:00.000Z');
    let mono = 1_000e9;
    let reads = 0;
    const iso = wallClock(() => (reads++, wall), () => mono);
    for (let i = 0; i < 5_000; i++) iso(1_000e9 + i * 1e6); // 5 s of records, one a millisecond
    expect(reads).toBe(1);
    expect(iso(1_004.9e9)).toBe('2026-11-26T05:00:04.900Z');
    // The wall clock steps back 3 s.
    wall += 10_500 - 3_000;
    mono += 10_500e6;
    expect(iso(1_010.5e9)).toBe('2026-11-26T05:00:07.500Z');
    expect(reads).toBe(2);
    // A record from long before (a connect that timed out) is placed by the current offset.
    expect(iso(890e9)).toBe('2026-11-26T04:58:07.000Z');
  });
});
