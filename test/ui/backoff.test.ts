import { describe, expect, it } from 'vitest';
import { backoffMs } from '../../ui/src/net/backoff.js';
import { statusLabel } from '../../ui/src/net/status.js';

describe('reconnect back-off', () => {
  it('doubles per attempt, jitters between half and all, and is capped', () => {
    expect([0, 1, 2, 3].map((a) => backoffMs(a, 0, 500, 15_000))).toEqual([250, 500, 1000, 2000]);
    expect([0, 1, 2, 3].map((a) => backoffMs(a, 0.999999, 500, 15_000))).toEqual([500, 1000, 2000, 4000]);
    expect(backoffMs(5, 0.5, 500, 15_000)).toBe(11_250);
    expect([6, 10, 50, 10_000].map((a) => backoffMs(a, 1, 500, 15_000))).toEqual([15_000, 15_000, 15_000, 15_000]);
    expect(backoffMs(50, 0, 500, 15_000)).toBe(7500);
  });

  it('says what the link is doing', () => {
    expect(statusLabel({ state: 'connecting' }, 0)).toBe('connecting…');
    expect(statusLabel({ state: 'live', agentVersion: '1', backend: 'kprobe', startedAt: 'x' }, 0)).toBe('live');
    expect(statusLabel({ state: 'reconnecting', attempt: 3, retryAt: 4_200, reason: 'closed (1006)' }, 1_000)).toBe('reconnecting in 4s (attempt 3)');
    expect(statusLabel({ state: 'stopped', reason: 'SIGTERM' }, 0)).toBe('agent stopped: SIGTERM');
  });
});
