// What of the lab exists right now, read back from the kernel (not from what
// labUp meant to do), compared against the topology.
import { ipJson, assertLabPrerequisites, listNamespaces } from './ip.js';
import { labTopology, DEFAULT_PREFIX, type LabFamily, type LabTopology } from './topology.js';

export interface LabLinkState {
  name: string;
  /** operstate as the kernel reports it: UP, DOWN, LOWERLAYERDOWN, UNKNOWN (lo) */
  state: string;
}

export interface LabAddressState {
  dev: string;
  family: LabFamily;
  address: string;
  prefixLen: number;
}

export interface LabRouteState {
  family: LabFamily;
  /** CIDR; "default" for a default route */
  dst: string;
  via: string | null;
  dev: string | null;
  src: string | null;
}

export interface LabNamespaceState {
  name: string;
  role: 'host' | 'rtr-a' | 'rtr-b';
  exists: boolean;
  links: LabLinkState[];
  addresses: LabAddressState[];
  routes: LabRouteState[];
}

export interface LabStatus {
  prefix: string;
  /** every namespace, link, address and route of the topology is there, and the host has no default route */
  complete: boolean;
  namespaces: LabNamespaceState[];
  /** what keeps the lab from being complete, one readable line each */
  missing: string[];
}

interface IpLink { ifname: string; operstate?: string }
interface IpAddr { ifname: string; addr_info?: { family: string; local: string; prefixlen: number; scope?: string }[] }
interface IpRoute { dst: string; gateway?: string; dev?: string; prefsrc?: string }

export async function labStatus(options: { prefix?: string } = {}): Promise<LabStatus> {
  const topo = labTopology(options.prefix ?? DEFAULT_PREFIX);
  await assertLabPrerequisites();
  const existing = new Set(await listNamespaces());
  const roles = [
    ['host', topo.namespaces.host],
    ['rtr-a', topo.namespaces.rtrA],
    ['rtr-b', topo.namespaces.rtrB],
  ] as const;
  const namespaces: LabNamespaceState[] = [];
  for (const [role, name] of roles) {
    namespaces.push(existing.has(name) ? await readNamespace(name, role) : { name, role, exists: false, links: [], addresses: [], routes: [] });
  }
  const missing = compare(topo, namespaces);
  return { prefix: topo.prefix, complete: missing.length === 0, namespaces, missing };
}

async function readNamespace(name: string, role: LabNamespaceState['role']): Promise<LabNamespaceState> {
  const links = ((await ipJson<IpLink>(['link', 'show'], { ns: name })) ?? []).map((l) => ({ name: l.ifname, state: l.operstate ?? 'UNKNOWN' }));
  const addresses: LabAddressState[] = [];
  for (const dev of (await ipJson<IpAddr>(['addr', 'show'], { ns: name })) ?? []) {
    for (const a of dev.addr_info ?? []) {
      if (a.scope === 'link' || a.scope === 'host') continue; // fe80::, 127.0.0.1, ::1
      addresses.push({ dev: dev.ifname, family: a.family === 'inet6' ? 6 : 4, address: a.local, prefixLen: a.prefixlen });
    }
  }
  const routes: LabRouteState[] = [];
  for (const family of [4, 6] as const) {
    for (const r of (await ipJson<IpRoute>([`-${family}`, 'route', 'show'], { ns: name })) ?? []) {
      if (r.dst.startsWith('fe80:') || r.dst.startsWith('multicast')) continue;
      routes.push({ family, dst: normaliseDst(r.dst, family), via: r.gateway ?? null, dev: r.dev ?? null, src: r.prefsrc ?? null });
    }
  }
  return { name, role, exists: true, links, addresses, routes };
}

// `ip -j route` prints host routes without their /32 or /128.
function normaliseDst(dst: string, family: LabFamily): string {
  if (dst === 'default' || dst.includes('/')) return dst;
  return `${dst}/${family === 4 ? 32 : 128}`;
}

function compare(topo: LabTopology, namespaces: LabNamespaceState[]): string[] {
  const missing: string[] = [];
  const byName = new Map(namespaces.map((n) => [n.name, n]));
  for (const n of namespaces) if (!n.exists) missing.push(`namespace ${n.name} does not exist`);
  const devs: [string, string][] = [
    [topo.namespaces.host, topo.uplinks.a.hostDev],
    [topo.namespaces.host, topo.uplinks.b.hostDev],
    [topo.namespaces.rtrA, topo.uplinks.a.routerDev],
    [topo.namespaces.rtrB, topo.uplinks.b.routerDev],
  ];
  for (const [ns, dev] of devs) {
    const state = byName.get(ns);
    if (!state?.exists) continue;
    const link = state.links.find((l) => l.name === dev);
    if (!link) missing.push(`link ${dev} missing in ${ns}`);
    else if (link.state !== 'UP') missing.push(`link ${dev} in ${ns} is ${link.state}, not UP`);
  }
  for (const a of topo.addresses) {
    const state = byName.get(a.ns);
    if (!state?.exists) continue;
    if (!state.addresses.some((x) => x.dev === a.dev && x.address === a.address && x.prefixLen === a.prefixLen)) {
      missing.push(`address ${a.address}/${a.prefixLen} missing on ${a.dev} in ${a.ns}`);
    }
  }
  for (const r of topo.routes) {
    const state = byName.get(r.ns);
    if (!state?.exists) continue;
    if (!state.routes.some((x) => x.dst === r.dst && x.via === r.via && x.dev === r.dev && x.src === r.src)) {
      missing.push(`route ${describeRoute(r)} missing in ${r.ns}`);
    }
  }
  const host = byName.get(topo.namespaces.host);
  for (const r of host?.routes ?? []) {
    if (r.dst === 'default') missing.push(`host namespace has a default route (${describeRoute(r)}): the unroutable destination would be reachable`);
  }
  return missing;
}

function describeRoute(r: { dst: string; via: string | null; dev: string | null; src: string | null }): string {
  return [r.dst, r.via && `via ${r.via}`, r.dev && `dev ${r.dev}`, r.src && `src ${r.src}`].filter(Boolean).join(' ');
}

export function renderLabStatus(status: LabStatus): string {
  const lines = [`lab ${status.prefix}: ${status.complete ? 'complete' : status.namespaces.some((n) => n.exists) ? 'INCOMPLETE' : 'down'}`];
  for (const n of status.namespaces) {
    lines.push(`  ${n.role.padEnd(5)} ${n.name}${n.exists ? '' : ' (absent)'}`);
    if (!n.exists) continue;
    const links = n.links.filter((l) => l.name !== 'lo').map((l) => `${l.name} ${l.state}`);
    if (links.length) lines.push(`    links:     ${links.join(', ')}`);
    for (const a of n.addresses) lines.push(`    address:   ${a.address}/${a.prefixLen} dev ${a.dev}`);
    for (const r of n.routes) if (r.via) lines.push(`    route:     ${describeRoute(r)}`);
  }
  for (const m of status.missing) lines.push(`  missing: ${m}`);
  return lines.join('\n');
}
