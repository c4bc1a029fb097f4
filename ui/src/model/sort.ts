// Table order. Sorting is stable and total (ties broken by arrival), and a
// growing view is merged rather than re-sorted, so a live batch costs O(n).
import type { Conn } from './conn.js';
import { parseIp } from './ip.js';

export const SORT_KEYS = ['ts', 'pid', 'comm', 'saddr', 'daddr', 'dport', 'outcome', 'latencyMs'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

export interface SortSpec {
  key: SortKey;
  dir: 'asc' | 'desc';
}

export const DEFAULT_SORT: SortSpec = { key: 'ts', dir: 'desc' };

const addrKeys = new Map<string, bigint>();
/** v4 before v6, numerically; text that is not an address sorts first. */
function addrKey(s: string): bigint {
  let k = addrKeys.get(s);
  if (k === undefined) {
    const ip = parseIp(s);
    k = ip === null ? -1n : ip.family === 4 ? ip.value : (1n << 32n) + ip.value;
    if (addrKeys.size > 50_000) addrKeys.clear();
    addrKeys.set(s, k);
  }
  return k;
}

type Cmp = (a: Conn, b: Conn) => number;

function nullsLast<T>(a: T | null, b: T | null, cmp: (x: T, y: T) => number): number {
  if (a === null) return b === null ? 0 : 1;
  if (b === null) return -1;
  return cmp(a, b);
}
const num = (x: number, y: number): number => x - y;
const str = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);
const addr = (x: string, y: string): number => {
  const kx = addrKey(x);
  const ky = addrKey(y);
  return kx < ky ? -1 : kx > ky ? 1 : str(x, y);
};

const BY_KEY: Record<SortKey, Cmp> = {
  ts: (a, b) => a.start - b.start,
  pid: (a, b) => a.rec.pid - b.rec.pid,
  comm: (a, b) => str(a.rec.comm, b.rec.comm),
  saddr: (a, b) => nullsLast(a.rec.saddr, b.rec.saddr, addr),
  daddr: (a, b) => addr(a.rec.daddr, b.rec.daddr) || a.rec.dport - b.rec.dport,
  dport: (a, b) => a.rec.dport - b.rec.dport,
  outcome: (a, b) => str(a.rec.outcome, b.rec.outcome),
  latencyMs: (a, b) => nullsLast(a.rec.latencyMs, b.rec.latencyMs, num),
};

/** A total order: the key (nulls last either way), then arrival; desc reverses both. */
export function comparator(spec: SortSpec): Cmp {
  const by = BY_KEY[spec.key];
  const nullable = spec.key === 'saddr' || spec.key === 'latencyMs';
  const sign = spec.dir === 'asc' ? 1 : -1;
  return (a, b) => {
    if (nullable) {
      const an = spec.key === 'saddr' ? a.rec.saddr === null : a.rec.latencyMs === null;
      const bn = spec.key === 'saddr' ? b.rec.saddr === null : b.rec.latencyMs === null;
      if (an !== bn) return an ? 1 : -1;
    }
    return sign * (by(a, b) || a.id - b.id);
  };
}

export function sortConns(list: readonly Conn[], spec: SortSpec): Conn[] {
  return list.slice().sort(comparator(spec));
}

/** Merge unsorted additions into an already sorted list (returns a new array). */
export function mergeSorted(sorted: readonly Conn[], added: readonly Conn[], spec: SortSpec): Conn[] {
  if (added.length === 0) return sorted.slice();
  const cmp = comparator(spec);
  const b = added.slice().sort(cmp);
  const out: Conn[] = new Array<Conn>(sorted.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < sorted.length && j < b.length) out[k++] = cmp(sorted[i]!, b[j]!) <= 0 ? sorted[i++]! : b[j++]!;
  while (i < sorted.length) out[k++] = sorted[i++]!;
  while (j < b.length) out[k++] = b[j++]!;
  return out;
}

/** The table's sorted copy of the filtered view, remembered between renders. */
export interface SortedCache {
  generation: number;
  count: number;
  spec: SortSpec;
  rows: Conn[];
}

/**
 * Bring the sorted rows up to date with the view. When only new connections
 * were appended since last time (same generation) they are merged in;
 * otherwise (filter change, eviction, new sort) the view is sorted again.
 */
export function updateSorted(cache: SortedCache | null, view: readonly Conn[], generation: number, spec: SortSpec): SortedCache {
  if (cache && cache.generation === generation && cache.spec.key === spec.key && cache.spec.dir === spec.dir) {
    if (cache.count === view.length) return cache;
    if (cache.count < view.length) {
      return { generation, count: view.length, spec, rows: mergeSorted(cache.rows, view.slice(cache.count), spec) };
    }
  }
  return { generation, count: view.length, spec, rows: sortConns(view, spec) };
}

/** Position of a connection in rows sorted by spec (binary search), or -1. */
export function indexInSorted(rows: readonly Conn[], c: Conn, spec: SortSpec): number {
  const cmp = comparator(spec);
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cmp(rows[mid]!, c) < 0) lo = mid + 1;
    else hi = mid;
  }
  return rows[lo] === c ? lo : -1;
}

/** Rows [first, last) to render for a scroll position, with overscan on both sides. */
export function rowWindow(count: number, scrollTop: number, viewH: number, rowH: number, overscan = 8): [number, number] {
  const first = Math.min(count, Math.max(0, Math.floor(scrollTop / rowH) - overscan));
  const last = Math.min(count, Math.ceil((scrollTop + viewH) / rowH) + overscan);
  return [first, Math.max(first, last)];
}
