// Whether a connection's route has a src attribute: the FIB entry looked up
// again is believed only while it is the socket's own route. The lookup is
// injected here (its real run is in test/e2e/lab-demo.test.ts); the outputs
// parsed are `ip -j route get fibmatch` lines captured in the lab.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ipFibmatchArgs, nsPathFinder, parseFibmatch, RouteSrc, type FibEntry, type RouteFacts, type RouteQuery } from '../../agent/enrich/route-src.js';

const S = 1e9;
const WITH_SRC = '[{"dst":"198.18.1.0/24","gateway":"198.51.100.1","dev":"srct-upa","prefsrc":"192.0.2.1","flags":[]}]';
const WITHOUT_SRC = '[{"dst":"198.18.2.0/24","gateway":"203.0.113.1","dev":"srct-upb","flags":[]}]';
const V6_WITH_SRC = '[{"dst":"2001:db8:1::/64","gateway":"2001:db8:a::1","dev":"srct-upa","prefsrc":"2001:db8:53::1","metric":1024,"flags":[],"pref":"medium"}]';

const facts = (over: Partial<RouteFacts> = {}): RouteFacts => ({
  netns: 4026532177, pid: 100, family: 4, uid: 0, saddr: '192.0.2.1', daddr: '198.18.1.1', dport: 8080, dev: 'srct-upa', gateway: '198.51.100.1', mark: 0, devBound: false, boundSport: null, tos: 0, ...over,
});

/** A RouteSrc whose lookups answer from `table` (by destination) and are counted. */
function withTable(table: Record<string, string>, nsPath: () => string | null | undefined = () => '/run/netns/srct-host') {
  const queries: RouteQuery[] = [];
  const rs = new RouteSrc(nsPath, (q) => {
    queries.push(q);
    return table[q.daddr] === undefined ? null : parseFibmatch(table[q.daddr]!);
  });
  return { rs, queries };
}

describe('ip route get fibmatch output', () => {
  it('gives the entry\'s device, next hop and src, null for what it lacks', () => {
    expect(parseFibmatch(WITH_SRC)).toEqual<FibEntry>({ dev: 'srct-upa', gateway: '198.51.100.1', prefsrc: '192.0.2.1' });
    expect(parseFibmatch(WITHOUT_SRC)).toEqual<FibEntry>({ dev: 'srct-upb', gateway: '203.0.113.1', prefsrc: null });
    expect(parseFibmatch('[{"type":"local","dst":"127.0.0.1","dev":"lo","prefsrc":"127.0.0.1","flags":[]}]')).toEqual<FibEntry>({ dev: 'lo', gateway: null, prefsrc: '127.0.0.1' });
    // An IPv4 route with an IPv6 next hop (RFC 5549), as ip prints it.
    expect(parseFibmatch('[{"dst":"203.0.113.77","via":{"family":"inet6","host":"fe80::2"},"dev":"s13x-va","prefsrc":"192.0.2.77","flags":[]}]'))
      .toEqual<FibEntry>({ dev: 's13x-va', gateway: 'fe80::2', prefsrc: '192.0.2.77' });
    for (const bad of ['', '[]', '{"dev":"x"}', '[{"gateway":"1.2.3.4"}]', 'RTNETLINK answers: Network is unreachable']) expect(parseFibmatch(bad)).toBeNull();
  });
});

describe('a route\'s src, as the socket used it', () => {
  it('true when the route\'s src is the source, false when it has none, for IPv4 and IPv6', () => {
    const { rs, queries } = withTable({ '198.18.1.1': WITH_SRC, '198.18.2.1': WITHOUT_SRC, '2001:db8:1::1': V6_WITH_SRC });
    expect(rs.of(facts(), 1 * S)).toBe(true);
    expect(rs.of(facts({ saddr: '203.0.113.2', daddr: '198.18.2.1', dev: 'srct-upb', gateway: '203.0.113.1' }), 1 * S)).toBe(false);
    expect(rs.of(facts({ family: 6, saddr: '2001:db8:53::1', daddr: '2001:db8:1::1', gateway: '2001:db8:a::1' }), 1 * S)).toBe(true);
    // Looked up in the record's namespace, for its user and port.
    expect(queries[0]).toEqual<RouteQuery>({ nsPath: '/run/netns/srct-host', family: 4, daddr: '198.18.1.1', uid: 0, dport: 8080, mark: 0, oif: null, sport: null, tos: 0 });
    expect(queries.map((q) => q.family)).toEqual([4, 4, 6]);
  });

  it('null when the route found is not the socket\'s (another device or next hop: it changed since), or names another src', () => {
    const { rs } = withTable({ '198.18.1.1': WITH_SRC });
    expect(rs.of(facts({ dev: 'srct-upb' }), 1 * S)).toBeNull();
    expect(rs.of(facts({ gateway: '198.51.100.9' }), 1 * S)).toBeNull();
    expect(rs.of(facts({ gateway: null }), 1 * S)).toBeNull();
    expect(rs.of(facts({ saddr: '192.0.2.99' }), 1 * S)).toBeNull();
  });

  it('null without a route, without a way into the namespace, and for a link-local destination without its device (not looked up)', () => {
    expect(withTable({}).rs.of(facts(), 1 * S)).toBeNull();
    const gone = withTable({ '198.18.1.1': WITH_SRC }, () => undefined);
    expect(gone.rs.of(facts(), 1 * S)).toBeNull();
    expect(gone.queries).toEqual([]);
    const ll = withTable({ 'fe80::1': '[{"dst":"fe80::/64","dev":"srct-upa","metric":256,"flags":[],"pref":"medium"}]' });
    expect(ll.rs.of(facts({ family: 6, daddr: 'fe80::1', gateway: null }), 1 * S)).toBeNull();
    expect(ll.queries).toEqual([]);
    // A link-local peer's scope binds the socket to its device: looked up out of it.
    expect(ll.rs.of(facts({ family: 6, saddr: 'fe80::2', daddr: 'fe80::1', gateway: null, devBound: true }), 1 * S)).toBe(false);
    expect(ll.queries.map((q) => q.oif)).toEqual(['srct-upa']);
  });

  it('answers a destination from one lookup for 2 s of record time (a storm costs one lookup per 2 s), then looks again', () => {
    const table: Record<string, string> = { '198.18.1.1': WITH_SRC };
    const { rs, queries } = withTable(table);
    for (let i = 0; i < 1000; i++) expect(rs.of(facts({ pid: 100 + (i % 7) }), 1 * S + i * 1e6)).toBe(true);
    expect(queries).toHaveLength(1);
    table['198.18.1.1'] = WITHOUT_SRC.replace('srct-upb', 'srct-upa').replace('203.0.113.1', '198.51.100.1'); // src removed from the route
    expect(rs.of(facts(), 2.5 * S)).toBe(true); // within 2 s of the lookup: the answer stands
    expect(rs.of(facts(), 3.1 * S)).toBe(false);
    expect(queries).toHaveLength(2);
    // Another user or port is another lookup (policy routing may tell them apart).
    rs.of(facts({ uid: 1000 }), 3.2 * S);
    rs.of(facts({ dport: 443 }), 3.2 * S);
    expect(queries).toHaveLength(4);
  });

  it('looks up as the socket did: with its mark, and out of its device when bound to one; each its own lookup', () => {
    const { rs, queries } = withTable({ '198.18.1.1': WITH_SRC });
    rs.of(facts(), 1 * S);
    expect(rs.of(facts({ mark: 0x2a }), 1 * S)).toBe(true);
    expect(rs.of(facts({ devBound: true }), 1 * S)).toBe(true);
    expect(rs.of(facts({ mark: 7, devBound: true }), 1 * S)).toBe(true);
    rs.of(facts({ mark: 0x2a }), 1.5 * S); // kept, as any answer
    expect(queries.map((q) => [q.mark, q.oif])).toEqual([[0, null], [0x2a, null], [0, 'srct-upa'], [7, 'srct-upa']]);
  });

  it('looks up with the source port only when the application bound it, and with the socket\'s TOS; each its own lookup', () => {
    const { rs, queries } = withTable({ '198.18.1.1': WITH_SRC });
    rs.of(facts(), 1 * S);
    expect(rs.of(facts({ boundSport: 4000 }), 1 * S)).toBe(true);
    expect(rs.of(facts({ boundSport: 4001 }), 1 * S)).toBe(true);
    expect(rs.of(facts({ tos: 0x10 }), 1 * S)).toBe(true);
    rs.of(facts({ boundSport: 4000 }), 1.5 * S); // kept
    rs.of(facts(), 1.5 * S); // kept: ephemeral ports do not split the cache
    expect(queries.map((q) => [q.sport, q.tos])).toEqual([[null, 0], [4000, 0], [4001, 0], [null, 0x10]]);
  });

  it('passes the bound port, the mark, the device and the TOS to ip route get', () => {
    // Only the arguments: the real lookup runs in test/e2e/policy-routing.test.ts.
    const seen: string[][] = [];
    seen.push(ipFibmatchArgs({ nsPath: null, family: 4, daddr: '198.18.1.1', uid: 5, dport: 80, mark: 0, oif: null, sport: null, tos: 0 }));
    seen.push(ipFibmatchArgs({ nsPath: '/run/netns/x', family: 6, daddr: '2001:db8::1', uid: 0, dport: 443, mark: 0xffffffff, oif: 'up-b', sport: null, tos: 0 }));
    // TOS: its DSCP bits (ECN's two are dropped), IPv4 only.
    seen.push(ipFibmatchArgs({ nsPath: null, family: 4, daddr: '198.18.1.1', uid: 0, dport: 80, mark: 0, oif: null, sport: 4000, tos: 0xb9 }));
    seen.push(ipFibmatchArgs({ nsPath: null, family: 4, daddr: '198.18.1.1', uid: 0, dport: 80, mark: 0, oif: null, sport: null, tos: 0x03 }));
    seen.push(ipFibmatchArgs({ nsPath: null, family: 6, daddr: '2001:db8::1', uid: 0, dport: 80, mark: 0, oif: null, sport: null, tos: 0x10 }));
    expect(seen).toEqual([
      ['ip', '-j', '-4', 'route', 'get', 'fibmatch', '198.18.1.1', 'uid', '5', 'ipproto', 'tcp', 'dport', '80'],
      ['nsenter', '--net=/run/netns/x', 'ip', '-j', '-6', 'route', 'get', 'fibmatch', '2001:db8::1', 'uid', '0', 'ipproto', 'tcp', 'dport', '443', 'mark', '4294967295', 'oif', 'up-b'],
      ['ip', '-j', '-4', 'route', 'get', 'fibmatch', '198.18.1.1', 'uid', '0', 'ipproto', 'tcp', 'dport', '80', 'sport', '4000', 'tos', '0xb8'],
      ['ip', '-j', '-4', 'route', 'get', 'fibmatch', '198.18.1.1', 'uid', '0', 'ipproto', 'tcp', 'dport', '80'],
      ['ip', '-j', '-6', 'route', 'get', 'fibmatch', '2001:db8::1', 'uid', '0', 'ipproto', 'tcp', 'dport', '80'],
    ]);
  });

  it('keeps no answer from a lookup that could not be made (the process went before nsenter opened its namespace)', () => {
    let calls = 0;
    const rs = new RouteSrc(() => '/proc/100/ns/net', () => (++calls === 1 ? undefined : parseFibmatch(WITH_SRC)));
    expect(rs.of(facts(), 1 * S)).toBeNull();
    expect(rs.of(facts(), 1.001 * S)).toBe(true);
    expect(calls).toBe(2);
  });

  it('makes at most 20 lookups a second of record time: a scan gets null for the rest, not a stalled agent', () => {
    const table: Record<string, string> = {};
    for (let i = 0; i < 30; i++) table[`198.18.1.${i}`] = WITH_SRC;
    const { rs, queries } = withTable(table);
    const answers = Array.from({ length: 30 }, (_, i) => rs.of(facts({ daddr: `198.18.1.${i}` }), 10 * S + i * 1e6));
    expect(answers.filter((a) => a === true)).toHaveLength(20);
    expect(answers.slice(20)).toEqual(Array(10).fill(null));
    expect(queries).toHaveLength(20);
    // A second later: the ones refused are looked up now.
    expect(rs.of(facts({ daddr: '198.18.1.25' }), 11.1 * S)).toBe(true);
    expect(queries).toHaveLength(21);
  });
});

describe('where a namespace is entered', () => {
  let dir = '';
  afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

  it('nowhere for srctrace\'s own; its name, which outlives processes; else the process\'s /proc entry while it is in it; else not at all', () => {
    dir = mkdtempSync(join(tmpdir(), 'srctrace-nspath-'));
    mkdirSync(join(dir, '100', 'ns'), { recursive: true });
    symlinkSync('net:[777]', join(dir, '100', 'ns', 'net')); // what readlink gives for a namespace
    const named = (netns: number) => (netns === 888 ? '/run/netns/lab' : null);
    const find = nsPathFinder(named, 555, dir);
    expect(find(555, 100)).toBeNull();
    expect(find(777, 100)).toBe(join(dir, '100', 'ns', 'net'));
    expect(find(888, 100)).toBe('/run/netns/lab'); // named: the name, even while pid 100 lives
    expect(find(888, 200)).toBe('/run/netns/lab');
    expect(find(777, 200)).toBeUndefined(); // unnamed, and its process exited
    expect(find(999, 100)).toBeUndefined(); // pid 100 is in another namespace (reused pid, or it moved)
  });
});
