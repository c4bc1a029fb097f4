// bpftrace's own stderr: the lines that must not stand as the reason it
// exited (a restart message read "SIGKILL: Attached 7 probes" under 0.27),
// and those that must (real errors), as the releases print them.
import { describe, expect, it } from 'vitest';
import { isNoise, LOST_EVENTS } from '../../agent/probes/bpftrace-text.js';

describe("bpftrace's own text", () => {
  it('tells noise from errors', () => {
    for (const noise of [
      'Attached 7 probes',
      'WARNING: Total lost event count: 5382',
      "WARNING: couldn't set RLIMIT_MEMLOCK",
      'ERROR: Could not read functions from /sys/kernel/tracing/available_filter_functions: Operation not permitted',
      '      ~~~~~~~~~~~',
      '   ',
    ]) expect(isNoise(noise), noise).toBe(true);
    for (const error of [
      'ERROR: Could not resolve symbol: /proc/self/exe:BEGIN_trigger',
      'stdin:36:3-14: ERROR: Struct/union of type \'struct sock\' does not contain a field named \'sk_userlocks_nope\'',
      'ERROR: Attaching probes failed',
      'Attached 7 probes and then crashed',
    ]) expect(isNoise(error), error).toBe(false);
  });

  it("reads bpftrace's loss notice, and nothing like it", () => {
    expect(LOST_EVENTS.exec('Lost 5382 events')?.[1]).toBe('5382');
    expect(LOST_EVENTS.test('C 1 2 Lost 3 events')).toBe(false);
    expect(LOST_EVENTS.test('Lost many events')).toBe(false);
  });
});
