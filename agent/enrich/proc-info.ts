// Command lines from /proc, verified against the kernel's own start time for
// the process so a recycled pid can never lend its command line to another
// process. Read at the start event (the process may be short-lived) and cached
// per (pid, start time), so a connect storm from one process reads /proc once.
import { readFileSync } from 'node:fs';

/** USER_HZ: /proc/<pid>/stat reports start time in these ticks (100 on every Linux ABI). */
const TICK_NS = 10_000_000;

export type ProcReader = (path: string) => string;
const readProc: ProcReader = (path) => readFileSync(path, 'latin1');

export class ProcInfo {
  private readonly cache = new Map<string, string | null>();

  constructor(private readonly read: ProcReader = readProc, private readonly maxEntries = 65_536) {}

  /** The command line of `pid` if it is still the process that started at `startNs`, else null. */
  cmdline(pid: number, startNs: number): string | null {
    const key = `${pid}/${startNs}`;
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    const value = this.lookup(pid, startNs);
    if (this.cache.size >= this.maxEntries) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, value);
    return value;
  }

  private lookup(pid: number, startNs: number): string | null {
    try {
      const stat = this.read(`/proc/${pid}/stat`);
      // comm (field 2) may contain spaces and parentheses: fields resume after the last ')'.
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const startTicks = Number(rest[19]);
      if (!Number.isFinite(startTicks) || Math.abs(startTicks * TICK_NS - startNs) > TICK_NS) return null;
      const raw = Buffer.from(this.read(`/proc/${pid}/cmdline`), 'latin1');
      if (raw.length === 0) return null;
      const text = new TextDecoder('utf-8', { fatal: false }).decode(raw);
      return text.replace(/\0+$/, '').split('\0').join(' ');
    } catch {
      return null;
    }
  }
}
