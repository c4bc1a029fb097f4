// Reads a srctrace NDJSON export and counts what the benchmark checks: the
// storm's connection records by outcome (in the whole file and in its first
// `prefixBytes`, what was written by the time the storm ended) and lost counts.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { SrcRecord } from '../../agent/model/record.js';
import { SKIPPED_RUNS } from '../../agent/probes/prog-misses.js';

export interface NdjsonCounts {
  stormByOutcome: Record<string, number>;
  stormEstablishedAtStormEnd: number;
  otherConnections: number;
  /** skipped: probe runs the kernel skipped, reported as possible loss (the storm's own records show whether any mattered). */
  lost: { kernel: number; agent: number; restart: number; records: number; skipped: number };
  badLines: number;
}

export async function countNdjson(file: string, stormPid: number, prefixBytes: number): Promise<NdjsonCounts> {
  const c: NdjsonCounts = {
    stormByOutcome: {}, stormEstablishedAtStormEnd: 0, otherConnections: 0,
    lost: { kernel: 0, agent: 0, restart: 0, records: 0, skipped: 0 }, badLines: 0,
  };
  let offset = 0;
  for await (const line of createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity })) {
    const end = (offset += Buffer.byteLength(line) + 1);
    if (!line) continue;
    let r: SrcRecord;
    try {
      r = JSON.parse(line) as SrcRecord;
    } catch {
      c.badLines++;
      continue;
    }
    if (r.type === 'connection') {
      if (r.pid !== stormPid) {
        c.otherConnections++;
        continue;
      }
      c.stormByOutcome[r.outcome] = (c.stormByOutcome[r.outcome] ?? 0) + 1;
      if (r.outcome === 'established' && end <= prefixBytes) c.stormEstablishedAtStormEnd++;
    } else if (r.type === 'lost' && r.detail.startsWith(SKIPPED_RUNS)) {
      c.lost.skipped += r.count;
    } else if (r.type === 'lost') {
      c.lost.records++;
      c.lost[r.where] += r.count;
    }
  }
  return c;
}
