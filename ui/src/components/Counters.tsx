import { useEffect, useState } from 'react';
import { counterItems } from '../model/counters.js';
import type { ConnectionStore } from '../model/store.js';

const INT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

function fmt(id: string, v: number): string {
  return id === 'rate' && v < 10 ? v.toFixed(1) : INT.format(v);
}

const LOSSES = new Set(['lost-kernel', 'lost-agent', 'dropped', 'evicted', 'protocol']);

export function Counters({ store }: { store: ConnectionStore }) {
  // the rate decays with time even when nothing arrives
  const [, tick] = useState(0);
  useEffect(() => {
    const t = setInterval(() => tick((n) => n + 1), 1000);
    return () => clearInterval(t);
  }, []);
  const items = counterItems({
    rate: store.rate,
    now: store.agentNow(),
    sources: store.sources.size,
    inView: store.view.length,
    loaded: store.all.length,
    loss: store.loss,
    protocol: store.protocol,
  });
  return (
    <div className="counters" data-testid="counters">
      {items.map((c) => (
        <span
          key={c.id}
          className={`counter${c.alert ? ' alert' : ''}${LOSSES.has(c.id) && !c.alert ? ' quiet' : ''}`}
          data-testid={`counter-${c.id}`}
          data-value={c.value}
          data-alert={c.alert}
          title={c.title}
        >
          <b>{fmt(c.id, c.value)}</b> {c.label}
        </span>
      ))}
    </div>
  );
}
