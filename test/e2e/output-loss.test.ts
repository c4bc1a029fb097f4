// Output the kernel drops between the probes and bpftrace must be reported,
// never silent. A connect() that fails before any packet (no route) reaches
// the agent only as a printed F line. Its loss shows in bpftrace's "Lost N
// events" notice (stdout in 0.17 and 0.23, stderr in 0.27, which printed it
// only now and then) and in the probes' own line count (@lines counts F
// lines since 0.27 lost a burst of them without a word). Forced here with the smallest output buffer
// (BPFTRACE_PERF_RB_PAGES=1) and a burst of unroutable connects: every
// attempt must be a record or counted in the loss srctrace reports.
import { describe, expect, it } from 'vitest';
import type { ConnectionRecord, LostRecord } from '../../agent/model/record.js';
import { destinationFor } from '../../agent/lab/topology.js';
import { netnsInode, runConnector } from '../helpers/connector.js';
import { isRoot, NOT_ROOT_REASON, withLab } from '../helpers/lab.js';
import { startSrctrace } from '../helpers/srctrace.js';

const N = 20_000;

describe.skipIf(!isRoot)(`output lost in the kernel${isRoot ? '' : ` (skipped: ${NOT_ROOT_REASON})`}`, () => {
  const lab = withLab();

  it(`${N} unroutable connects through a one-page output buffer: each is a record or counted as lost`, async () => {
    const t = lab.topology;
    const netns = await netnsInode(t.namespaces.host);
    const dest = destinationFor(t, 'unroutable', 4);
    const trace = await startSrctrace(['--format', 'ndjson'], { BPFTRACE_PERF_RB_PAGES: '1' });
    const attempts = await runConnector(t.namespaces.host, ['-d', dest.daddr, '-p', String(dest.dport), '-n', String(N)]);
    expect(attempts.filter((a) => a.errno === 101)).toHaveLength(N);
    // bpftrace reads what the buffer kept within moments; then the loss notice (stdout or stderr) has been read too.
    await new Promise((r) => setTimeout(r, 3000));
    const { records, stderr } = await trace.stop();

    const ours = records.filter((r): r is ConnectionRecord => r.type === 'connection' && r.netns === netns && r.daddr === dest.daddr);
    const lost = records.filter((r): r is LostRecord => r.type === 'lost' && r.where === 'kernel').reduce((n, r) => n + r.count, 0);
    const why = `records ${ours.length}, lost (kernel) ${lost}; srctrace: ${stderr.trim().split('\n').at(-1)}`;
    // The burst must overflow one page per CPU, or this test proves nothing.
    expect(ours.length, why).toBeLessThan(N);
    expect(ours.every((r) => r.outcome === 'unreachable' && r.errno === 101), why).toBe(true);
    // "Lost N events" counts every kind of line, so it may exceed the missing records; it must not fall short.
    expect(ours.length + lost, why).toBeGreaterThanOrEqual(N);
    expect(stderr, why).toMatch(new RegExp(`lost ${lost} in kernel`));
  }, 120_000);
});
