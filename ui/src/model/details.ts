// Rows for the details panel: every field of the record, the contract fields
// in their documented order, then whatever else a newer agent sent.
import { CONNECTION_FIELDS, type ConnectionRecord } from '../../../agent/model/record.js';

export interface DetailRow {
  key: string;
  value: string;
  /** not part of the record contract this UI was built with */
  extra: boolean;
}

const KNOWN = new Set<string>(['type', ...CONNECTION_FIELDS]);

function show(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return '';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

/** A mark as fwmark rules are usually written (hex), with its decimal. */
function showField(key: string, v: unknown): string {
  return key === 'mark' && typeof v === 'number' && v !== 0 ? `0x${v.toString(16)} (${v})` : show(v);
}

export function detailRows(rec: ConnectionRecord): DetailRow[] {
  const rows: DetailRow[] = [{ key: 'type', value: rec.type, extra: false }];
  for (const f of CONNECTION_FIELDS) rows.push({ key: f, value: showField(f, rec[f]), extra: false });
  for (const key of Object.keys(rec)) {
    if (!KNOWN.has(key)) rows.push({ key, value: show((rec as unknown as Record<string, unknown>)[key]), extra: true });
  }
  return rows;
}

/** "10.0.0.1:43512", "[2001:db8::1]:443", "-" when unknown. */
export function endpoint(addr: string | null, port: number | null): string {
  if (addr === null) return '-';
  const a = addr.includes(':') ? `[${addr}]` : addr;
  return port === null ? a : `${a}:${port}`;
}
