// Whether the route a connection used has a `src` attribute: the difference
// between "the route says to send from this address" and "the route says
// nothing, so the kernel took an address of the egress device" (IPv4), or the
// one RFC 6724 source selection preferred (IPv6), which is the question
// srctrace's users ask most. The socket's cached route (`dev`, `gateway`)
// does not hold it: the FIB entry does. So the route is looked up again in
// the record's namespace as the record is made (`ip route get fibmatch`, the
// kernel's own lookup, which prints the matching entry), and believed only if
// it is still the route the socket used: same device, same next hop, and a
// `src` that is the record's source if it has one. Anything else (the route
// changed since, as when an uplink fails; the namespace is gone) answers null.
//
// The lookup goes by what the kernel's did when it picked the source (the
// first of ip_route_connect()'s lookups, made with no source address yet):
// destination, user, protocol and port, the socket's mark (policy routing by
// fwmark), its TOS (IPv4 routes and rules can select by it), for a socket
// bound to a device that device (SO_BINDTODEVICE, or a link-local peer's
// scope; a VRF's table is found through its member device), and the source
// port only when the application bound one: an ephemeral port is picked
// after that lookup, so it went by port 0, as `ip route get` does.
//
// A lookup costs a process (about 3 ms), so answers are kept per namespace,
// destination, user, port, mark, device, bound port and TOS for 2 s of record time, and at most
// LOOKUPS_PER_SECOND lookups are made a second of record time: a connect
// scan to thousands of destinations gets null for most, not a stalled agent.
import { spawnSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { ownNetnsInode } from './netns-names.js';

const KEEP_NS = 2e9;
const LOOKUPS_PER_SECOND = 20;
const MAX_CACHED = 4096;

/** The FIB entry `ip route get fibmatch` printed. */
export interface FibEntry { dev: string; gateway: string | null; prefsrc: string | null }

/** What to look up, and where: `nsPath` is a namespace file to enter, null for srctrace's own. */
export interface RouteQuery {
  nsPath: string | null; family: 4 | 6; daddr: string; uid: number; dport: number;
  /** The socket's mark (0: none) and, for a socket bound to a device, that device (the egress one): the lookup goes by both, as the kernel's did. */
  mark: number; oif: string | null;
  /** The source port the application bound (null: none, the kernel's lookup went by 0), and the socket's TOS byte (0: none; IPv4 only). */
  sport: number | null; tos: number;
}

/** Runs the lookup: the entry, null when there is no route, undefined when it could not be made (then it is not kept). */
export type FibLookup = (q: RouteQuery) => FibEntry | null | undefined;

/** The command line of the lookup: `ip -j route get fibmatch`, through nsenter when the namespace is not ours. */
export function ipFibmatchArgs(q: RouteQuery): string[] {
  const ip = ['ip', '-j', `-${q.family}`, 'route', 'get', 'fibmatch', q.daddr, 'uid', String(q.uid), 'ipproto', 'tcp', 'dport', String(q.dport)];
  if (q.sport !== null) ip.push('sport', String(q.sport));
  if (q.mark !== 0) ip.push('mark', String(q.mark));
  if (q.oif !== null) ip.push('oif', q.oif);
  // The kernel routes by the DSCP bits (the ECN bits are not the application's to route by, and ip rejects them).
  if (q.family === 4 && (q.tos & 0xfc) !== 0) ip.push('tos', `0x${(q.tos & 0xfc).toString(16)}`);
  return q.nsPath === null ? ip : ['nsenter', `--net=${q.nsPath}`, ...ip];
}

/** The real lookup. */
export const ipFibmatch: FibLookup = (q) => {
  const [cmd, ...args] = ipFibmatchArgs(q);
  const r = spawnSync(cmd!, args, { encoding: 'utf8', timeout: 2000 });
  // nsenter's own failures (the namespace file went away with its process) are no answer; ip's (no route) are.
  if (r.error || (r.status !== 0 && /^nsenter:/m.test(r.stderr))) return undefined;
  return r.status === 0 ? parseFibmatch(r.stdout) : null;
};

/** The first entry of `ip -j route get fibmatch` output, or null. */
export function parseFibmatch(json: string): FibEntry | null {
  try {
    const [e] = JSON.parse(json) as { dev?: unknown; gateway?: unknown; via?: { host?: unknown }; prefsrc?: unknown }[];
    if (!e || typeof e.dev !== 'string') return null;
    // An IPv4 route with an IPv6 next hop (RFC 5549) prints it as "via": {"family": "inet6", "host": ...}.
    const gateway = typeof e.gateway === 'string' ? e.gateway : typeof e.via?.host === 'string' ? e.via.host : null;
    return { dev: e.dev, gateway, prefsrc: typeof e.prefsrc === 'string' ? e.prefsrc : null };
  } catch {
    return null;
  }
}

/** The fields of a record the answer depends on. */
export interface RouteFacts {
  netns: number; pid: number; family: 4 | 6; uid: number;
  saddr: string; daddr: string; dport: number; dev: string; gateway: string | null;
  /** The socket's mark, and whether it was bound to a device (then `dev`, or a VRF over it: the lookup uses `dev`). */
  mark: number; devBound: boolean;
  /** The source port when the application bound it, else null; the socket's TOS byte. */
  boundSport: number | null; tos: number;
}

/** Where a namespace can be entered: a file of it, or null for srctrace's own. */
export type NsPathOf = (netns: number, pid: number) => string | null | undefined;

export class RouteSrc {
  private cache = new Map<string, { atNs: number; entry: FibEntry | null }>();
  private budget = LOOKUPS_PER_SECOND;
  private budgetAtNs = Number.NEGATIVE_INFINITY;
  private last: { netns: number; family: 4 | 6; daddr: string; uid: number; dport: number; mark: number; oif: string | null; sport: number | null; tos: number; atNs: number; entry: FibEntry | null } | null = null;

  constructor(private readonly nsPath: NsPathOf, private readonly lookup: FibLookup = ipFibmatch) {}

  /**
   * For a record whose source came from its route: true when that route has
   * a `src` and it is the record's source, false when it has none, null when
   * not known. `nowNs` is the record's kernel time.
   */
  of(f: RouteFacts, nowNs: number): boolean | null {
    if (f.family === 6 && !f.devBound && /^fe80:/i.test(f.daddr)) return null; // link-local: the lookup needs the device (the scope binds the socket to it)
    const e = this.entry(f, nowNs);
    if (!e || e.dev !== f.dev || e.gateway !== f.gateway) return null; // not (any longer) the socket's route
    if (e.prefsrc === null) return false;
    return e.prefsrc === f.saddr ? true : null;
  }

  private entry(f: RouteFacts, nowNs: number): FibEntry | null {
    // A storm repeats one destination record after record: answered without building a key.
    const l = this.last;
    const oif = f.devBound ? f.dev : null;
    if (l && l.netns === f.netns && l.daddr === f.daddr && l.dport === f.dport && l.uid === f.uid && l.family === f.family && l.mark === f.mark && l.oif === oif &&
      l.sport === f.boundSport && l.tos === f.tos && Math.abs(nowNs - l.atNs) < KEEP_NS) return l.entry;
    const key = `${f.netns} ${f.family} ${f.daddr} ${f.uid} ${f.dport} ${f.mark} ${oif ?? ''} ${f.boundSport ?? ''} ${f.tos}`;
    let hit = this.cache.get(key);
    if (!hit || Math.abs(nowNs - hit.atNs) >= KEEP_NS) {
      const entry = this.fresh(f, oif, nowNs);
      if (entry === undefined) return null; // over budget, or no way in: asked again next time, not kept
      hit = { atNs: nowNs, entry };
      if (this.cache.size >= MAX_CACHED) this.cache = new Map();
      this.cache.set(key, hit);
    }
    this.last = { netns: f.netns, family: f.family, daddr: f.daddr, uid: f.uid, dport: f.dport, mark: f.mark, oif, sport: f.boundSport, tos: f.tos, atNs: hit.atNs, entry: hit.entry };
    return hit.entry;
  }

  /** A lookup now, or undefined when none may be made. */
  private fresh(f: RouteFacts, oif: string | null, nowNs: number): FibEntry | null | undefined {
    if (Math.abs(nowNs - this.budgetAtNs) >= 1e9) {
      this.budget = LOOKUPS_PER_SECOND;
      this.budgetAtNs = nowNs;
    }
    if (this.budget <= 0) return undefined;
    const nsPath = this.nsPath(f.netns, f.pid);
    if (nsPath === undefined) return undefined; // a namespace srctrace cannot enter (any more)
    this.budget--;
    return this.lookup({ nsPath, family: f.family, daddr: f.daddr, uid: f.uid, dport: f.dport, mark: f.mark, oif, sport: f.boundSport, tos: f.tos });
  }
}

/**
 * Where to enter namespace `netns`: nowhere (null) when it is srctrace's own;
 * else a named file of it (`named`, from /run/netns or Docker's), which stays
 * while the namespace does; else the connecting process's /proc/PID/ns/net
 * while it is still in it (it may exit before nsenter opens it: then the
 * lookup is no answer, not "no route"); else undefined.
 */
export function nsPathFinder(named: (netns: number) => string | null, own = ownNetnsInode(), proc = '/proc'): NsPathOf {
  return (netns, pid) => {
    if (netns === own) return null;
    const file = named(netns);
    if (file !== null) return file;
    const path = `${proc}/${pid}/ns/net`;
    try {
      if (readlinkSync(path) === `net:[${netns}]`) return path;
    } catch {
      // exited
    }
    return undefined;
  };
}
