// One readable line for the non-connection records, shared by the text sinks.
import type { LostRecord, StatusRecord } from '../model/record.js';

export function describeNotice(r: LostRecord | StatusRecord): string {
  if (r.type === 'lost') return `srctrace: LOST ${r.count} event(s) in ${r.where}: ${r.detail}`;
  return `srctrace: ${r.state}${r.backend ? ` (${r.backend} probes)` : ''}: ${r.detail}`;
}
