import { describe, expect, it } from 'vitest';
import {
  addLost, addRate, addSources, counterItems, createRate, lostInKernel, ratePerSecond, updateClockOffset, ZERO_LOSS, ZERO_PROTOCOL,
} from '../../ui/src/model/counters.js';

describe('connection rate', () => {
  it('averages complete seconds in the window and ignores the current one', () => {
    const b = createRate(60);
    const base = 1_000_000_000;
    for (let s = 0; s < 10; s++) for (let i = 0; i < 3; i++) addRate(b, base + s * 1000 + i);
    for (let i = 0; i < 50; i++) addRate(b, base + 10_000 + i); // the current, incomplete second
    expect(ratePerSecond(b, base + 10_500, 10)).toBe(3);
    expect(ratePerSecond(b, base + 15_500, 10)).toBe(5 * 3 / 10 + 50 / 10);
    expect(ratePerSecond(b, base + 100_000, 10)).toBe(0);
  });

  it('ignores records older than the horizon instead of corrupting a bucket', () => {
    const b = createRate(10);
    addRate(b, 100_000);
    addRate(b, 80_000); // 20 s older: outside the 10 s horizon, same slot
    expect(ratePerSecond(b, 101_000, 5)).toBe(1 / 5);
  });
});

describe('loss counters', () => {
  it('adds lost records by where, and takes the larger of records and stats', () => {
    let c = addLost(ZERO_LOSS, { type: 'lost', ts: '2025-03-01T12:00:00.000Z', count: 7, where: 'kernel', detail: 'perf buffer' });
    c = addLost(c, { type: 'lost', ts: '2025-03-01T12:00:01.000Z', count: 2, where: 'agent', detail: 'bad line' });
    c = addLost(c, { type: 'lost', ts: '2025-03-01T12:00:02.000Z', count: 5, where: 'kernel', detail: 'perf buffer' });
    expect(c).toEqual({ ...ZERO_LOSS, lostKernelRecords: 12, lostAgentRecords: 2 });
    expect(lostInKernel(c)).toBe(12);
    expect(lostInKernel({ ...c, statsLostKernel: 40 })).toBe(40);
  });

  it('counts distinct sources; no source is not one', () => {
    const m = new Map<string, number>();
    addSources(m, ['10.0.0.1', null, '10.0.0.1', '::1', null]);
    expect(m).toEqual(new Map([['10.0.0.1', 2], ['::1', 1]]));
  });

  it('lists every counter, highlighting non-zero losses', () => {
    const rate = createRate();
    for (let i = 0; i < 20; i++) addRate(rate, 50_000 + i * 50);
    const items = counterItems({
      rate, now: 60_500, sources: 3, inView: 10, loaded: 25,
      loss: { ...ZERO_LOSS, lostKernelRecords: 4, droppedHere: 9 },
      protocol: { ...ZERO_PROTOCOL, unknownKinds: 1, malformedRecords: 2 },
    });
    expect(items.map(({ title: _t, ...rest }) => rest)).toEqual([
      { id: 'rate', label: 'conn/s', value: 2, alert: false },
      { id: 'sources', label: 'sources', value: 3, alert: false },
      { id: 'in-view', label: 'of 25 in view', value: 10, alert: false },
      { id: 'lost-kernel', label: 'lost in kernel', value: 4, alert: true },
      { id: 'lost-agent', label: 'lost in agent', value: 0, alert: false },
      { id: 'dropped', label: 'dropped here', value: 9, alert: true },
      { id: 'evicted', label: 'evicted (memory cap)', value: 0, alert: false },
      { id: 'protocol', label: 'bad messages', value: 3, alert: true },
    ]);
  });
});

describe('clock offset', () => {
  it('follows an agent that is ahead or far behind, ignores ordinary delay', () => {
    expect(updateClockOffset(0, 9_990, 10_000)).toBe(0); // 10 ms pipeline delay
    expect(updateClockOffset(0, 12_000, 10_000)).toBe(2_000); // agent 2 s ahead
    expect(updateClockOffset(0, 10_000 - 300_000, 10_000)).toBe(-300_000); // agent 5 min behind
    expect(updateClockOffset(-300_000, 10_000 - 300_010, 10_000)).toBe(-300_000);
  });
});
