import { describe, expect, it } from 'vitest';
import type { SrcRecord } from '../../agent/model/record.js';
import { Descendants } from '../../agent/enrich/process-tree.js';
import { makeFilter } from '../../agent/pipeline/filter.js';
import { record } from '../ui/fixtures.js';

describe('makeFilter (--pid / --comm)', () => {
  const a = record({ pid: 10, comm: 'curl' });
  const b = record({ pid: 20, comm: 'wget' });
  const c = record({ pid: 30, comm: 'nc' });
  const lost: SrcRecord = { type: 'lost', ts: a.ts, count: 3, where: 'kernel', detail: 'x' };

  it('keeps everything without flags', () => {
    const keep = makeFilter({ pids: [], comms: [] });
    expect([a, b, c, lost].filter(keep)).toEqual([a, b, c, lost]);
  });

  it('keeps connections matching any --pid or any --comm, and always keeps loss and status records', () => {
    const keep = makeFilter({ pids: [10], comms: ['nc'] });
    expect([a, b, c, lost].filter(keep)).toEqual([a, c, lost]);
  });

  it('a --pid naming a thread keeps that thread only, not its siblings', () => {
    const t1 = record({ pid: 40, tid: 41 });
    const t2 = record({ pid: 40, tid: 42 });
    expect([t1, t2, a].filter(makeFilter({ pids: [41], comms: [] }))).toEqual([t1]);
    expect([t1, t2, a].filter(makeFilter({ pids: [40], comms: [] }))).toEqual([t1, t2]);
  });

  it('with --children keeps the --pid processes\' descendants too, and only with it', () => {
    // 50 -> 51 -> 52 (a grandchild that connects; 51 makes no connection itself); 60 elsewhere.
    const parents = new Map([[51, 50], [52, 51], [60, 1]]);
    const descendants = new Descendants([50], (p) => parents.get(p) ?? null);
    const grandchild = record({ pid: 52, ppid: 51 });
    const stranger = record({ pid: 60, ppid: 1 });
    expect([grandchild, stranger, a, lost].filter(makeFilter({ pids: [50], comms: [], children: true }, descendants))).toEqual([grandchild, lost]);
    expect([grandchild, stranger].filter(makeFilter({ pids: [50], comms: [] }))).toEqual([]);
  });
});
