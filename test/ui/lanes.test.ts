import { describe, expect, it } from 'vitest';
import type { Conn } from '../../ui/src/model/conn.js';
import { addToLanes, buildLanes, hitTest, lowerBound, upperBound, visibleRange, type Lane } from '../../ui/src/model/lanes.js';
import { at, conn, refused } from './fixtures.js';

const summary = (lanes: Lane[]) =>
  lanes.map((l) => {
    // the typed columns must say the same as the connection lists
    expect(Array.from(l.markCols.start.subarray(0, l.markCols.n))).toEqual(l.marks.map((c) => c.start));
    expect(Array.from(l.failCols.end.subarray(0, l.failCols.n))).toEqual(l.failures.map((c) => c.end));
    return { key: l.key, label: l.label, marks: l.marks.map((c) => c.id), failures: l.failures.map((c) => c.id), maxDur: l.maxDur };
  });

describe('lanes', () => {
  const conns = [
    conn({ ts: at(1000), pid: 300, comm: 'curl', saddr: '10.0.0.5', latencyMs: 5 }, 1),
    conn({ ts: at(0), pid: 20, comm: 'ssh', saddr: '2001:db8::5', latencyMs: 40 }, 2),
    conn({ ts: at(500), pid: 300, comm: 'curl', saddr: '10.0.0.6', latencyMs: 3000, ...refused }, 3),
    conn({ ts: at(200), pid: 300, comm: 'curl', saddr: null, latencyMs: null, outcome: 'unreachable' }, 4),
    conn({ ts: at(200), pid: 20, comm: 'scp', saddr: '10.0.0.5', latencyMs: 1 }, 5),
  ];

  it('groups per process (pid + comm), sorted by pid, marks in start order', () => {
    expect(summary(buildLanes(conns, 'process').lanes)).toEqual([
      { key: '20\u0000scp', label: 'scp [20]', marks: [5], failures: [], maxDur: 1 },
      { key: '20\u0000ssh', label: 'ssh [20]', marks: [2], failures: [], maxDur: 40 },
      { key: '300\u0000curl', label: 'curl [300]', marks: [4, 3, 1], failures: [4, 3], maxDur: 3000 },
    ]);
  });

  it('groups per source address, no source last', () => {
    expect(summary(buildLanes(conns, 'source').lanes)).toEqual([
      { key: '10.0.0.5', label: '10.0.0.5', marks: [5, 1], failures: [], maxDur: 5 },
      { key: '10.0.0.6', label: '10.0.0.6', marks: [3], failures: [3], maxDur: 3000 },
      { key: '2001:db8::5', label: '2001:db8::5', marks: [2], failures: [], maxDur: 40 },
      { key: '\uffff', label: '(no source)', marks: [4], failures: [4], maxDur: 0 },
    ]);
  });

  it('groups per route (egress device and gateway), no route last', () => {
    const routed = [
      conn({ ts: at(0), dev: 'upa', gateway: '198.51.100.1' }, 1),
      conn({ ts: at(10), dev: 'upb', gateway: '203.0.113.1' }, 2),
      conn({ ts: at(20), dev: 'upa', gateway: '198.51.100.1' }, 3),
      conn({ ts: at(30), dev: 'lo', gateway: null }, 4),
      conn({ ts: at(40), dev: null, gateway: null, saddr: null, outcome: 'unreachable', latencyMs: null }, 5),
    ];
    expect(summary(buildLanes(routed, 'route').lanes).map(({ key, label, marks }) => ({ key, label, marks }))).toEqual([
      { key: 'lo\u0000', label: 'lo', marks: [4] },
      { key: 'upa\u0000198.51.100.1', label: 'upa via 198.51.100.1', marks: [1, 3] },
      { key: 'upb\u0000203.0.113.1', label: 'upb via 203.0.113.1', marks: [2] },
      { key: '\uffff', label: '(no route)', marks: [5] },
    ]);
  });

  it('groups per network namespace: named ones by name, then unnamed ones by inode', () => {
    const spread = [
      conn({ ts: at(0), netns: 4026532176, netnsName: 'srct-host' }, 1),
      conn({ ts: at(10), netns: 4026531840, netnsName: null }, 2),
      conn({ ts: at(20), netns: 4026532300, netnsName: 'blue' }, 3),
      conn({ ts: at(30), netns: 4026532176, netnsName: 'srct-host' }, 4),
      conn({ ts: at(40), netns: 999, netnsName: null }, 5),
    ];
    expect(summary(buildLanes(spread, 'netns').lanes).map(({ label, marks }) => ({ label, marks }))).toEqual([
      { label: 'blue', marks: [3] },
      { label: 'srct-host', marks: [1, 4] },
      { label: 'netns 999', marks: [5] },
      { label: 'netns 4026531840', marks: [2] },
    ]);
  });

  it('adding in batches gives the same index as building at once', () => {
    const index = buildLanes(conns.slice(0, 2), 'process');
    expect(addToLanes(index, conns.slice(2, 3))).toBe(false); // same lane as conn 1
    expect(addToLanes(index, conns.slice(3))).toBe(true); // scp is a new lane
    expect(summary(index.lanes)).toEqual(summary(buildLanes(conns, 'process').lanes));
  });
});

describe('visible window by binary search', () => {
  // 2000 marks 10 ms apart with varying durations, out of arrival order
  const marks: Conn[] = [];
  for (let i = 0; i < 2000; i++) marks.push(conn({ ts: at(((i * 7919) % 2000) * 10), latencyMs: (i % 13) * 7 }, i + 1));
  const lane = buildLanes(marks, 'process').lanes[0]!;

  it('keeps the lane sorted by start, its typed columns in step with the connections', () => {
    const starts = lane.marks.map((c) => c.start);
    expect(starts).toEqual(starts.slice().sort((a, b) => a - b));
    const cols = lane.markCols;
    expect([cols.n, Array.from(cols.start.subarray(0, cols.n)), Array.from(cols.end.subarray(0, cols.n)), Array.from(cols.rgba.subarray(0, cols.n))])
      .toEqual([2000, starts, lane.marks.map((c) => c.end), lane.marks.map((c) => c.rgba)]);
    const fails = lane.failCols;
    expect(fails.n).toBe(lane.failures.length);
  });

  it('bounds agree with a linear scan', () => {
    const t = lane.marks[700]!.start;
    expect(lowerBound(lane.markCols, t)).toBe(lane.marks.findIndex((c) => c.start >= t));
    expect(upperBound(lane.markCols, t)).toBe(lane.marks.findIndex((c) => c.start > t));
    expect(lowerBound(lane.markCols, -Infinity)).toBe(0);
    expect(upperBound(lane.markCols, Infinity)).toBe(2000);
  });

  it('contains exactly the marks that overlap the window, plus only early starters that end before it', () => {
    for (const [from, to] of [[5000, 5200], [0, 30], [19_950, 30_000], [12_345, 12_346]] as const) {
      const t0 = Date.parse(at(from));
      const t1 = Date.parse(at(to));
      const [lo, hi] = visibleRange(lane.markCols, lane.maxDur, t0, t1);
      const overlapping = lane.marks.filter((c) => c.start <= t1 && c.end >= t0).map((c) => c.id);
      const inRange = lane.marks.slice(lo, hi);
      expect(inRange.filter((c) => c.end >= t0).map((c) => c.id)).toEqual(overlapping);
      // the range is tight: nothing starts after t1, nothing starts before t0 - maxDur
      expect(inRange.every((c) => c.start <= t1 && c.start >= t0 - lane.maxDur)).toBe(true);
      expect(hi - lo).toBeLessThanOrEqual(overlapping.length + Math.ceil(lane.maxDur / 10) + 1);
    }
  });

  it('hit test finds the mark under a time, or nothing', () => {
    const c = lane.marks[1000]!;
    expect(hitTest(lane, c.start, 0.5)).toBe(c);
    const empty = buildLanes([conn({ ts: at(0), latencyMs: 1 }, 9001), conn({ ts: at(1000), latencyMs: 1 }, 9002)], 'process').lanes[0]!;
    expect(hitTest(empty, Date.parse(at(500)), 10)).toBeNull();
    expect(hitTest(empty, Date.parse(at(1005)), 10)?.id).toBe(9002);
  });

  it('hit test prefers the failure, then the later mark, where marks overlap', () => {
    const [a, b, c] = [conn({ ts: at(0), latencyMs: 100 }, 9101), conn({ ts: at(10), latencyMs: 100, ...refused }, 9102), conn({ ts: at(20), latencyMs: 100 }, 9103)];
    const l = buildLanes([a, b, c], 'process').lanes[0]!;
    expect(hitTest(l, Date.parse(at(50)), 1)).toBe(b);
    expect(hitTest(l, Date.parse(at(5)), 1)).toBe(a);
    expect(hitTest(l, Date.parse(at(115)), 1)).toBe(c);
  });
});
