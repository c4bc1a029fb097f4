// CPU time from /proc, for the connect-storm diagnostics: per process
// (utime + stime, all threads) and for the whole machine (/proc/stat).
import { readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

const HZ = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** User and system CPU seconds a live process has used, or null once it is gone. */
export function processCpu(pid: number): { userS: number; sysS: number } | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // comm may hold spaces and parentheses: the fields start after the last ')'.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { userS: Number(f[11]) / HZ, sysS: Number(f[12]) / HZ };
}

export interface CpuDelta { userS: number; sysS: number; totalS: number }

export function cpuDelta(before: { userS: number; sysS: number } | null, after: { userS: number; sysS: number } | null): CpuDelta | null {
  if (!before || !after) return null;
  const userS = round(after.userS - before.userS);
  const sysS = round(after.sysS - before.sysS);
  return { userS, sysS, totalS: round(userS + sysS) };
}

/** Jiffies of the whole machine: busy (everything but idle and iowait), softirq and total. */
export function machineCpu(): { busy: number; softirq: number; total: number } {
  const v = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = v as [number, number, number, number, number, number, number, number];
  const total = user + nice + system + idle + iowait + irq + softirq + steal;
  return { busy: total - idle - iowait, softirq, total };
}

/** Between two machineCpu() readings: share of all CPUs busy (0..1), the softirq share, and busy CPU-seconds. */
export function machineBusy(a: ReturnType<typeof machineCpu>, b: ReturnType<typeof machineCpu>): { busy: number; softirq: number; busyS: number; softirqS: number } {
  const t = b.total - a.total || 1;
  return {
    busy: round((b.busy - a.busy) / t), softirq: round((b.softirq - a.softirq) / t),
    busyS: round((b.busy - a.busy) / HZ), softirqS: round((b.softirq - a.softirq) / HZ),
  };
}

/** bpftrace processes on this machine that this benchmark did not start (they load the same tracepoints). */
export function otherBpftrace(ours: ReadonlySet<number>): number[] {
  const found: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || ours.has(Number(d))) continue;
    try {
      if (readFileSync(`/proc/${d}/comm`, 'utf8').trim() === 'bpftrace') found.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

export function round(x: number, digits = 3): number {
  const k = 10 ** digits;
  return Math.round(x * k) / k;
}

