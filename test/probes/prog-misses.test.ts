// Probe runs the kernel skipped (BPF recursion protection) reach the stream as
// kernel loss: the kernel's counter is read from a real bpftrace, and the
// tracer reports each increase once, including the last one at stop.
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import type { SrcRecord } from '../../agent/model/record.js';
import { Tracer } from '../../agent/pipeline/tracer.js';
import { bpftracePath } from '../../agent/probes/preflight.js';
import { progCounters, recursionMisses } from '../../agent/probes/prog-misses.js';
import { join } from 'node:path';

const isRoot = process.getuid?.() === 0;
const FAKE = join(import.meta.dirname, '..', 'fixtures', 'fake-bpftrace.sh');

describe.skipIf(!isRoot)('the kernel\'s count of skipped probe runs', () => {
  it('is read from a real bpftrace\'s program fds (0 here), and is null for a process without BPF programs', async () => {
    const bt = execa(bpftracePath(), ['-e', 'tracepoint:syscalls:sys_enter_getppid { @n = count(); } tracepoint:syscalls:sys_enter_getpgid { @g = count(); } BEGIN { printf("ready\\n"); }'], { reject: false, buffer: false });
    try {
      await new Promise<void>((resolve, reject) => {
        bt.stdout!.on('data', (c: Buffer) => c.toString().includes('ready') && resolve());
        void bt.then(() => reject(new Error('bpftrace exited before it was ready')));
      });
      expect(recursionMisses(bt.pid!)).toBe(0);
      // One reader for the agent and the benchmark: every program bpftrace loaded, each with its own id.
      const progs = progCounters(bt.pid!)!;
      expect(progs.length).toBeGreaterThanOrEqual(2); // the two probes
      expect(new Set(progs.map((p) => p.id)).size).toBe(progs.length);
      expect(progs.every((p) => p.id > 0 && p.recursionMisses === 0)).toBe(true);
      expect(recursionMisses(process.pid)).toBeNull();
      expect(recursionMisses(2 ** 22 + 7)).toBeNull(); // no such pid
    } finally {
      bt.kill('SIGINT');
      await bt;
    }
  });
});

describe('skipped probe runs in the stream', () => {
  it('each increase is one "lost" record (kernel, possible loss), summed apart in the summary; the last is read at stop', async () => {
    const records: SrcRecord[] = [];
    let misses = 0;
    const tracer = new Tracer({
      backend: 'tracepoint', bpftrace: FAKE, filter: { pids: [], comms: [] }, program: 'fake program',
      sinks: [{ write: (r) => records.push(r), close: async () => {} }],
      recursionMisses: () => misses,
    });
    await tracer.start();
    const lost = () => records.filter((r): r is Extract<SrcRecord, { type: 'lost' }> => r.type === 'lost');
    misses = 3;
    const deadline = Date.now() + 5000;
    while (lost().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(lost().map((r) => [r.count, r.where])).toEqual([[3, 'kernel']]);
    expect(lost()[0]!.detail).toMatch(/^the kernel skipped probe runs .*possible loss/);
    misses = 5; // read by stop() before bpftrace goes
    const summary = await tracer.stop('test over');
    expect(lost().map((r) => r.count)).toEqual([3, 2]);
    expect(summary.skippedRuns).toBe(5);
    expect(summary.lostKernel).toBe(0); // possible loss is kept apart from certain loss
  });
});
