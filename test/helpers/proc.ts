// Processes by parent and name, from /proc (tests and benchmarks find
// srctrace's bpftrace and drain helper this way).
import { readdirSync, readFileSync } from 'node:fs';

/** The pid of `ppid`'s child called `comm` (its 15-byte task name), or null. */
export function childNamed(ppid: number, comm: string): number | null {
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent === ppid && name === comm) return Number(d);
    } catch {
      // gone meanwhile
    }
  }
  return null;
}
