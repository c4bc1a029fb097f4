import { describe, expect, it } from 'vitest';
import type { SrcRecord } from '../../agent/model/record.js';
import { Descendants } from '../../agent/enrich/process-tree.js';
import { makeFilter } from '../../agent/pipeline/filter.js';
import { parseDest } from '../../agent/cli/args.js';
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

describe('makeFilter (--dst / --dport)', () => {
  const toNet = record({ pid: 10, comm: 'curl', family: 4, daddr: '198.18.1.7', dport: 443 });
  const toNetHttp = record({ pid: 10, comm: 'curl', family: 4, daddr: '198.18.1.8', dport: 80 });
  const elsewhere = record({ pid: 10, comm: 'curl', family: 4, daddr: '198.18.2.7', dport: 443 });
  const v6 = record({ pid: 20, comm: 'wget', family: 6, daddr: '2001:db8:1::7', dport: 443 });
  const v6Elsewhere = record({ pid: 20, comm: 'wget', family: 6, daddr: '2001:db9::7', dport: 443 });
  const all = [toNet, toNetHttp, elsewhere, v6, v6Elsewhere];
  const lost: SrcRecord = { type: 'lost', ts: toNet.ts, count: 1, where: 'agent', detail: 'x' };
  const keep = (dst: string[], dports: number[] = [], pids: number[] = [], comms: string[] = []) =>
    makeFilter({ pids, comms, dests: dst.map(parseDest), dports });

  it('keeps connections to any --dst network (IPv4 and IPv6) or address, and loss records', () => {
    expect([...all, lost].filter(keep(['198.18.1.0/24', '2001:db8::/32']))).toEqual([toNet, toNetHttp, v6, lost]);
    expect(all.filter(keep(['198.18.2.7']))).toEqual([elsewhere]);
    expect(all.filter(keep(['0.0.0.0/0']))).toEqual([toNet, toNetHttp, elsewhere]); // every IPv4 peer, no IPv6 one
    expect(all.filter(keep(['::/0']))).toEqual([v6, v6Elsewhere]);
  });

  it('--dport alone, and every kind given must match: process, destination and port', () => {
    expect(all.filter(keep([], [80]))).toEqual([toNetHttp]);
    expect(all.filter(keep(['198.18.1.0/24'], [443]))).toEqual([toNet]);
    expect(all.filter(keep(['198.18.0.0/16', '2001:db8::/32'], [443], [], ['wget']))).toEqual([v6]);
    expect(all.filter(keep(['198.18.0.0/16'], [], [10]))).toEqual([toNet, toNetHttp, elsewhere]);
  });

  it('parses --dst: a plain address is a host route, an IPv4-mapped one is the IPv4 address (records give such peers as IPv4)', () => {
    expect(parseDest('198.18.1.0/24')).toEqual({ addr: '198.18.1.0', prefix: 24, family: 4 });
    expect(parseDest('198.18.1.9')).toEqual({ addr: '198.18.1.9', prefix: 32, family: 4 });
    expect(parseDest('2001:db8::/32')).toEqual({ addr: '2001:db8::', prefix: 32, family: 6 });
    expect(parseDest('fe80::1')).toEqual({ addr: 'fe80::1', prefix: 128, family: 6 });
    expect(parseDest('::ffff:198.18.1.9')).toEqual({ addr: '198.18.1.9', prefix: 32, family: 4 });
    expect(parseDest('::ffff:198.18.0.0/112')).toEqual({ addr: '198.18.0.0', prefix: 16, family: 4 });
    for (const bad of ['', 'example.com', '198.18.1.0/33', '2001:db8::/129', '198.18.1/24', '::ffff:1.2.3.4/64', '1.2.3.4/']) {
      expect(() => parseDest(bad), bad).toThrow(/--dst expects an IPv4 or IPv6 address/);
    }
  });
});
