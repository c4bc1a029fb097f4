// `srctrace --pid` ends with its processes, as `strace -p` and `perf record -p`
// do: once every process named by --pid has exited, no connection of theirs
// can follow. Each process is known by its start time as well as its pid, so
// a recycled pid does not keep the run alive.
import { readFileSync } from 'node:fs';
import { STAT_STARTTIME, statFields } from '../enrich/proc-info.js';

/** Start time (clock ticks since boot, /proc/PID/stat field 22) of `pid`, or null if it does not exist. */
export function startTicks(pid: number, procRoot = '/proc'): string | null {
  try {
    return statFields(readFileSync(`${procRoot}/${pid}/stat`, 'latin1'))[STAT_STARTTIME] ?? null;
  } catch {
    return null;
  }
}

/**
 * Calls `onAllGone` once, when none of `pids` is the process it was at the
 * start any more (checked every `everyMs`). Returns a function that stops
 * watching. Pids not running at the start count as gone.
 */
export function watchPids(pids: number[], onAllGone: () => void, everyMs = 500, procRoot = '/proc'): () => void {
  const started = pids.map((pid) => ({ pid, ticks: startTicks(pid, procRoot) }));
  const alive = () => started.some((p) => p.ticks !== null && startTicks(p.pid, procRoot) === p.ticks);
  const timer = setInterval(() => {
    if (alive()) return;
    clearInterval(timer);
    onAllGone();
  }, everyMs);
  timer.unref(); // never what keeps srctrace running
  return () => clearInterval(timer);
}
