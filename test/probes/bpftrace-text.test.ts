// bpftrace's own stderr: the lines that must not stand as the reason it
// exited (a restart message read "SIGKILL: Attached 7 probes" under 0.27),
// and those that must (real errors), as the releases print them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isNoise, LOST_EVENTS, stderrNoise } from '../../agent/probes/bpftrace-text.js';

const STDERR = join(import.meta.dirname, '..', 'fixtures', 'bpftrace-stderr');

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

  it('drops a placed compile warning with the source line it quotes (0.14, which has no --no-warnings), and no error', () => {
    // Real: what bpftrace 0.14 printed for the 0.14 program on this VM.
    const lines = readFileSync(join(STDERR, 'ubuntu-22.04-0.14-warning.txt'), 'utf8').split('\n');
    expect(lines.some((l) => /^\s+\$f = \(struct file \*\)/.test(l))).toBe(true);
    const noise = stderrNoise();
    expect(lines.filter((l) => !noise(l))).toEqual([]);
    const error = "stdin:36:3-14: ERROR: Struct/union of type 'struct sock' does not contain a field named 'nope'";
    const quoted = '  $sk->nope';
    const after = [error, quoted, '  ~~~~~~~~~', 'ERROR: Attaching probes failed'];
    expect(after.filter((l) => !noise(l))).toEqual([error, quoted, 'ERROR: Attaching probes failed']);
    // The plain check alone keeps the quoted source line: it is why the stream filter exists.
    expect(lines.filter((l) => !isNoise(l))).toHaveLength(1);
  });

  it("reads bpftrace's loss notice, and nothing like it", () => {
    expect(LOST_EVENTS.exec('Lost 5382 events')?.[1]).toBe('5382');
    expect(LOST_EVENTS.test('C 1 2 Lost 3 events')).toBe(false);
    expect(LOST_EVENTS.test('Lost many events')).toBe(false);
  });
});
