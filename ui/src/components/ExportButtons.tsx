import { EXPORT_MIME, exportFileName, exportText, type ExportFormat } from '../model/export.js';
import type { ConnectionStore } from '../model/store.js';

/** Save the filtered connections, in arrival order, with the CLI's own formatters. */
export function download(store: ConnectionStore, format: ExportFormat): void {
  const blob = new Blob([exportText(store.view, format)], { type: EXPORT_MIME[format] });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = exportFileName(format, new Date());
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function ExportButtons({ store, count }: { store: ConnectionStore; count: number }) {
  return (
    <div className="seg export" role="group" aria-label="Export">
      <button type="button" data-testid="export-ndjson" disabled={count === 0} onClick={() => download(store, 'ndjson')} title="Export the connections in view as NDJSON">
        Export NDJSON
      </button>
      <button type="button" data-testid="export-csv" disabled={count === 0} onClick={() => download(store, 'csv')} title="Export the connections in view as CSV">
        CSV
      </button>
    </div>
  );
}
