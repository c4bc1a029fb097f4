// A finished attempt -> the ConnectionRecord contract. Time conversion and the
// process lookup are injected so the join stays testable without /proc.
import { bytesToHex, commToString } from '../decode/comm.js';
import type { RouteFacts } from '../enrich/route-src.js';
import type { ConnectionRecord } from '../model/record.js';
import type { Attempt } from './correlator.js';
import { errnoName } from './errno.js';

export interface RecordContext {
  /** CLOCK_MONOTONIC ns -> ISO-8601 UTC with milliseconds. */
  isoTime(monoNs: number): string;
  cmdline(pid: number, startNs: number): string | null;
  /** The name of network namespace `inode` at kernel time `nowNs`, or null. */
  netnsName(inode: number, nowNs: number): string | null;
  /** Whether the route a route-sourced connection used has a src attribute (route-src.ts); absent: null. `facts` is reused: keep none of it. */
  routeSrc?(facts: RouteFacts, nowNs: number): boolean | null;
}

/**
 * Kernel monotonic ns -> wall-clock ISO time. bpftrace's nsecs and Node's
 * hrtime read the same CLOCK_MONOTONIC; the offset to wall time is re-measured
 * whenever the records' kernel time has moved 10 s from the last measurement,
 * so NTP adjustments and clock steps show up in long runs. (Judged by the
 * record's own time, not by reading the wall clock per record: a storm makes
 * tens of thousands of records a second.)
 */
export function wallClock(
  nowMs: () => number = Date.now,
  monoNs: () => number = () => Number(process.hrtime.bigint()),
): (monoNs: number) => string {
  let offsetMs = 0;
  let measuredAtNs = -Infinity;
  // A storm makes dozens of records per millisecond: format each millisecond once.
  let lastMs = NaN;
  let lastIso = '';
  return (ns) => {
    if (Math.abs(ns - measuredAtNs) > 10e9) {
      offsetMs = nowMs() - monoNs() / 1e6;
      measuredAtNs = ns;
    }
    const ms = Math.round(ns / 1e6 + offsetMs);
    if (ms !== lastMs) {
      lastMs = ms;
      lastIso = new Date(ms).toISOString();
    }
    return lastIso;
  };
}

/** Filled in for each record, not made anew: a storm makes tens of thousands a second (routeSrc keeps none of it). */
const routeFacts: RouteFacts = { netns: 0, pid: 0, family: 4, uid: 0, saddr: '', daddr: '', dport: 0, dev: '', gateway: null, mark: 0, devBound: false, boundSport: null, tos: 0 };

export function toRecord(a: Attempt, ctx: RecordContext): ConnectionRecord {
  if (a.via === 'syscall') {
    const e = a.error;
    return {
      type: 'connection', ts: ctx.isoTime(e.enterTs), pid: e.pid, tid: e.tid, ppid: e.ppid, uid: e.uid,
      comm: commToString(e.commBytes), commHex: bytesToHex(e.commBytes), cmdline: ctx.cmdline(e.pid, e.startNs),
      netns: e.netns, netnsName: ctx.netnsName(e.netns, e.ts), proto: 'tcp', family: e.family, saddr: null, sport: null, daddr: e.daddr, dport: e.dport,
      outcome: a.outcome, errno: a.errno, error: errnoName(a.errno), latencyMs: null, sourceReason: null, dev: null, gateway: null, routeSrc: null, mark: null, stateRaw: null,
    };
  }
  const s = a.start;
  const end = a.end;
  const sport = end && end.sport !== 0 ? end.sport : s.sport !== 0 ? s.sport : null;
  const netnsName = ctx.netnsName(s.netns, end ? end.ts : s.ts); // first: the route lookup may enter the namespace by its name
  const dev = end?.route.devBytes ? commToString(end.route.devBytes) : null;
  const gateway = end?.route.gateway ?? null;
  let routeSrc: boolean | null = null;
  // Without the mark and TOS (a start from @pend) the lookup could take another table than the kernel did.
  if (!s.bound && dev !== null && s.mark !== null && s.tos !== null && ctx.routeSrc) {
    const f = routeFacts;
    f.netns = s.netns; f.pid = s.pid; f.family = s.family; f.uid = s.uid; f.saddr = s.saddr; f.daddr = s.daddr; f.dport = s.dport; f.dev = dev; f.gateway = gateway; f.mark = s.mark; f.devBound = s.devBound;
    f.boundSport = s.portBound ? sport : null; f.tos = s.tos;
    routeSrc = ctx.routeSrc(f, end!.ts);
  }
  return {
    type: 'connection', ts: ctx.isoTime(s.ts), pid: s.pid, tid: s.tid, ppid: s.ppid, uid: s.uid,
    comm: commToString(s.commBytes), commHex: bytesToHex(s.commBytes), cmdline: ctx.cmdline(s.pid, s.startNs),
    netns: s.netns, netnsName, proto: 'tcp', family: s.family, saddr: s.saddr, sport, daddr: s.daddr, dport: s.dport,
    outcome: a.outcome, errno: a.errno,
    error: a.errno !== null ? errnoName(a.errno) : a.note,
    latencyMs: end ? Math.round((end.ts - s.ts) / 1e3) / 1e3 : null,
    sourceReason: s.bound ? 'bind' : 'route',
    dev,
    gateway,
    routeSrc,
    mark: s.mark,
    stateRaw: end ? end.newState : null,
  };
}
