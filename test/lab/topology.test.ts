// The topology is pure data; these tests pin the lab's addresses once and
// check the rules every lab must keep (documentation ranges, name lengths).
import { BlockList } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { LabError, assertLabPrerequisites, destinationFor, labTopology, validatePrefix, DESTINATION_KINDS } from '../../agent/lab/index.js';
import { setIpBinary } from '../../agent/lab/ip.js';

// The documentation and benchmarking ranges the lab rules allow.
const DOC_RANGES = new BlockList();
for (const [net, len] of [['192.0.2.0', 24], ['198.51.100.0', 24], ['203.0.113.0', 24], ['198.18.0.0', 15]] as const) DOC_RANGES.addSubnet(net, len, 'ipv4');
DOC_RANGES.addSubnet('2001:db8::', 32, 'ipv6');

const familyName = (a: string) => (a.includes(':') ? 'ipv6' : 'ipv4');

function inDocRange(address: string): boolean {
  const addr = address.split('/')[0]!;
  return DOC_RANGES.check(addr, familyName(addr));
}

function covers(cidr: string, address: string): boolean {
  const [net, len] = cidr.split('/');
  const list = new BlockList();
  list.addSubnet(net!, Number(len), familyName(net!));
  return familyName(address) === familyName(net!) && list.check(address, familyName(address));
}

describe('labTopology', () => {
  it('derives every name from the prefix and keeps veth names within 15 characters', () => {
    const topo = labTopology('abcdefghij');
    expect(topo.namespaces).toEqual({ host: 'abcdefghij-host', rtrA: 'abcdefghij-rtra', rtrB: 'abcdefghij-rtrb' });
    const devs = [topo.uplinks.a.hostDev, topo.uplinks.a.routerDev, topo.uplinks.b.hostDev, topo.uplinks.b.routerDev];
    expect(devs).toEqual(['abcdefghij-upa', 'abcdefghij-dna', 'abcdefghij-upb', 'abcdefghij-dnb']);
    for (const d of devs) expect(d.length).toBeLessThanOrEqual(15);
  });

  it.each(['', 'Srct', '1lab', 'a-b', 'a b', 'abcdefghijk', '../x'])('rejects prefix %j with a LabError', (prefix) => {
    expect(() => validatePrefix(prefix)).toThrow(LabError);
    expect(() => labTopology(prefix)).toThrow(/invalid lab prefix/);
  });

  it('uses only documentation addresses, in the lab namespaces only', () => {
    const topo = labTopology('t');
    const own = new Set([topo.namespaces.host, topo.namespaces.rtrA, topo.namespaces.rtrB]);
    for (const a of topo.addresses) {
      expect(inDocRange(a.address), a.address).toBe(true);
      expect(own.has(a.ns)).toBe(true);
    }
    for (const r of topo.routes) {
      expect([r.dst, r.via, r.src ?? r.via].every(inDocRange), JSON.stringify(r)).toBe(true);
      expect(own.has(r.ns)).toBe(true);
    }
    expect(topo.routes.some((r) => r.dst === 'default' || r.dst.endsWith('/0'))).toBe(false);
  });

  it('pins the expected source of every destination kind', () => {
    const topo = labTopology('t');
    const table = topo.destinations.map((d) => [d.kind, d.family, d.daddr, d.dport, d.bindAddr, d.expectedSource, d.expectedOutcome, d.expectedError]);
    expect(table).toEqual([
      ['with-src', 4, '198.18.1.1', 8080, null, '192.0.2.1', 'established', null],
      ['without-src', 4, '198.18.2.1', 8080, null, '203.0.113.2', 'established', null],
      ['bound', 4, '198.18.1.1', 8080, '203.0.113.2', '203.0.113.2', 'established', null],
      ['closed-port', 4, '198.18.1.1', 8081, null, '192.0.2.1', 'refused', 'ECONNREFUSED'],
      ['unroutable', 4, '198.18.99.1', 8080, null, null, 'unreachable', 'ENETUNREACH'],
      ['with-src', 6, '2001:db8:1::1', 8080, null, '2001:db8:53::1', 'established', null],
      ['without-src', 6, '2001:db8:2::1', 8080, null, '2001:db8:b::2', 'established', null],
      ['bound', 6, '2001:db8:1::1', 8080, '2001:db8:b::2', '2001:db8:b::2', 'established', null],
      ['closed-port', 6, '2001:db8:1::1', 8081, null, '2001:db8:53::1', 'refused', 'ECONNREFUSED'],
      ['unroutable', 6, '2001:db8:99::1', 8080, null, null, 'unreachable', 'ENETUNREACH'],
    ]);
  });

  it('derives those expectations from its own routes and addresses', () => {
    const topo = labTopology('t');
    const hostRoutes = topo.routes.filter((r) => r.ns === topo.namespaces.host);
    for (const family of [4, 6] as const) {
      const routeTo = (daddr: string) => hostRoutes.find((r) => covers(r.dst, daddr));
      const withSrc = destinationFor(topo, 'with-src', family);
      expect(routeTo(withSrc.daddr)?.src).toBe(withSrc.expectedSource);
      const withoutSrc = destinationFor(topo, 'without-src', family);
      const plain = routeTo(withoutSrc.daddr);
      expect(plain?.src).toBeNull();
      expect(topo.addresses.find((a) => a.ns === topo.namespaces.host && a.dev === plain?.dev && a.family === family)?.address).toBe(withoutSrc.expectedSource);
      const bound = destinationFor(topo, 'bound', family);
      // bound to the uplink the route does NOT use, so only bind() explains the source
      expect(bound.bindAddr).not.toBe(routeTo(bound.daddr)?.src);
      expect(bound.expectedSource).toBe(bound.bindAddr);
      const unroutable = destinationFor(topo, 'unroutable', family);
      expect(routeTo(unroutable.daddr)).toBeUndefined();
    }
    expect(new Set(topo.destinations.map((d) => d.kind))).toEqual(new Set(DESTINATION_KINDS));
  });
});

describe('assertLabPrerequisites', () => {
  afterEach(() => setIpBinary('ip'));

  it('refuses a non-root user with a LabError that says to use sudo', async () => {
    await expect(assertLabPrerequisites(() => 1000)).rejects.toMatchObject({ name: 'LabError', code: 'not-root', message: expect.stringMatching(/sudo/) });
  });

  it('reports a missing ip binary with a LabError that says to install iproute2', async () => {
    setIpBinary('/nonexistent/srctrace-test/ip');
    await expect(assertLabPrerequisites(() => 0)).rejects.toMatchObject({ name: 'LabError', code: 'ip-missing', message: expect.stringMatching(/install iproute2/) });
  });
});
