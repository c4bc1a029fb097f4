// Numbers in the header: connection rate, distinct sources, and everything
// that was lost on the way (kernel, agent, this browser, the memory cap).
import type { LostRecord } from '../../../agent/model/record.js';

/** Per-second connection counts for the last `size` seconds of record time. */
export interface RateBuckets {
  size: number;
  secs: number[];
  counts: number[];
  newest: number;
}

export function createRate(size = 120): RateBuckets {
  return { size, secs: new Array<number>(size).fill(-1), counts: new Array<number>(size).fill(0), newest: -Infinity };
}

/** Count one connection at tsMs; older than the horizon is ignored. */
export function addRate(b: RateBuckets, tsMs: number): void {
  const sec = Math.floor(tsMs / 1000);
  if (sec > b.newest) b.newest = sec;
  if (sec <= b.newest - b.size) return;
  const slot = ((sec % b.size) + b.size) % b.size;
  if (b.secs[slot] !== sec) {
    b.secs[slot] = sec;
    b.counts[slot] = 0;
  }
  b.counts[slot]!++;
}

/** Connections per second over the last windowS complete seconds before nowMs. */
export function ratePerSecond(b: RateBuckets, nowMs: number, windowS = 10): number {
  const nowSec = Math.floor(nowMs / 1000);
  let sum = 0;
  for (let i = 0; i < b.size; i++) {
    const s = b.secs[i]!;
    if (s >= nowSec - windowS && s < nowSec) sum += b.counts[i]!;
  }
  return sum / windowS;
}

export interface LossCounters {
  /** summed from `lost` records, by where */
  lostKernelRecords: number;
  lostAgentRecords: number;
  /** agent-wide totals from the latest `stats` message */
  statsLostKernel: number;
  statsLostAgent: number;
  /** records the server skipped for this browser (sum of `gap.dropped`) */
  droppedHere: number;
  /** oldest connections this page discarded to stay under its memory cap */
  evicted: number;
}

export const ZERO_LOSS: LossCounters = {
  lostKernelRecords: 0, lostAgentRecords: 0, statsLostKernel: 0, statsLostAgent: 0, droppedHere: 0, evicted: 0,
};

export function addLost(c: LossCounters, r: LostRecord): LossCounters {
  if (r.where === 'kernel') return { ...c, lostKernelRecords: c.lostKernelRecords + r.count };
  return { ...c, lostAgentRecords: c.lostAgentRecords + r.count };
}

/** Kernel losses: stats is the agent-wide running total, lost records may be all this page saw. */
export function lostInKernel(c: LossCounters): number {
  return Math.max(c.lostKernelRecords, c.statsLostKernel);
}

export function lostInAgent(c: LossCounters): number {
  return Math.max(c.lostAgentRecords, c.statsLostAgent);
}

/** Distinct source addresses (connections without one are not a source): a count per address. */
export function addSources(counts: Map<string, number>, saddrs: Iterable<string | null>): void {
  for (const s of saddrs) if (s !== null) counts.set(s, (counts.get(s) ?? 0) + 1);
}

/**
 * The agent's clock can differ from this browser's; "now" on the timeline is
 * the browser clock plus this offset. A record from the future means the agent
 * is ahead; a live batch far in the past means it is behind.
 */
export function updateClockOffset(offset: number, newestTs: number, arrivalMs: number): number {
  const seen = newestTs - arrivalMs;
  if (seen > offset) return seen;
  if (seen < offset - 60_000) return seen;
  return offset;
}

export interface ProtocolCounters {
  /** messages with a kind this UI does not know (ignored) */
  unknownKinds: number;
  /** records with a type this UI does not know (ignored) */
  unknownRecords: number;
  /** frames that were not a valid protocol message */
  malformedMessages: number;
  /** records of a known type with missing or wrong fields */
  malformedRecords: number;
}

export const ZERO_PROTOCOL: ProtocolCounters = { unknownKinds: 0, unknownRecords: 0, malformedMessages: 0, malformedRecords: 0 };

export interface CounterInput {
  rate: RateBuckets;
  now: number;
  /** distinct source addresses among the filtered connections */
  sources: number;
  inView: number;
  loaded: number;
  loss: LossCounters;
  protocol: ProtocolCounters;
}

export interface CounterItem {
  id: 'rate' | 'sources' | 'in-view' | 'lost-kernel' | 'lost-agent' | 'dropped' | 'evicted' | 'protocol';
  label: string;
  value: number;
  /** a loss: highlighted when non-zero */
  alert: boolean;
  title: string;
}

export function counterItems(i: CounterInput): CounterItem[] {
  const protocolErrors = i.protocol.unknownKinds + i.protocol.unknownRecords + i.protocol.malformedMessages + i.protocol.malformedRecords;
  const lk = lostInKernel(i.loss);
  const la = lostInAgent(i.loss);
  return [
    { id: 'rate', label: 'conn/s', value: ratePerSecond(i.rate, i.now), alert: false, title: 'connections per second in view, last 10 s' },
    { id: 'sources', label: 'sources', value: i.sources, alert: false, title: 'distinct source addresses in view' },
    { id: 'in-view', label: i.inView === i.loaded ? 'connections' : `of ${i.loaded} in view`, value: i.inView, alert: false, title: 'connections matching the filters / held by this page' },
    { id: 'lost-kernel', label: 'lost in kernel', value: lk, alert: lk > 0, title: 'events the kernel dropped (perf buffer full): these connections are missing everywhere' },
    { id: 'lost-agent', label: 'lost in agent', value: la, alert: la > 0, title: 'lines the agent could not decode or join, and tracer restarts' },
    { id: 'dropped', label: 'dropped here', value: i.loss.droppedHere, alert: i.loss.droppedHere > 0, title: 'records the agent skipped for this browser because it fell behind' },
    { id: 'evicted', label: 'evicted (memory cap)', value: i.loss.evicted, alert: i.loss.evicted > 0, title: 'oldest connections this page discarded to stay under its cap' },
    {
      id: 'protocol', label: 'bad messages', value: protocolErrors, alert: protocolErrors > 0,
      title: `unknown kinds ${i.protocol.unknownKinds}, unknown record types ${i.protocol.unknownRecords}, malformed messages ${i.protocol.malformedMessages}, malformed records ${i.protocol.malformedRecords}`,
    },
  ];
}
