// `--pid PID --children`: is a connecting process PID's descendant? A
// service's main process often makes no connection itself (nginx's master,
// a shell script): its workers and children do. A record carries its
// process's parent at connect time (ppid), which answers for a child even
// after it exited. Further up, each ancestor's parent comes from the forks
// seen while tracing (bpf/process-fork.bt: they outlive the processes, as a
// subshell that forked the command and went), and from a snapshot of every
// process's parent taken when the probes are attached (snapshot(): a
// process forked before tracing may exit before its child's record is made),
// else from /proc/PID/stat as of now. Answers are kept 2 s, by
// wall time: a storm from one process costs one walk every 2 s, and a pid
// that exits and comes back as another process's (pid reuse) is asked about
// again soon. A process forked before tracing whose parent has exited was
// reparented (to init or a subreaper) and is no longer found below it.
import { readdirSync, readFileSync } from 'node:fs';

const KEEP_MS = 2000;
/** Deeper chains are not walked: a guard against a loop through reused pids. */
const MAX_DEPTH = 64;
/** Forks remembered (the oldest go first): minutes of a busy host's forks. */
const MAX_FORKS = 100_000;

/** The parent pid of `pid` from /proc/PID/stat, null when it has exited. */
export function procPpid(pid: number, proc = '/proc'): number | null {
  try {
    const stat = readFileSync(`${proc}/${pid}/stat`, 'latin1');
    // The name in parentheses may hold spaces and ")": the fields follow its last ")".
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return Number.isInteger(ppid) ? ppid : null;
  } catch {
    return null;
  }
}

export class Descendants {
  private readonly roots: ReadonlySet<number>;
  private readonly known = new Map<number, { inTree: boolean; atMs: number }>();
  /** Parent by child, from the forks seen while tracing (a pid forked again is its newest parent). */
  private readonly forks = new Map<number, number>();

  constructor(roots: readonly number[], private readonly parentOf: (pid: number) => number | null = procPpid, private readonly nowMs = () => performance.now()) {
    this.roots = new Set(roots);
  }

  /**
   * Every process's parent now, from /proc: called once the probes are
   * attached, so each process forked before tracing has its parent on record
   * even after it exits (forks seen since are newer and stand).
   */
  snapshot(proc = '/proc'): void {
    let pids: string[];
    try {
      pids = readdirSync(proc).filter((e) => /^\d+$/.test(e));
    } catch {
      return; // no /proc: the walk reads it per record, or finds nothing
    }
    for (const p of pids) {
      const pid = Number(p);
      if (this.forks.has(pid)) continue;
      const parent = this.parentOf(pid);
      if (parent !== null) this.forks.set(pid, parent);
    }
  }

  /** Process `parent` forked `child` (a thread's id too: harmless). */
  onFork(parent: number, child: number): void {
    this.forks.delete(child); // to the end of the insertion order: the newest
    this.forks.set(child, parent);
    if (this.forks.size > MAX_FORKS) this.forks.delete(this.forks.keys().next().value!);
    const k = this.known.get(child);
    if (k && !k.inTree) this.known.delete(child); // a new process with that pid: ask again
  }

  /** Whether `pid`, whose parent was `ppid` when it connected, is one of the roots or below one. */
  has(pid: number, ppid: number): boolean {
    if (this.roots.has(pid)) return true;
    const now = this.nowMs();
    const hit = this.known.get(pid);
    if (hit && now - hit.atMs < KEEP_MS) return hit.inTree;
    const chain = [pid];
    let inTree = false;
    for (let cur: number | null = ppid, depth = 0; cur !== null && cur > 0 && depth < MAX_DEPTH; depth++) {
      if (this.roots.has(cur)) {
        inTree = true;
        break;
      }
      const k = this.known.get(cur);
      if (k && now - k.atMs < KEEP_MS) {
        inTree = k.inTree;
        break;
      }
      if (cur === 1) break; // init: the top, and not a root
      chain.push(cur);
      cur = this.forks.get(cur) ?? this.parentOf(cur);
    }
    if (this.known.size > 65536) this.known.clear(); // a bound, long before it matters
    for (const p of chain) this.known.set(p, { inTree, atMs: now });
    return inTree;
  }
}
