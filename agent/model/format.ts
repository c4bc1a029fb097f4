// Record serialisation shared by the CLI's exporters and the dashboard's export
// button, so a file saved from either has the same bytes for the same records.
import { CONNECTION_FIELDS, type ConnectionRecord, type SrcRecord } from './record.js';

/** The route a connection used, as the table, the dashboard's lanes and its why sentence name it: "eth0 via 10.0.0.1", "eth0" when on-link, null without one. */
export function routeLabel(r: Pick<ConnectionRecord, 'dev' | 'gateway'>): string | null {
  if (r.dev === null) return null;
  return r.gateway === null ? r.dev : `${r.dev} via ${r.gateway}`;
}

/** One NDJSON line (without the newline). */
export function toNdjsonLine(record: SrcRecord): string {
  return JSON.stringify(record);
}

/** CSV header line for connection records. */
export const CSV_HEADER = CONNECTION_FIELDS.join(',');

// RFC 4180 quoting; a leading = + - @ is prefixed with ' so a spreadsheet does
// not evaluate a hostile process name or command line as a formula.
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let s = String(value);
  if (/^[=+\-@\t\r]/.test(s) && typeof value === 'string') s = `'${s}`;
  if (/[",\r\n]/.test(s) || s !== s.trim()) return `"${s.replace(/"/g, '""')}"`;
  return s;
}

/** One CSV row for a connection record, columns in CSV_HEADER order. */
export function toCsvRow(record: ConnectionRecord): string {
  return CONNECTION_FIELDS.map((f) => csvCell(record[f])).join(',');
}
