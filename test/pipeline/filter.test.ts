import { describe, expect, it } from 'vitest';
import type { SrcRecord } from '../../agent/model/record.js';
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
});
