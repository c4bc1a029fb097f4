// Network namespace names, as `ip netns` gives them: /run/netns/NAME is a
// bind mount of the namespace, and its inode number is the one the probes
// report. The directory is read again when a record names a namespace the
// last read did not know, or when the last read is two seconds old by the
// records' own clock: namespaces come and go (a lab, a CNI plugin), and the
// kernel reuses a deleted namespace's inode number for a new one, so a name
// is never trusted for longer than that. A storm from one namespace costs one
// comparison per record. Namespaces without a name there (the host's own,
// most container runtimes') get null.
import { readdirSync, statSync } from 'node:fs';

const REREAD_NS = 2e9;

export class NetnsNames {
  /** By inode; null: looked for in the last read and not there. */
  private names = new Map<number, string | null>();
  private readAtNs = Number.NEGATIVE_INFINITY;
  private lastInode = -1;
  private lastName: string | null = null;

  constructor(private readonly dir = '/run/netns') {}

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

  private read(nowNs: number): void {
    this.readAtNs = nowNs;
    const names = new Map<number, string | null>();
    let entries: string[] = [];
    try {
      entries = readdirSync(this.dir);
    } catch {
      // No named namespaces on this host.
    }
    for (const e of entries) {
      try {
        names.set(statSync(`${this.dir}/${e}`).ino, e);
      } catch {
        // Deleted while we looked, or a file ip netns left unmounted.
      }
    }
    this.names = names;
  }
}
