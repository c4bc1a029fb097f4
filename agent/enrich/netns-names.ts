// Network namespace names, as `ip netns` gives them: /run/netns/NAME is a
// bind mount of the namespace, and its inode number is the one the probes
// report. The directory is read again when a record names a namespace the
// last read did not know, or when the last read is two seconds old by the
// records' own clock: namespaces come and go (a lab, a CNI plugin), and the
// kernel reuses a deleted namespace's inode number for a new one, so a name
// is never trusted for longer than that. A storm from one namespace costs one
// comparison per record. Docker keeps its containers' namespaces out of
// `ip netns`, under /run/docker/netns/SANDBOX: those are named
// "docker:CONTAINER" after the container that made it (docker-names.ts),
// or "docker:SANDBOX" when no container config names it. Docker's
// own link to the host's namespace there ("default") is not a container's,
// so the host's namespace stays unnamed. Namespaces without a name (the
// host's own, other runtimes' that do not use /run/netns) get null.
import { readdirSync, readlinkSync, statSync } from 'node:fs';
import { dockerNamer } from './docker-names.js';

const REREAD_NS = 2e9;

/**
 * A directory of namespace bind mounts, what its names are prefixed with,
 * and what turns an entry into a name (the entry itself when absent).
 */
export interface NetnsDir { dir: string; prefix: string; label?: (entry: string) => string }

export const NETNS_DIRS: readonly NetnsDir[] = [
  { dir: '/run/netns', prefix: '' },
  { dir: '/run/docker/netns', prefix: 'docker:', label: dockerNamer() },
];

/** The inode in a /proc/PID/ns/net link's text ("net:[4026531840]"), or null. */
export function netnsOfLink(link: string): number | null {
  const m = /^net:\[(\d+)\]$/.exec(link);
  return m ? Number(m[1]) : null;
}

/** This process's own network namespace inode (the host's, for srctrace), or -1. */
export function ownNetnsInode(): number {
  try {
    return netnsOfLink(readlinkSync('/proc/self/ns/net')) ?? -1;
  } catch {
    return -1; // no /proc: nothing to leave out
  }
}

export class NetnsNames {
  /** By inode; null: looked for in the last read and not there. */
  private names = new Map<number, string | null>();
  /** The file each named namespace was found as, by inode (from the last read). */
  private paths = new Map<number, string>();
  private readAtNs = Number.NEGATIVE_INFINITY;
  private lastInode = -1;
  private lastName: string | null = null;

  private readonly dirs: readonly NetnsDir[];

  /**
   * `dirs` is one directory (names as they are) or several; `hostNetns` is
   * the inode no prefixed directory may name (tests pass their own).
   */
  constructor(dirs: string | readonly NetnsDir[] = NETNS_DIRS, private readonly hostNetns = ownNetnsInode()) {
    this.dirs = typeof dirs === 'string' ? [{ dir: dirs, prefix: '' }] : dirs;
  }

  /** The name of namespace `inode` for a record made at kernel time `nowNs`, or null. */
  name(inode: number, nowNs: number): string | null {
    const stale = Math.abs(nowNs - this.readAtNs) >= REREAD_NS;
    if (stale) this.read(nowNs);
    else if (inode === this.lastInode) return this.lastName;
    let name = this.names.get(inode);
    if (name === undefined) {
      // A namespace the last read did not know: perhaps new. Read again (if
      // that read was not just now); if still unnamed, remember that until
      // the next read.
      if (!stale) this.read(nowNs);
      name = this.names.get(inode) ?? null;
      this.names.set(inode, name);
    }
    this.lastInode = inode;
    this.lastName = name;
    return name;
  }

  /** A file of namespace `inode` (its /run/netns or Docker entry) as of the last read, or null. */
  path(inode: number): string | null {
    return this.paths.get(inode) ?? null;
  }

  private read(nowNs: number): void {
    this.readAtNs = nowNs;
    const names = new Map<number, string | null>();
    const paths = new Map<number, string>();
    for (const { dir, prefix, label } of this.dirs) {
      let entries: string[];
      try {
        entries = readdirSync(dir);
      } catch {
        continue; // no such namespaces on this host
      }
      for (const e of entries) {
        try {
          const ino = statSync(`${dir}/${e}`).ino;
          // An earlier directory's name stands (ip netns names are the operator's own).
          if (names.has(ino) || (prefix && ino === this.hostNetns)) continue;
          names.set(ino, `${prefix}${label ? label(e) : e}`);
          paths.set(ino, `${dir}/${e}`);
        } catch {
          // Deleted while we looked, or a file left unmounted.
        }
      }
    }
    this.names = names;
    this.paths = paths;
  }
}
