import { useEffect, useState } from 'react';
import { statusLabel, type LinkStatus } from '../net/status.js';

export function StatusBadge({ status, onReconnect }: { status: LinkStatus; onReconnect: () => void }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (status.state !== 'reconnecting') return;
    const t = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(t);
  }, [status.state]);
  const title = status.state === 'live' ? `agent ${status.agentVersion}, backend ${status.backend ?? '?'}, started ${status.startedAt}` : undefined;
  return (
    <span className="status-wrap">
      <span className={`status status-${status.state}`} data-testid="status" data-state={status.state} title={title}>
        <i className="dot" />
        {statusLabel(status, now)}
      </span>
      {status.state === 'reconnecting' || status.state === 'stopped' ? (
        <button type="button" className="link" data-testid="reconnect" onClick={onReconnect}>
          reconnect now
        </button>
      ) : null}
    </span>
  );
}
