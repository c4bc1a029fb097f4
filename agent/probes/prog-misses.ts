// Probe runs the kernel skipped. A BPF tracing program does not run when it
// fires while a BPF program (for raw tracepoints: the same program) is already
// running on that CPU, e.g. an outcome in softirq interrupting the SYN_SENT
// probe in process context. Such a skipped run is invisible to the program
// itself (a connect without its start or outcome), so the kernel's own count
// (recursion_misses in the fdinfo of each program fd, Linux 5.12+) is the only
// witness: the tracer reports it as possible kernel loss.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** How a "lost" record for skipped probe runs begins (readers tell possible loss from certain loss by it). */
export const SKIPPED_RUNS = 'the kernel skipped probe runs';

/** One BPF program's counters from its fdinfo (run time and count need kernel.bpf_stats_enabled). */
export interface ProgCounters {
  id: number;
  runNs: number;
  runs: number;
  /** null when the kernel does not count skipped runs (before 5.12). */
  recursionMisses: number | null;
}

/** The counters of every BPF program `pid` holds open; null if pid is gone. */
export function progCounters(pid: number): ProgCounters[] | null {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return null;
  }
  const out: ProgCounters[] = [];
  for (const fd of fds) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`) !== 'anon_inode:bpf-prog') continue;
      const info = readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
      const field = (name: string) => {
        const m = new RegExp(`^${name}:\\s*(\\d+)$`, 'm').exec(info);
        return m ? Number(m[1]) : null;
      };
      out.push({ id: field('prog_id') ?? 0, runNs: field('run_time_ns') ?? 0, runs: field('run_cnt') ?? 0, recursionMisses: field('recursion_misses') });
    } catch {
      // closed meanwhile
    }
  }
  return out;
}

/** Sum of recursion_misses over the BPF programs `pid` holds; null when the kernel does not count them or pid is gone. */
export function recursionMisses(pid: number): number | null {
  let total: number | null = null;
  for (const p of progCounters(pid) ?? []) if (p.recursionMisses !== null) total = (total ?? 0) + p.recursionMisses;
  return total;
}
