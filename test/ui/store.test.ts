import { describe, expect, it } from 'vitest';
import { EMPTY_FILTER } from '../../ui/src/model/filter.js';
import { ConnectionStore } from '../../ui/src/model/store.js';
import { parseServerMessage } from '../../ui/src/model/validate.js';
import { ZERO_LOSS, ZERO_PROTOCOL } from '../../ui/src/model/counters.js';
import { at, record, refused } from './fixtures.js';

const sync = { schedule: (fn: () => void) => fn() };
const frame = (m: Record<string, unknown>): string => JSON.stringify({ v: 1, ...m });
const hello = (startedAt: string, backlog: number) => frame({ kind: 'hello', agentVersion: '0.1.0', backend: 'tracepoint', backlog, startedAt });
const batch = (records: unknown[], backlog: boolean) => frame({ kind: 'records', records, backlog });

describe('ConnectionStore', () => {
  it('feeds view, lanes, sources and counters from batches, incrementally', () => {
    const store = new ConnectionStore(sync);
    store.setFilter({ ...EMPTY_FILTER, outcome: 'established' });
    store.receive(parseServerMessage(batch([
      record({ ts: at(0), pid: 1, saddr: '10.0.0.1' }),
      record({ ts: at(5), pid: 2, saddr: '10.0.0.2', ...refused }),
      { type: 'lost', ts: at(6), count: 4, where: 'kernel', detail: 'perf' },
      { type: 'future-kind' },
    ], true)));
    store.receive(parseServerMessage(batch([record({ ts: at(9), pid: 1, saddr: '10.0.0.3' })], false)));
    store.receive(parseServerMessage(frame({ kind: 'gap', dropped: 10, totalDropped: 10 })));
    store.receive(parseServerMessage(frame({ kind: 'gap', dropped: 5, totalDropped: 15 })));
    store.receive(parseServerMessage(frame({ kind: 'stats', connections: 99, lostKernel: 2, lostAgent: 1, clients: 1 })));
    store.receive(parseServerMessage(frame({ kind: 'mystery' })));
    store.receive(parseServerMessage('garbage'));

    expect(store.all.map((c) => c.rec.pid)).toEqual([1, 2, 1]);
    expect(store.view.map((c) => c.id)).toEqual([1, 3]);
    expect(store.lanes.lanes.map((l) => [l.label, l.marks.map((c) => c.id)])).toEqual([['curl [1]', [1, 3]]]);
    expect(store.sources).toEqual(new Map([['10.0.0.1', 1], ['10.0.0.3', 1]]));
    expect(store.extent).toEqual({ min: Date.parse(at(0)), max: Date.parse(at(9)) + 12.5 });
    expect(store.loss).toEqual({ ...ZERO_LOSS, lostKernelRecords: 4, statsLostKernel: 2, statsLostAgent: 1, droppedHere: 15 });
    expect(store.protocol).toEqual({ ...ZERO_PROTOCOL, unknownKinds: 1, unknownRecords: 1, malformedMessages: 1 });
    expect(store.agentStats).toEqual({ connections: 99, clients: 1 });

    // a filter change rebuilds everything from what is held
    const gen = store.generation;
    store.setFilter(EMPTY_FILTER);
    expect(store.generation).toBe(gen + 1);
    expect(store.view.map((c) => c.id)).toEqual([1, 2, 3]);
    expect(store.sources.size).toBe(3);
    store.setLaneMode('source');
    expect(store.lanes.lanes.map((l) => l.key)).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3']);
  });

  it('caps memory by evicting the oldest in chunks and counts them', () => {
    const store = new ConnectionStore({ ...sync, cap: 10, evictChunk: 4 });
    store.addRecords(Array.from({ length: 10 }, (_, i) => record({ ts: at(i), pid: i })), true);
    expect([store.all.length, store.loss.evicted]).toEqual([10, 0]);
    store.addRecords([record({ ts: at(10), pid: 10 })], false);
    expect(store.all.map((c) => c.rec.pid)).toEqual([5, 6, 7, 8, 9, 10]);
    expect(store.view.map((c) => c.rec.pid)).toEqual([5, 6, 7, 8, 9, 10]);
    expect(store.lanes.lanes.map((l) => l.label)).toEqual([5, 6, 7, 8, 9, 10].map((p) => `curl [${p}]`));
    expect(store.loss.evicted).toBe(5);
  });

  it('skips the replayed backlog after reconnecting to the same agent run, not a new one', () => {
    const store = new ConnectionStore(sync);
    const a = record({ ts: at(0), pid: 1 });
    const b = record({ ts: at(1), pid: 2 });
    const lost = { type: 'lost', ts: at(1), count: 3, where: 'kernel', detail: 'perf' };
    store.receive(parseServerMessage(hello('2025-03-01T11:00:00.000Z', 2)));
    store.receive(parseServerMessage(batch([a, lost, b], true)));
    // reconnect: same run replays its backlog plus one new record
    store.receive(parseServerMessage(hello('2025-03-01T11:00:00.000Z', 3)));
    store.receive(parseServerMessage(batch([a, lost, b, record({ ts: at(2), pid: 3 })], true)));
    store.receive(parseServerMessage(batch([a], false))); // live again: an identical record is a new connection
    expect(store.all.map((c) => c.rec.pid)).toEqual([1, 2, 3, 1]);
    expect(store.loss.lostKernelRecords).toBe(3);
    // a restarted agent is a new run: nothing is skipped
    store.receive(parseServerMessage(hello('2025-03-01T13:00:00.000Z', 1)));
    store.receive(parseServerMessage(batch([b], true)));
    expect(store.all.map((c) => c.rec.pid)).toEqual([1, 2, 3, 1, 2]);
  });

  it('notifies listeners once per burst of data, immediately for interactions', () => {
    const pending: (() => void)[] = [];
    const store = new ConnectionStore({ schedule: (fn) => pending.push(fn) });
    let calls = 0;
    store.subscribe(() => calls++);
    store.addRecords([record()], false);
    store.addRecords([record()], false);
    expect(pending.length).toBe(1);
    pending.shift()!();
    expect(calls).toBe(1);
    store.select(store.all[0]!);
    expect(pending.length).toBe(1);
    pending.shift()!();
    expect([calls, store.selected]).toEqual([2, store.all[0]]);
  });
});
