// --pid / --comm / --dst / --dport selection, applied to connection records
// only: loss and status records always pass, so a filtered view still shows
// what was lost. A --pid matches the process (thread group id) or, when it
// names a thread, that thread: pids and thread ids share one number space, so
// neither can match a stranger. With --children a --pid also matches every
// process below it in the process tree (process-tree.ts). Flags of one kind
// are alternatives; the process flags (--pid, --comm), --dst and --dport
// must each match when given ("nginx's connections to 198.18.1.0/24").
import { BlockList } from 'node:net';
import type { Descendants } from '../enrich/process-tree.js';
import type { ConnectionRecord, SrcRecord } from '../model/record.js';

/** A destination address or network (--dst). */
export interface DestNet { addr: string; prefix: number; family: 4 | 6 }

export interface RecordFilter {
  pids: number[];
  comms: string[];
  /** --children: the pids' descendants match too (through the tracer's Descendants, fed by fork lines). */
  children?: boolean;
  dests?: DestNet[];
  dports?: number[];
}

/** `tree`: the --pid processes' descendants (with --children), else null. */
export function makeFilter(f: RecordFilter, tree: Descendants | null = null): (r: SrcRecord) => boolean {
  const tests: ((r: ConnectionRecord) => boolean)[] = [];
  const pids = new Set(f.pids);
  const comms = new Set(f.comms);
  if (pids.size > 0 || comms.size > 0) tests.push((r) => pids.has(r.pid) || pids.has(r.tid) || comms.has(r.comm) || (tree !== null && tree.has(r.pid, r.ppid)));
  if (f.dests?.length) {
    // One list per family: a BlockList matches IPv4 addresses against IPv6 networks (::/0 would take every IPv4 peer).
    const nets4 = new BlockList();
    const nets6 = new BlockList();
    for (const d of f.dests) (d.family === 6 ? nets6 : nets4).addSubnet(d.addr, d.prefix, d.family === 6 ? 'ipv6' : 'ipv4');
    tests.push((r) => (r.family === 6 ? nets6.check(r.daddr, 'ipv6') : nets4.check(r.daddr, 'ipv4')));
  }
  if (f.dports?.length) {
    const ports = new Set(f.dports);
    tests.push((r) => ports.has(r.dport));
  }
  if (tests.length === 0) return () => true;
  return (r) => r.type !== 'connection' || tests.every((t) => t(r));
}
