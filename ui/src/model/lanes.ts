// Timeline rows: connections grouped per process, source address, route or
// network namespace, each
// lane kept sorted by start time so the visible window is two binary searches.
import { routeLabel } from '../../../agent/model/format.js';
import type { Conn } from './conn.js';
import type { LaneMode } from './filter.js';

/**
 * A lane's marks as parallel typed arrays, in the same order as its Conn list:
 * drawing reads these sequentially instead of chasing one object per mark.
 */
export interface Columns {
  n: number;
  start: Float64Array;
  end: Float64Array;
  /** packed colour, as the rasteriser writes it */
  rgba: Uint32Array;
}

export interface Lane {
  key: string;
  label: string;
  /** sorted by start, then id */
  marks: Conn[];
  /** the failed subset of marks, same order: drawn on top so they never hide */
  failures: Conn[];
  markCols: Columns;
  failCols: Columns;
  /** longest end - start in this lane: how far left of the window a visible mark can start */
  maxDur: number;
}

function emptyColumns(capacity = 16): Columns {
  return { n: 0, start: new Float64Array(capacity), end: new Float64Array(capacity), rgba: new Uint32Array(capacity) };
}

function insertColumn(cols: Columns, at: number, c: Conn): void {
  if (cols.n === cols.start.length) {
    const cap = cols.start.length * 2;
    const grow = <T extends Float64Array | Uint32Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap);
      b.set(a);
      return b;
    };
    cols.start = grow(cols.start, (n) => new Float64Array(n));
    cols.end = grow(cols.end, (n) => new Float64Array(n));
    cols.rgba = grow(cols.rgba, (n) => new Uint32Array(n));
  }
  if (at < cols.n) {
    cols.start.copyWithin(at + 1, at, cols.n);
    cols.end.copyWithin(at + 1, at, cols.n);
    cols.rgba.copyWithin(at + 1, at, cols.n);
  }
  cols.start[at] = c.start;
  cols.end[at] = c.end;
  cols.rgba[at] = c.rgba;
  cols.n++;
}

export interface LaneIndex {
  mode: LaneMode;
  /** sorted for display (process: pid then comm; the others: key text, none last) */
  lanes: Lane[];
  byKey: Map<string, Lane>;
}

export function laneKey(c: Conn, mode: LaneMode): { key: string; label: string } {
  const r = c.rec;
  if (mode === 'source') {
    return r.saddr === null ? { key: '\uffff', label: '(no source)' } : { key: r.saddr, label: r.saddr };
  }
  if (mode === 'route') {
    // Egress device and next hop: an uplink failover shows as marks moving lanes.
    const label = routeLabel(r);
    if (label === null) return { key: '\uffff', label: '(no route)' };
    return { key: `${r.dev}\u0000${r.gateway ?? ''}`, label };
  }
  if (mode === 'netns') {
    // Named namespaces (ip netns) by name, then unnamed ones by inode number.
    return r.netnsName === null
      ? { key: `1${String(r.netns).padStart(12, '0')}`, label: `netns ${r.netns}` }
      : { key: `0${r.netnsName}\u0000${r.netns}`, label: r.netnsName };
  }
  return { key: `${r.pid}\u0000${r.comm}`, label: `${r.comm} [${r.pid}]` };
}

function compareLanes(mode: LaneMode) {
  return (a: Lane, b: Lane): number => {
    if (mode === 'process') {
      const pa = a.marks[0]!.rec.pid;
      const pb = b.marks[0]!.rec.pid;
      if (pa !== pb) return pa - pb;
    }
    return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
  };
}

const before = (a: Conn, b: Conn): boolean => a.start < b.start || (a.start === b.start && a.id < b.id);

/** Insert keeping start order; records arrive nearly in order, so this is almost always a push. */
export function insertSorted(list: Conn[], cols: Columns, c: Conn): void {
  const last = list[list.length - 1];
  if (last === undefined || !before(c, last)) {
    list.push(c);
    insertColumn(cols, cols.n, c);
    return;
  }
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (before(list[mid]!, c)) lo = mid + 1;
    else hi = mid;
  }
  list.splice(lo, 0, c);
  insertColumn(cols, lo, c);
}

/** Add connections to an index in place; returns whether lanes were added (the lane order changed). */
export function addToLanes(index: LaneIndex, conns: readonly Conn[]): boolean {
  let added = false;
  for (const c of conns) {
    const { key, label } = laneKey(c, index.mode);
    let lane = index.byKey.get(key);
    if (!lane) {
      lane = { key, label, marks: [], failures: [], markCols: emptyColumns(), failCols: emptyColumns(), maxDur: 0 };
      index.byKey.set(key, lane);
      index.lanes.push(lane);
      added = true;
    }
    insertSorted(lane.marks, lane.markCols, c);
    if (c.failed) insertSorted(lane.failures, lane.failCols, c);
    const dur = c.end - c.start;
    if (dur > lane.maxDur) lane.maxDur = dur;
  }
  if (added) index.lanes.sort(compareLanes(index.mode));
  return added;
}

export function buildLanes(conns: readonly Conn[], mode: LaneMode): LaneIndex {
  const index: LaneIndex = { mode, lanes: [], byKey: new Map() };
  addToLanes(index, conns);
  return index;
}

/** First index whose start is >= t. */
export function lowerBound(cols: Columns, t: number): number {
  const start = cols.start;
  let lo = 0;
  let hi = cols.n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (start[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index whose start is > t. */
export function upperBound(cols: Columns, t: number): number {
  const start = cols.start;
  let lo = 0;
  let hi = cols.n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (start[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Index range [lo, hi) of the marks that may overlap [t0, t1]: every mark in it
 * starts at or before t1, and none outside it ends at or after t0. maxDur bounds
 * how early an overlapping mark can start.
 */
export function visibleRange(cols: Columns, maxDur: number, t0: number, t1: number): [number, number] {
  return [lowerBound(cols, t0 - maxDur), upperBound(cols, t1)];
}

/** The mark in a lane nearest to time t, within tolerance (ms) of its extent. */
export function hitTest(lane: Lane, t: number, tolMs: number): Conn | null {
  const [lo, hi] = visibleRange(lane.markCols, lane.maxDur, t - tolMs, t + tolMs);
  let best: Conn | null = null;
  let bestDist = Infinity;
  for (let i = lo; i < hi; i++) {
    const c = lane.marks[i]!;
    const dist = t < c.start ? c.start - t : t > c.end ? t - c.end : 0;
    // on ties the later mark wins (it is painted over the earlier), and failures beat successes (painted last)
    if (dist <= tolMs && (dist < bestDist || (dist === bestDist && (c.failed || !best?.failed)))) {
      best = c;
      bestDist = dist;
    }
  }
  return best;
}
