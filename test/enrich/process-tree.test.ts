// Which processes are below a --pid: the record's own parent, then
// /proc/PID/stat further up (injected here; procPpid reads a real one).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Descendants, procPpid } from '../../agent/enrich/process-tree.js';

function tree(parents: Record<number, number>) {
  const asked: number[] = [];
  let now = 0;
  const d = new Descendants([100], (p) => (asked.push(p), parents[p] ?? null), () => now);
  return { d, asked, later: (ms: number) => { now += ms; } };
}

describe('descendants of a --pid', () => {
  it('a child by its record\'s ppid alone (even once it has exited); a grandchild through /proc; strangers not', () => {
    const { d, asked } = tree({ 101: 100, 200: 1 });
    expect(d.has(100, 1)).toBe(true); // the root itself
    expect(d.has(150, 100)).toBe(true); // ppid is the root: nothing read
    expect(asked).toEqual([]);
    expect(d.has(102, 101)).toBe(true); // 101's parent read: the root
    expect(asked).toEqual([101]);
    expect(d.has(201, 200)).toBe(false);
    expect(d.has(300, 299)).toBe(false); // 299 has exited: the chain ends
  });

  it('answers from memory for 2 s (a storm costs one walk), then walks again (the pid may be another process now)', () => {
    const parents: Record<number, number> = { 101: 100, 500: 1 };
    const { d, asked, later } = tree(parents);
    for (let i = 0; i < 1000; i++) expect(d.has(102, 101)).toBe(true);
    expect(asked).toEqual([101]);
    expect(d.has(103, 101)).toBe(true); // 101 is known now: no read
    expect(asked).toEqual([101]);
    parents[101] = 500; // 101 exited and came back as another process's child
    later(2100);
    expect(d.has(102, 101)).toBe(false);
    expect(asked).toEqual([101, 101, 500]);
  });

  it('follows the forks seen while tracing, which outlive the processes; a pid forked again is asked about again', () => {
    const { d, asked } = tree({});
    d.onFork(100, 101); // the root forks a subshell, which forks the command, and exits
    d.onFork(101, 102);
    expect(d.has(102, 101)).toBe(true);
    expect(asked).toEqual([]); // no /proc read: the forks told
    expect(d.has(300, 299)).toBe(false); // 299: not seen, not in /proc
    d.onFork(101, 300); // pid 300 comes back, below the root
    expect(d.has(300, 101)).toBe(true);
  });

  it('keeps a snapshot of every parent from when tracing began: a process forked before it may be gone by its child\'s record', () => {
    const proc = mkdtempSync(join(tmpdir(), 'srctrace-proc-'));
    try {
      for (const p of ['1', '100', '101', '500', 'self', 'net']) mkdirSync(join(proc, p));
      const parents = new Map([[1, 0], [100, 1], [101, 100], [500, 1]]);
      let asked = 0;
      const d = new Descendants([100], (p) => (asked++, parents.get(p) ?? null));
      d.onFork(1, 500); // seen since: stands over the snapshot
      d.snapshot(proc);
      expect(asked).toBe(3); // 1, 100 and 101: not 500, nor the non-pid entries
      parents.clear(); // the subshell 101 exits after forking 102
      expect(d.has(102, 101)).toBe(true);
      expect(d.has(501, 500)).toBe(false);
      d.snapshot(join(proc, 'missing')); // no /proc: nothing, no throw
    } finally {
      rmSync(proc, { recursive: true, force: true });
    }
  });

  it('stops at init, which is no one\'s descendant unless it is the --pid, and at a loop of reused pids', () => {
    expect(new Descendants([1], () => null).has(5, 1)).toBe(true);
    let reads = 0;
    const loop = new Descendants([100], (p) => (reads++, p === 7 ? 8 : 7));
    expect(loop.has(6, 7)).toBe(false);
    expect(reads).toBeLessThanOrEqual(64);
  });

  it('reads the parent from /proc/PID/stat, whatever the task name holds', () => {
    const proc = mkdtempSync(join(tmpdir(), 'srctrace-proc-'));
    try {
      mkdirSync(join(proc, '42'));
      writeFileSync(join(proc, '42', 'stat'), '42 (a) b) (c 1) S 4242 42 42 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 5 0 0\n');
      expect(procPpid(42, proc)).toBe(4242);
      expect(procPpid(43, proc)).toBeNull();
      expect(procPpid(process.pid)).toBe(process.ppid); // the real /proc
    } finally {
      rmSync(proc, { recursive: true, force: true });
    }
  });
});
