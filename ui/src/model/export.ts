// Export of the filtered view through the CLI's own formatters, so a file saved
// here has the same bytes as `srctrace` writing the same records.
import { CSV_HEADER, toCsvRow, toNdjsonLine } from '../../../agent/model/format.js';
import type { Conn } from './conn.js';

export type ExportFormat = 'ndjson' | 'csv';

export function exportText(conns: readonly Conn[], format: ExportFormat): string {
  const lines: string[] = format === 'csv' ? [CSV_HEADER] : [];
  for (const c of conns) lines.push(format === 'csv' ? toCsvRow(c.rec) : toNdjsonLine(c.rec));
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

export function exportFileName(format: ExportFormat, now: Date): string {
  const stamp = now.toISOString().replace(/[:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `srctrace-${stamp}.${format}`;
}

export const EXPORT_MIME: Record<ExportFormat, string> = {
  ndjson: 'application/x-ndjson',
  csv: 'text/csv',
};
