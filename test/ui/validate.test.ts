import { describe, expect, it } from 'vitest';
import { parseServerMessage, validateRecord } from '../../ui/src/model/validate.js';
import { record } from './fixtures.js';

const msg = (m: Record<string, unknown>): string => JSON.stringify({ v: 1, ...m });

describe('server message validation', () => {
  it('accepts each known kind', () => {
    const hello = { v: 1, kind: 'hello', agentVersion: '0.1.0', backend: 'tracepoint', backlog: 3, startedAt: '2025-03-01T12:00:00.000Z' };
    expect(parseServerMessage(JSON.stringify(hello))).toEqual({ status: 'ok', message: hello, unknownRecords: 0, malformedRecords: 0 });
    for (const m of [
      { v: 1, kind: 'gap', dropped: 5, totalDropped: 12 },
      { v: 1, kind: 'stats', connections: 10, lostKernel: 1, lostAgent: 0, clients: 2 },
      { v: 1, kind: 'bye', reason: 'SIGTERM' },
    ]) {
      expect(parseServerMessage(JSON.stringify(m))).toEqual({ status: 'ok', message: m, unknownRecords: 0, malformedRecords: 0 });
    }
  });

  it('keeps valid records, counts unknown and malformed ones', () => {
    const good = record();
    const lost = { type: 'lost', ts: '2025-03-01T12:00:00.000Z', count: 3, where: 'kernel', detail: 'perf buffer full' };
    const status = { type: 'status', ts: '2025-03-01T12:00:00.000Z', state: 'started', backend: 'kprobe', detail: '' };
    const text = msg({
      kind: 'records', backlog: false,
      records: [good, { type: 'dns', ts: 'x' }, { ...good, pid: -1 }, lost, 'nope', status, { ...good, outcome: 'maybe' }],
    });
    expect(parseServerMessage(text)).toEqual({
      status: 'ok',
      message: { v: 1, kind: 'records', backlog: false, records: [good, lost, status] },
      unknownRecords: 1,
      malformedRecords: 3,
    });
  });

  it('keeps unknown fields on a connection record', () => {
    const withExtra = { ...record(), cgroup: '/system.slice/nginx.service', mark: 7 };
    const r = parseServerMessage(msg({ kind: 'records', backlog: true, records: [withExtra] }));
    expect(r).toEqual({ status: 'ok', message: { v: 1, kind: 'records', backlog: true, records: [withExtra] }, unknownRecords: 0, malformedRecords: 0 });
  });

  it('reports unknown kinds separately from malformed frames', () => {
    expect(parseServerMessage(msg({ kind: 'flows', items: [] }))).toEqual({ status: 'unknown-kind', kind: 'flows' });
    const malformed = [
      ['{not json', 'not JSON'],
      ['[1,2]', 'not an object'],
      ['null', 'not an object'],
      [JSON.stringify({ kind: 'bye', reason: 'x' }), 'protocol version undefined'],
      [JSON.stringify({ v: 2, kind: 'bye', reason: 'x' }), 'protocol version 2'],
      [msg({ reason: 'x' }), 'no kind'],
      [msg({ kind: 'gap', dropped: '5', totalDropped: 5 }), 'bad gap fields'],
      [msg({ kind: 'records', records: {}, backlog: false }), 'bad records fields'],
      [msg({ kind: 'hello', agentVersion: '1', backend: null, backlog: 0, startedAt: 'yesterday' }), 'bad hello fields'],
    ] as const;
    for (const [text, reason] of malformed) expect(parseServerMessage(text), text).toEqual({ status: 'malformed', reason });
    expect(parseServerMessage(new ArrayBuffer(4))).toEqual({ status: 'malformed', reason: 'not a text frame' });
  });

  it('checks every contract field of a connection record', () => {
    expect(validateRecord(record())).toEqual({ status: 'ok', record: record() });
    const bad: Record<string, unknown>[] = [
      { ts: 'soon' }, { pid: 1.5 }, { comm: 5 }, { cmdline: undefined }, { proto: 'udp' }, { family: 5 }, { saddr: 7 },
      { sport: 70000 }, { daddr: null }, { dport: -1 }, { errno: '111' }, { latencyMs: -2 }, { sourceReason: 'magic' }, { stateRaw: 'x' },
    ];
    for (const over of bad) expect(validateRecord({ ...record(), ...over }), JSON.stringify(over)).toEqual({ status: 'malformed' });
    const { commHex: _omit, ...missing } = record();
    expect(validateRecord(missing)).toEqual({ status: 'malformed' });
    expect(validateRecord({ type: 'toString' })).toEqual({ status: 'unknown-type' });
  });
});
