// Fork lines (--children) are audited like connection lines: process-fork.bt
// counts the K lines it prints (@forks) and the tracer reports any that never
// arrived, apart from lost connections (a fork is no connection, but a lost
// one can leave a process below a --pid out of the trace). Driven through the
// tracer's line input, as bpftrace's output reaches it.
import { describe, expect, it } from 'vitest';
import type { LostRecord, SrcRecord } from '../../agent/model/record.js';
import { FORK_LINES_LOST, isForkLine, LineAudit } from '../../agent/pipeline/line-audit.js';
import { Tracer } from '../../agent/pipeline/tracer.js';
import { decodeLine } from '../../agent/decode/decode-line.js';

const K = (child: number) => `K ${1000 + child} 100 ${child}`;

describe('fork lines in the loss audit', () => {
  it('decodes @forks, and only K lines count against it', () => {
    expect(decodeLine('@forks: 12')).toEqual({ kind: 'fork-count', count: 12 });
    expect(decodeLine('@forks: x')).toMatchObject({ kind: 'malformed' });
    expect(['K 1 2 3', 'C 1', 'K', 'KX 1', '@forks: 3'].map(isForkLine)).toEqual([true, false, false, false, false]);
    const a = new LineAudit(isForkLine);
    a.onLine(K(1));
    a.onLine('C 1 ffff');
    a.onKernelCount(2);
    expect(a.final(false).missing).toBe(1);
  });

  it('reports K lines that never arrived as lost forks, not lost connections; bpftrace\'s own loss notice is not counted twice', () => {
    const records: SrcRecord[] = [];
    const tracer = new Tracer({ backend: 'tracepoint', bpftrace: '/bin/false', filter: { pids: [100], comms: [], children: true }, sinks: [{ write: (r) => records.push(r), close: async () => {} }] });
    const lost = () => records.filter((r): r is LostRecord => r.type === 'lost');
    for (let i = 1; i <= 5; i++) tracer.onLine(K(i));
    // Three snapshots of both counts: connection lines all arrived (none printed), fork lines 5 of 8.
    for (const n of [5, 8, 8]) {
      tracer.onLine(`@forks: ${n}`);
      tracer.onLine('@lines: 0');
    }
    expect(lost()).toEqual([]); // 5 judged against 5 read; 8 not judged yet (lines may trail a snapshot)
    tracer.onLine('@forks: 8');
    expect(lost().map((r) => [r.count, r.where])).toEqual([[3, 'kernel']]);
    expect(lost()[0]!.detail.startsWith(FORK_LINES_LOST)).toBe(true);
    expect(tracer.summary).toMatchObject({ lostForks: 3, lostKernel: 0, lostAgent: 0 });
    // A loss bpftrace reported itself (which lines, it does not say) is not counted again as forks.
    tracer.onLine('Lost 2 events');
    for (const n of [10, 10, 10]) tracer.onLine(`@forks: ${n}`);
    expect(tracer.summary).toMatchObject({ lostForks: 3, lostKernel: 2 });
  });
});
