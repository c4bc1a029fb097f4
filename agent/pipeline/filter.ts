// --pid / --comm selection, applied to connection records only: loss and
// status records always pass, so a filtered view still shows what was lost.
// A --pid matches the process (thread group id) or, when it names a thread,
// that thread: pids and thread ids share one number space, so neither can
// match a stranger. With --children a --pid also matches every process
// below it in the process tree (process-tree.ts).
import type { Descendants } from '../enrich/process-tree.js';
import type { SrcRecord } from '../model/record.js';

export interface RecordFilter {
  pids: number[];
  comms: string[];
  /** --children: the pids' descendants match too (through the tracer's Descendants, fed by fork lines). */
  children?: boolean;
}

/** `tree`: the --pid processes' descendants (with --children), else null. */
export function makeFilter(f: RecordFilter, tree: Descendants | null = null): (r: SrcRecord) => boolean {
  const pids = new Set(f.pids);
  const comms = new Set(f.comms);
  if (pids.size === 0 && comms.size === 0) return () => true;
  return (r) => r.type !== 'connection' || pids.has(r.pid) || pids.has(r.tid) || comms.has(r.comm) || (tree !== null && tree.has(r.pid, r.ppid));
}
