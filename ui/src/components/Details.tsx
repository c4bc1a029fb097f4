// The selected connection: why it used its source address, then every field,
// including fields this UI does not know.
import type { Conn } from '../model/conn.js';
import { detailRows } from '../model/details.js';
import { whySource } from '../model/why.js';

export function Details({ conn }: { conn: Conn | null }) {
  if (!conn) {
    return (
      <aside className="details" data-testid="details" aria-label="Details">
        <h2>Details</h2>
        <p className="muted">Select a connection in the timeline or the table.</p>
      </aside>
    );
  }
  const rows = detailRows(conn.rec);
  return (
    <aside className="details" data-testid="details" data-id={conn.id} aria-label="Details">
      <h2>
        <i className="swatch" style={{ background: conn.color }} />
        {conn.rec.comm} [{conn.rec.pid}] <span className={`badge ${conn.failed ? 'bad' : 'good'}`}>{conn.rec.outcome}</span>
      </h2>
      <p className="why" data-testid="why">{whySource(conn.rec)}</p>
      <dl>
        {rows.map((r) => (
          <div key={r.key} className={r.extra ? 'extra' : undefined} data-testid={`detail-${r.key}`}>
            <dt>
              {r.key}
              {r.extra ? <span className="tag" title="not in this dashboard's record definition">extra</span> : null}
            </dt>
            {/* A long command line scrolls in its own box, so the fields after it stay in view. */}
            <dd className={r.key === 'cmdline' ? 'mono long' : 'mono'}>{r.value}</dd>
          </div>
        ))}
      </dl>
    </aside>
  );
}
