// The one description of the multihomed lab. Set-up, status, traffic and the
// tests all read names, addresses and expected sources from here, so nothing is
// written down twice.
import type { Outcome } from '../model/record.js';
import { LabError } from './errors.js';

export type LabFamily = 4 | 6;

/** What a lab connection attempt exercises. */
export type DestinationKind =
  /** host route via rtr-a that carries `src <service address>` */
  | 'with-src'
  /** host route via rtr-b without `src`: the kernel takes the uplink's address */
  | 'without-src'
  /** the with-src destination, but the client bind()s the rtr-b uplink address first */
  | 'bound'
  /** the with-src destination on a port nobody listens on */
  | 'closed-port'
  /** an address the host has no route to (and no default route) */
  | 'unroutable';

export const DESTINATION_KINDS: readonly DestinationKind[] = ['with-src', 'without-src', 'bound', 'closed-port', 'unroutable'];

export interface LabAddressPair {
  v4: string;
  v6: string;
}

export interface LabUplink {
  /** 'a' reaches rtr-a, 'b' reaches rtr-b */
  name: 'a' | 'b';
  /** veth end in the host namespace */
  hostDev: string;
  /** veth end in the router namespace */
  routerDev: string;
  routerNs: string;
  /** host side of the link (no prefix length) */
  host: LabAddressPair;
  /** router side of the link, the host's gateway */
  router: LabAddressPair;
  v4PrefixLen: number;
  v6PrefixLen: number;
}

export interface LabRoute {
  ns: string;
  family: LabFamily;
  /** CIDR, e.g. 198.18.1.0/24 */
  dst: string;
  via: string;
  dev: string;
  /** prefsrc, or null when the kernel has to pick */
  src: string | null;
}

export interface LabAddress {
  ns: string;
  dev: string;
  family: LabFamily;
  address: string;
  prefixLen: number;
}

export interface LabDestination {
  kind: DestinationKind;
  family: LabFamily;
  daddr: string;
  dport: number;
  /** address the client bind()s before connect(), null for none */
  bindAddr: string | null;
  /** namespace that owns daddr, null when nobody should answer */
  ownerNs: string | null;
  /** source address the kernel must pick; null when connect() fails before choosing one */
  expectedSource: string | null;
  expectedOutcome: Outcome;
  /** symbolic errno the client must see, null on success */
  expectedError: string | null;
  why: string;
}

export interface LabTopology {
  prefix: string;
  namespaces: { host: string; rtrA: string; rtrB: string };
  /** service address on the host's loopback */
  service: LabAddressPair;
  uplinks: { a: LabUplink; b: LabUplink };
  /** addresses the routers own on their loopback */
  targets: { withSrc: LabAddressPair; withoutSrc: LabAddressPair; unroutable: LabAddressPair };
  listenPort: number;
  closedPort: number;
  /** every address the lab configures, including the router loopbacks */
  addresses: LabAddress[];
  /** every route the lab configures, host and return routes */
  routes: LabRoute[];
  /** one entry per kind and family */
  destinations: LabDestination[];
}

export const DEFAULT_PREFIX = 'srct';

// Longest suffix is "-dna": prefix (10) + 4 stays within IFNAMSIZ - 1 = 15.
const PREFIX_RE = /^[a-z][a-z0-9]{0,9}$/;

export function validatePrefix(prefix: string): string {
  if (!PREFIX_RE.test(prefix)) {
    throw new LabError(
      'bad-prefix',
      `invalid lab prefix ${JSON.stringify(prefix)}: use 1-10 lower-case letters or digits, starting with a letter (default "${DEFAULT_PREFIX}")`,
    );
  }
  return prefix;
}

export function labTopology(prefix: string = DEFAULT_PREFIX): LabTopology {
  validatePrefix(prefix);
  const namespaces = { host: `${prefix}-host`, rtrA: `${prefix}-rtra`, rtrB: `${prefix}-rtrb` };
  const service = { v4: '192.0.2.1', v6: '2001:db8:53::1' };
  const uplinks: LabTopology['uplinks'] = {
    a: {
      name: 'a', hostDev: `${prefix}-upa`, routerDev: `${prefix}-dna`, routerNs: namespaces.rtrA,
      host: { v4: '198.51.100.2', v6: '2001:db8:a::2' }, router: { v4: '198.51.100.1', v6: '2001:db8:a::1' },
      v4PrefixLen: 24, v6PrefixLen: 64,
    },
    b: {
      name: 'b', hostDev: `${prefix}-upb`, routerDev: `${prefix}-dnb`, routerNs: namespaces.rtrB,
      host: { v4: '203.0.113.2', v6: '2001:db8:b::2' }, router: { v4: '203.0.113.1', v6: '2001:db8:b::1' },
      v4PrefixLen: 24, v6PrefixLen: 64,
    },
  };
  const targets = {
    withSrc: { v4: '198.18.1.1', v6: '2001:db8:1::1' },
    withoutSrc: { v4: '198.18.2.1', v6: '2001:db8:2::1' },
    // Owned by rtr-a so the failure is the host's missing route, not a missing peer.
    unroutable: { v4: '198.18.99.1', v6: '2001:db8:99::1' },
  };
  const listenPort = 8080;
  const closedPort = 8081;
  const { a, b } = uplinks;

  const addresses: LabAddress[] = [];
  const addPair = (ns: string, dev: string, pair: LabAddressPair, len4: number, len6: number) => {
    addresses.push({ ns, dev, family: 4, address: pair.v4, prefixLen: len4 });
    addresses.push({ ns, dev, family: 6, address: pair.v6, prefixLen: len6 });
  };
  addPair(namespaces.host, 'lo', service, 32, 128);
  addPair(namespaces.host, a.hostDev, a.host, a.v4PrefixLen, a.v6PrefixLen);
  addPair(namespaces.host, b.hostDev, b.host, b.v4PrefixLen, b.v6PrefixLen);
  addPair(namespaces.rtrA, a.routerDev, a.router, a.v4PrefixLen, a.v6PrefixLen);
  addPair(namespaces.rtrA, 'lo', targets.withSrc, 32, 128);
  addPair(namespaces.rtrA, 'lo', targets.unroutable, 32, 128);
  addPair(namespaces.rtrB, b.routerDev, b.router, b.v4PrefixLen, b.v6PrefixLen);
  addPair(namespaces.rtrB, 'lo', targets.withoutSrc, 32, 128);

  const routes: LabRoute[] = [
    // The host's only routes beyond its connected links: no default route.
    { ns: namespaces.host, family: 4, dst: '198.18.1.0/24', via: a.router.v4, dev: a.hostDev, src: service.v4 },
    { ns: namespaces.host, family: 6, dst: '2001:db8:1::/64', via: a.router.v6, dev: a.hostDev, src: service.v6 },
    { ns: namespaces.host, family: 4, dst: '198.18.2.0/24', via: b.router.v4, dev: b.hostDev, src: null },
    { ns: namespaces.host, family: 6, dst: '2001:db8:2::/64', via: b.router.v6, dev: b.hostDev, src: null },
  ];
  // Return routes: each router reaches the service address and the other uplink's
  // host address through its own link, so bound and with-src replies come back.
  for (const up of [a, b]) {
    const other = up === a ? b : a;
    for (const dst of [service, other.host]) {
      routes.push({ ns: up.routerNs, family: 4, dst: `${dst.v4}/32`, via: up.host.v4, dev: up.routerDev, src: null });
      routes.push({ ns: up.routerNs, family: 6, dst: `${dst.v6}/128`, via: up.host.v6, dev: up.routerDev, src: null });
    }
  }

  const destinations: LabDestination[] = [];
  for (const family of [4, 6] as const) {
    const pick = (p: LabAddressPair) => (family === 4 ? p.v4 : p.v6);
    destinations.push(
      {
        kind: 'with-src', family, daddr: pick(targets.withSrc), dport: listenPort, bindAddr: null,
        ownerNs: namespaces.rtrA, expectedSource: pick(service), expectedOutcome: 'established', expectedError: null,
        why: 'route via rtr-a has src: the service address on lo',
      },
      {
        kind: 'without-src', family, daddr: pick(targets.withoutSrc), dport: listenPort, bindAddr: null,
        ownerNs: namespaces.rtrB, expectedSource: pick(b.host), expectedOutcome: 'established', expectedError: null,
        why: 'route via rtr-b has no src: the address of the egress uplink',
      },
      {
        kind: 'bound', family, daddr: pick(targets.withSrc), dport: listenPort, bindAddr: pick(b.host),
        ownerNs: namespaces.rtrA, expectedSource: pick(b.host), expectedOutcome: 'established', expectedError: null,
        why: 'explicit bind() to the rtr-b uplink address wins over the route src',
      },
      {
        kind: 'closed-port', family, daddr: pick(targets.withSrc), dport: closedPort, bindAddr: null,
        ownerNs: namespaces.rtrA, expectedSource: pick(service), expectedOutcome: 'refused', expectedError: 'ECONNREFUSED',
        why: 'same route as with-src; rtr-a answers the SYN with RST',
      },
      {
        kind: 'unroutable', family, daddr: pick(targets.unroutable), dport: listenPort, bindAddr: null,
        ownerNs: null, expectedSource: null, expectedOutcome: 'unreachable', expectedError: 'ENETUNREACH',
        why: 'no host route and no default route: connect() fails before a source is chosen',
      },
    );
  }

  return { prefix, namespaces, service, uplinks, targets, listenPort, closedPort, addresses, routes, destinations };
}

export function labNamespaces(topo: LabTopology): string[] {
  return [topo.namespaces.host, topo.namespaces.rtrA, topo.namespaces.rtrB];
}

/** The expected destination of one kind and family (every pair exists). */
export function destinationFor(topo: LabTopology, kind: DestinationKind, family: LabFamily): LabDestination {
  const found = topo.destinations.find((d) => d.kind === kind && d.family === family);
  if (!found) throw new Error(`lab topology has no ${kind} destination for IPv${family}`);
  return found;
}
