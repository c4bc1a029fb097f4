// A validated connection record plus the numbers the views need, computed once
// on arrival so drawing and sorting never re-parse timestamps or addresses.
import type { ConnectionRecord } from '../../../agent/model/record.js';
import { colorForSource, packColor } from './colors.js';

/** Milliseconds since the Unix epoch. */
export type EpochMs = number & { readonly __unit: 'epoch-ms' };

export interface Conn {
  /** arrival sequence number in this browser: unique, increasing */
  id: number;
  /** the record exactly as validated, unknown extra fields included */
  rec: ConnectionRecord;
  start: EpochMs;
  /** start + latencyMs (start when there is no latency) */
  end: EpochMs;
  failed: boolean;
  /** stable colour of the source address */
  color: string;
  /** the same colour packed for the timeline's pixel buffer */
  rgba: number;
}

export function toConn(rec: ConnectionRecord, id: number): Conn {
  const start = Date.parse(rec.ts) as EpochMs;
  const end = (start + (rec.latencyMs !== null && rec.latencyMs > 0 ? rec.latencyMs : 0)) as EpochMs;
  const color = colorForSource(rec.saddr);
  return { id, rec, start, end, failed: rec.outcome !== 'established', color, rgba: packColor(color) };
}
