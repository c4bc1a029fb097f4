// Command lines from /proc, verified against the kernel's own start time for
// the process so a recycled pid can never lend its command line to another
// process. Read at the start event (the process may be short-lived) and cached
// per (pid, start time), so a connect storm from one process reads /proc once.
// For a process already gone, the argv captured at exec() (first 128 bytes)
// stands in.
import { readFileSync } from 'node:fs';

/** USER_HZ: /proc/<pid>/stat reports start time in these ticks (100 on every Linux ABI). */
const TICK_NS = 10_000_000;

export type ProcReader = (path: string) => string;
const readProc: ProcReader = (path) => readFileSync(path, 'latin1');

export class ProcInfo {
  private readonly cache = new Map<string, string | null>();
  private readonly fromExec = new Map<string, string>();
  private last: { pid: number; startNs: number; value: string | null } = { pid: -1, startNs: -1, value: null };

  constructor(private readonly read: ProcReader = readProc, private readonly maxEntries = 65_536) {}

  /** The command line of `pid` if it is still the process that started at `startNs`, else null. */
  cmdline(pid: number, startNs: number): string | null {
    // A storm asks about the same process over and over: skip building the key.
    if (pid === this.last.pid && startNs === this.last.startNs && this.last.value !== null) return this.last.value;
    const key = `${pid}/${startNs}`;
    let value = this.cache.get(key);
    if (value === undefined) {
      value = this.lookup(pid, startNs);
      remember(this.cache, key, value, this.maxEntries);
    }
    this.last = { pid, startNs, value };
    // A miss (process gone) is cached too, but the exec() capture may arrive
    // later from another CPU's buffer, so it is consulted on every call.
    return value ?? this.fromExec.get(key) ?? null;
  }

  /** argv captured by the exec probe (NUL-separated, possibly cut). */
  onExec(pid: number, startNs: number, argv: Uint8Array, truncated: boolean): void {
    const text = argvToText(argv);
    if (text !== null) remember(this.fromExec, `${pid}/${startNs}`, truncated ? `${text}…` : text, this.maxEntries);
  }

  private lookup(pid: number, startNs: number): string | null {
    try {
      const startTicks = Number(statFields(this.read(`/proc/${pid}/stat`))[STAT_STARTTIME]);
      if (!Number.isFinite(startTicks) || Math.abs(startTicks * TICK_NS - startNs) > TICK_NS) return null;
      return argvToText(Buffer.from(this.read(`/proc/${pid}/cmdline`), 'latin1'));
    } catch {
      return null;
    }
  }
}

/**
 * The fields of a /proc/PID/stat line after comm, from state (field 3) on:
 * comm (field 2) may contain spaces and parentheses, so they resume after
 * the last ')'.
 */
export function statFields(stat: string): string[] {
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** starttime (field 22: clock ticks after boot) in `statFields`. */
export const STAT_STARTTIME = 19;

const utf8 = new TextDecoder('utf-8', { fatal: false });

/** NUL-separated argv bytes -> one line with spaces; null when empty (kernel threads). */
function argvToText(raw: Uint8Array): string | null {
  if (raw.length === 0) return null;
  return utf8.decode(raw).replace(/\0+$/, '').split('\0').join(' ');
}

function remember<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  if (map.size >= max) map.delete(map.keys().next().value!);
  map.set(key, value);
}
