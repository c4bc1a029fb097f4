// Which attempts are really still connecting, by the kernel's own socket table.
//
// At exit srctrace holds the attempts whose outcome it never saw. Most are
// still in SYN_SENT (a peer that does not answer yet). An attempt whose socket
// had already left SYN_SENT ended while the probes were attached, and they did
// not report how: an outcome lost on the kernel side (seen in CI with bpftrace
// 0.27, 256 refusals in one burst without a probe run and without a skipped
// run counted). Calling those "still awaiting an outcome" would hide the loss,
// so they are counted apart and their records say so.
//
// The tables are read just before the probes are stopped, not after: an
// attempt that ends after that read (while the probes still watch, or after
// they are gone) is no loss, and on a busy host some always do; attempts
// begun after the read make no claim. /proc/PID/net/tcp{,6} lists the
// sockets of that process's network namespace, so each namespace a process is
// in is read through one such process. The table's socket pointers are
// hashed (kptr_restrict), so attempts are matched by what they had at
// SYN_SENT, family, source, destination and destination port (the source port
// was assigned after), and counted per such tuple: with more attempts than
// SYN_SENT sockets in a tuple, the difference had ended; which of them is only
// known when none was left.
//
// A namespace no process is in (a lab's, once its client has exited) has no
// /proc/PID/net to read; if it has a name (ip netns, /run/netns/NAME), its
// tables are read from inside it (nsenter). Without that, the attempts of a
// client that had exited made no claim, and a burst of lost outcomes passed
// as "still awaiting an outcome" (pending-10k.test.ts, one CI run).
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { endianness } from 'node:os';
import type { StartEvent } from '../decode/events.js';
import { ipv6ToString, normaliseAddr } from '../decode/addr.js';
import { netnsOfLink } from './netns-names.js';

const TCP_SYN_SENT = '02';

/** The key an attempt and a SYN_SENT socket share. */
export function tupleKey(family: 4 | 6, saddr: string, daddr: string, dport: number): string {
  return `${family} ${saddr} ${daddr} ${dport}`;
}

/** One address of /proc/net/tcp{,6}: 8 or 32 hex digits, each 32-bit word in host byte order. */
function procAddr(hex: string, littleEndian: boolean): { addr: string; family: 4 | 6 } {
  const bytes = new Uint8Array(hex.length / 2);
  for (let w = 0; w < bytes.length; w += 4) {
    for (let i = 0; i < 4; i++) {
      const b = parseInt(hex.slice((w + i) * 2, (w + i) * 2 + 2), 16);
      bytes[littleEndian ? w + 3 - i : w + i] = b;
    }
  }
  if (bytes.length === 4) return { addr: bytes.join('.'), family: 4 };
  return normaliseAddr(ipv6ToString(bytes)); // IPv4-mapped: family 4, as the records have it
}

/** SYN_SENT sockets in the text of /proc/net/tcp or tcp6, as tuple keys with their counts. */
export function synSentTuples(text: string, into = new Map<string, number>(), littleEndian = endianness() === 'LE'): Map<string, number> {
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4 || f[3] !== TCP_SYN_SENT) continue;
    const [lhex] = f[1]!.split(':');
    const [rhex, rport] = f[2]!.split(':');
    if (!lhex || !rhex || !rport || lhex.length !== rhex.length || (lhex.length !== 8 && lhex.length !== 32)) continue;
    const src = procAddr(lhex, littleEndian);
    const dst = procAddr(rhex, littleEndian);
    const key = tupleKey(dst.family, src.addr, dst.addr, parseInt(rport, 16));
    into.set(key, (into.get(key) ?? 0) + 1);
  }
  return into;
}

/** The SYN_SENT tuples of network namespace `netns`, read through process `pid`; null when it is gone or elsewhere (a recycled pid). */
export type SynSentReader = (pid: number, netns: number) => Map<string, number> | null;

/** A reader of /proc (tests pass a directory laid out like it). */
export function synSentReader(proc = '/proc'): SynSentReader {
  return (pid, netns) => {
    const dir = `${proc}/${pid}`;
    try {
      if (readlinkSync(`${dir}/ns/net`) !== `net:[${netns}]`) return null;
      const tuples = synSentTuples(readFileSync(`${dir}/net/tcp`, 'latin1'));
      let v6 = '';
      try {
        v6 = readFileSync(`${dir}/net/tcp6`, 'latin1');
      } catch {
        readlinkSync(`${dir}/ns/net`); // throws if the process exited meanwhile; else a kernel without IPv6
      }
      return synSentTuples(v6, tuples);
    } catch {
      return null; // exited meanwhile: no claim either way
    }
  };
}

export const readSynSent = synSentReader();

/** SYN_SENT tuples of named namespaces (by inode) not in `skip` (and in `only`, when given). */
export type NamedNetnsReader = (skip: ReadonlySet<number>, only?: ReadonlySet<number>) => Map<number, Map<string, number>>;

/**
 * Reads /proc/net/tcp{,6} from inside each namespace named in `dir`, up to
 * `limit` of them (one nsenter each, at stop: a host with hundreds of named
 * namespaces and no process in them is not kept waiting).
 */
export function namedNetnsReader(dir = '/run/netns', limit = 32): NamedNetnsReader {
  return (skip, only) => {
    const out = new Map<number, Map<string, number>>();
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return out; // no named namespaces
    }
    for (const name of names) {
      if (out.size >= limit) break;
      const path = `${dir}/${name}`;
      try {
        const ino = statSync(path).ino;
        if (skip.has(ino) || out.has(ino) || (only && !only.has(ino))) continue;
        // cat exits 1 when tcp6 is missing (no IPv6) but has printed tcp.
        const r = spawnSync('nsenter', [`--net=${path}`, 'cat', '/proc/net/tcp', '/proc/net/tcp6'], { encoding: 'latin1', timeout: 5000 });
        if (r.error || (r.status !== 0 && r.status !== 1) || !r.stdout.includes('local_address')) continue;
        out.set(ino, synSentTuples(r.stdout));
      } catch {
        // removed meanwhile, or a file ip netns left unmounted
      }
    }
    return out;
  };
}

export const readNamedNetns = namedNetnsReader();

/** The SYN_SENT sockets of every network namespace with a process in it (and of named ones without), at one moment. */
export interface SynSentSnapshot {
  /** CLOCK_MONOTONIC ns of the read (the probes' clock). */
  atNs: number;
  tables: Map<number, Map<string, number>>;
}

/** Up to three pids per network namespace inode, from /proc/PID/ns/net. */
export type NetnsScan = () => Map<number, number[]>;

export const scanNetns: NetnsScan = () => {
  const out = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const netns = netnsOfLink(readlinkSync(`/proc/${name}/ns/net`));
      if (netns === null) continue;
      const pids = out.get(netns);
      if (!pids) out.set(netns, [Number(name)]);
      else if (pids.length < 3) pids.push(Number(name));
    } catch {
      // exited meanwhile
    }
  }
  return out;
};

/**
 * Reads the table of every namespace a process is in now, each through one
 * of its processes (a few are tried: one may exit meanwhile), and of every
 * named namespace no process is in, from inside it; with `only`, of those
 * namespaces alone.
 * Done as tracing stops (every namespace: a /proc scan and one read per
 * namespace), and while it runs for the namespaces of long-pending
 * attempts (pend-watch.ts), every 10 s at most.
 */
export interface SnapshotOptions {
  /** Read only these namespaces (by inode). */
  only?: ReadonlySet<number>;
  /** The readers (tests pass their own). */
  read?: SynSentReader;
  scan?: NetnsScan;
  named?: NamedNetnsReader;
}

export function synSentSnapshot(atNs: number, { only, read = readSynSent, scan = scanNetns, named = readNamedNetns }: SnapshotOptions = {}): SynSentSnapshot {
  const tables = new Map<number, Map<string, number>>();
  const withProcesses = scan();
  for (const [netns, pids] of withProcesses) {
    if (only && !only.has(netns)) continue;
    for (const pid of pids) {
      const t = read(pid, netns);
      if (t) {
        tables.set(netns, t);
        break;
      }
    }
  }
  for (const [netns, t] of named(new Set(withProcesses.keys()), only)) tables.set(netns, t);
  return { atNs, tables };
}

export interface UnseenEnds {
  /** Attempts whose socket had certainly left SYN_SENT (none of their tuple was left). */
  ended: Set<StartEvent>;
  /** How many had left SYN_SENT, counted per tuple (at least ended.size). */
  count: number;
  /** Attempts whose tuple the table still had in SYN_SENT: each may be still connecting (which ones, when fewer, is not known). */
  connecting: Set<StartEvent>;
}

/**
 * Of `starts` (attempts still without an outcome at exit), those whose socket
 * had already left SYN_SENT when `snap` was read. Attempts begun after the
 * read, or in a namespace the snapshot has no table for, make no claim.
 */
export function unseenEnds(starts: readonly StartEvent[], snap: SynSentSnapshot): UnseenEnds {
  const byTuple = new Map<string, { table: Map<string, number>; key: string; group: StartEvent[] }>();
  for (const s of starts) {
    const table = snap.tables.get(s.netns);
    if (!table || s.ts >= snap.atNs) continue;
    const key = tupleKey(s.family, s.saddr, s.daddr, s.dport);
    const id = `${s.netns} ${key}`;
    const entry = byTuple.get(id);
    if (entry) entry.group.push(s);
    else byTuple.set(id, { table, key, group: [s] });
  }
  const out: UnseenEnds = { ended: new Set(), count: 0, connecting: new Set() };
  for (const { table, key, group } of byTuple.values()) {
    const still = table.get(key) ?? 0;
    out.count += Math.max(0, group.length - still);
    for (const s of group) (still === 0 ? out.ended : out.connecting).add(s);
  }
  return out;
}
