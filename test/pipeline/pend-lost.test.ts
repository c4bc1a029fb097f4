// Through the real Tracer: starts the kernel still holds after their sockets
// left SYN_SENT are recorded while tracing runs (attribution kept, counted as
// kernel loss), once, and END's dump of them does not record them again.
// Replays the real capture pend-dumps.txt; the socket-table reads are injected.
import { describe, expect, it } from 'vitest';
import { decodeLine } from '../../agent/decode/decode-line.js';
import type { SynSentSnapshot } from '../../agent/enrich/syn-sent.js';
import type { ConnectionRecord, LostRecord, SrcRecord } from '../../agent/model/record.js';
import { PEND_LOST_NOTE, Tracer } from '../../agent/pipeline/tracer.js';
import { captureLines } from '../helpers/capture.js';

const lines = captureLines('pend-dumps.txt');
const NETNS = 4026532176;
const ends = lines.filter((l) => l.startsWith('E ')).map((l) => Number(l.slice(2)));

/**
 * Replays the capture; `stillSynSent` is how many SYN_SENT sockets each read
 * finds for ports 81 and 82. Port 80's socket is in SYN_SENT for the reads
 * before it was closed (after dumps 2 and 3), as it was.
 */
async function replay(stillSynSent: number) {
  const records: SrcRecord[] = [];
  let reads = 0;
  const synSentSnapshot = (_atNs: number, only?: ReadonlySet<number>): SynSentSnapshot => {
    reads++;
    // The watch asks about its attempts' namespace alone; the exit check about every one.
    if (only) expect([...only]).toEqual([NETNS]);
    else expect(reads).toBeGreaterThanOrEqual(2);
    const table = new Map<string, number>();
    table.set('4 0.0.0.0 198.51.100.9 80', reads <= 2 ? 1 : 0);
    for (const port of [81, 82]) table.set(`4 0.0.0.0 198.51.100.9 ${port}`, stillSynSent);
    // The n-th read is taken just after the dump that asked for it (dump n + 1).
    return { atNs: (ends[reads] ?? Number.MAX_SAFE_INTEGER) + 1, tables: new Map([[NETNS, table]]) };
  };
  const tracer = new Tracer({
    backend: 'tracepoint', bpftrace: '/nonexistent/bpftrace', filter: { pids: [], comms: [] }, program: 'unused',
    sinks: [{ write: (r) => void records.push(r), close: async () => {} }], synSentSnapshot,
  });
  const recordsAt: number[] = [];
  for (const line of lines) {
    tracer.onLine(line);
    recordsAt.push(records.length);
  }
  const summary = await tracer.stop('test over');
  const connections = records.filter((r): r is ConnectionRecord => r.type === 'connection');
  const lost = records.filter((r): r is LostRecord => r.type === 'lost');
  return { connections, lost, summary, recordsAt, reads };
}

describe('outcomes missed in the kernel, found while tracing', () => {
  it('records the two starts left in @pend once their sockets were out of SYN_SENT', async () => {
    const { connections, lost, summary, recordsAt } = await replay(0);
    const byPort = new Map(connections.map((c) => [c.dport, c]));
    expect(connections).toHaveLength(3);
    for (const port of [81, 82]) {
      expect(byPort.get(port)).toMatchObject({ pid: 16445, tid: 16445, comm: 'python3', netns: NETNS, saddr: '0.0.0.0', daddr: '198.51.100.9', outcome: 'error', error: PEND_LOST_NOTE });
    }
    // The connect closed while pending (its C line) is an ordinary record.
    expect(byPort.get(80)).toMatchObject({ outcome: 'error', error: 'closed before any reply', sport: 58712 });
    expect(lost.filter((l) => l.where === 'kernel').map((l) => l.count)).toEqual([2]);
    expect(summary.lostKernel).toBe(2);
    expect(summary.pendingAtExit).toBe(0); // END's dump of them was skipped
    // Found while tracing: read out of SYN_SENT after dump 2, still in dump 3, recorded at its E.
    const thirdE = lines.findIndex((l) => l === `E ${ends[2]}`);
    expect(recordsAt[thirdE - 1]).toBe(0);
    expect(recordsAt[thirdE]).toBe(3); // two connections and the loss record
  });

  it('records nothing as lost while the kernel says the sockets still connect', async () => {
    const { connections, lost, summary, reads } = await replay(1);
    expect(reads).toBeGreaterThanOrEqual(5);
    expect(lost).toEqual([]);
    expect(summary.lostKernel).toBe(0);
    expect(summary.pendingAtExit).toBe(2);
    expect(connections.filter((c) => c.dport !== 80).map((c) => c.error)).toEqual(['no outcome seen before tracing stopped', 'no outcome seen before tracing stopped']);
  });

  it('the capture decodes as dumps between D and E markers and END\'s after Z', () => {
    const kinds = lines.map(decodeLine).map((e) => (e.kind === 'pend-dump' ? e.edge : e.kind));
    expect(kinds.filter((k) => k === 'begin')).toHaveLength(6);
    expect(kinds.filter((k) => k === 'end')).toHaveLength(6);
    expect(kinds.filter((k) => k === 'exit')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'malformed')).toEqual([]);
  });
});
