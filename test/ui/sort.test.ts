import { describe, expect, it } from 'vitest';
import { comparator, indexInSorted, mergeSorted, rowWindow, sortConns, updateSorted, type SortSpec } from '../../ui/src/model/sort.js';
import { at, conn, refused } from './fixtures.js';

const rows = [
  conn({ ts: at(300), pid: 30, comm: 'wget', saddr: '10.0.0.10', daddr: '192.0.2.1', dport: 80, latencyMs: 5 }, 1),
  conn({ ts: at(100), pid: 10, comm: 'curl', saddr: '10.0.0.9', daddr: '2001:db8::1', dport: 443, latencyMs: null, outcome: 'unreachable' }, 2),
  conn({ ts: at(200), pid: 20, comm: 'apt', saddr: null, daddr: '10.0.0.1', dport: 22, latencyMs: 50, ...refused }, 3),
  conn({ ts: at(200), pid: 10, comm: 'curl', saddr: '2001:db8::9', daddr: '192.0.2.1', dport: 443, latencyMs: 1 }, 4),
];
const ids = (spec: SortSpec) => sortConns(rows, spec).map((c) => c.id);

describe('table sort', () => {
  it('sorts by each column with arrival order breaking ties', () => {
    expect(ids({ key: 'ts', dir: 'asc' })).toEqual([2, 3, 4, 1]);
    expect(ids({ key: 'ts', dir: 'desc' })).toEqual([1, 4, 3, 2]);
    expect(ids({ key: 'pid', dir: 'asc' })).toEqual([2, 4, 3, 1]);
    expect(ids({ key: 'comm', dir: 'asc' })).toEqual([3, 2, 4, 1]);
    expect(ids({ key: 'dport', dir: 'desc' })).toEqual([4, 2, 1, 3]);
    expect(ids({ key: 'outcome', dir: 'asc' })).toEqual([1, 4, 3, 2]);
  });

  it('sorts addresses numerically, v4 before v6, and keeps nulls last in both directions', () => {
    expect(ids({ key: 'saddr', dir: 'asc' })).toEqual([2, 1, 4, 3]); // 10.0.0.9 < 10.0.0.10 < 2001:db8::9 < none
    expect(ids({ key: 'saddr', dir: 'desc' })).toEqual([4, 1, 2, 3]);
    expect(ids({ key: 'latencyMs', dir: 'asc' })).toEqual([4, 1, 3, 2]);
    expect(ids({ key: 'latencyMs', dir: 'desc' })).toEqual([3, 1, 4, 2]);
    expect(ids({ key: 'daddr', dir: 'asc' })).toEqual([3, 1, 4, 2]); // 10.0.0.1, 192.0.2.1:80, 192.0.2.1:443, v6
  });

  it('merging a batch equals sorting everything', () => {
    const spec: SortSpec = { key: 'latencyMs', dir: 'desc' };
    const more = [conn({ latencyMs: 7 }, 5), conn({ latencyMs: null }, 6), conn({ latencyMs: 70 }, 7)];
    expect(mergeSorted(sortConns(rows, spec), more, spec)).toEqual(sortConns([...rows, ...more], spec));
  });

  it('updateSorted merges appends, re-sorts on a new generation or sort, and finds rows by binary search', () => {
    const spec: SortSpec = { key: 'ts', dir: 'desc' };
    const first = updateSorted(null, rows.slice(0, 2), 0, spec);
    expect(first.rows.map((c) => c.id)).toEqual([1, 2]);
    expect(updateSorted(first, rows.slice(0, 2), 0, spec)).toBe(first);
    const grown = updateSorted(first, rows, 0, spec);
    expect(grown).toEqual({ generation: 0, count: 4, spec, rows: sortConns(rows, spec) });
    const filtered = updateSorted(grown, rows.slice(2), 1, spec);
    expect(filtered.rows.map((c) => c.id)).toEqual([4, 3]);
    const resorted = updateSorted(filtered, rows.slice(2), 1, { key: 'pid', dir: 'asc' });
    expect(resorted.rows.map((c) => c.id)).toEqual([4, 3]);
    for (const c of rows) expect(indexInSorted(grown.rows, c, spec)).toBe(grown.rows.indexOf(c));
    expect(indexInSorted(grown.rows, conn({}, 99), spec)).toBe(-1);
  });

  it('comparator is a total order (never 0 for different connections)', () => {
    const cmp = comparator({ key: 'comm', dir: 'asc' });
    expect(cmp(rows[1]!, rows[3]!)).toBeLessThan(0);
    expect(cmp(rows[3]!, rows[1]!)).toBeGreaterThan(0);
  });

  it('renders only the rows in the scroll window plus overscan', () => {
    expect(rowWindow(100_000, 0, 240, 24, 5)).toEqual([0, 15]);
    expect(rowWindow(100_000, 24_000, 240, 24, 5)).toEqual([995, 1015]);
    expect(rowWindow(12, 0, 240, 24, 5)).toEqual([0, 12]);
    expect(rowWindow(0, 500, 240, 24, 5)).toEqual([0, 0]);
  });
});
