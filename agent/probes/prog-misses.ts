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

/** Sum of recursion_misses over the BPF programs `pid` holds; null when the kernel does not count them or pid is gone. */
export function recursionMisses(pid: number): number | null {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return null;
  }
  let total: number | null = null;
  for (const fd of fds) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`) !== 'anon_inode:bpf-prog') continue;
      const m = /^recursion_misses:\s*(\d+)$/m.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'));
      if (m) total = (total ?? 0) + Number(m[1]);
    } catch {
      // closed meanwhile
    }
  }
  return total;
}
