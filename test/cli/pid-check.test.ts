import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { pidWarnings } from '../../agent/cli/pid-check.js';

describe('--pid checked against running processes', () => {
  it('says nothing for a running process', () => {
    expect(pidWarnings([process.pid, 1])).toEqual([]);
  });

  it('warns for a pid no process has', () => {
    // pid_max is at most 4194304; the top of the range is practically never in use.
    const free = 4_194_303;
    expect(pidWarnings([free])).toEqual([
      `srctrace: warning: no process ${free} is running; nothing will match --pid ${free} unless a new process gets that pid`,
    ]);
  });

  it('names the process of a thread id, which matches that thread only', () => {
    // Node always runs helper threads (V8 platform, libuv): one of ours.
    const tid = readdirSync('/proc/self/task').map(Number).find((t) => t !== process.pid)!;
    expect(tid).toBeGreaterThan(0);
    expect(pidWarnings([tid])).toEqual([
      `srctrace: note: ${tid} is a thread of process ${process.pid}: only that thread's connections match (--pid ${process.pid} for the whole process)`,
    ]);
  });
});
