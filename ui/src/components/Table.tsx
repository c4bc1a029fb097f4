// The connections as a table: only the rows in the scroll window are in the DOM.
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import type { Conn } from '../model/conn.js';
import { endpoint } from '../model/details.js';
import { indexInSorted, rowWindow, type SortKey, type SortSpec } from '../model/sort.js';

export const ROW_H = 24;

interface Column {
  key: SortKey;
  title: string;
  cell: (c: Conn) => string;
  mono?: boolean;
}

function clock(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

const COLUMNS: Column[] = [
  { key: 'ts', title: 'time', cell: (c) => clock(c.start), mono: true },
  { key: 'pid', title: 'pid', cell: (c) => String(c.rec.pid), mono: true },
  { key: 'comm', title: 'process', cell: (c) => c.rec.comm },
  { key: 'saddr', title: 'source', cell: (c) => endpoint(c.rec.saddr, c.rec.sport), mono: true },
  { key: 'daddr', title: 'destination', cell: (c) => endpoint(c.rec.daddr, c.rec.dport), mono: true },
  { key: 'dport', title: 'port', cell: (c) => String(c.rec.dport), mono: true },
  { key: 'outcome', title: 'outcome', cell: (c) => (c.rec.error ? `${c.rec.outcome} (${c.rec.error})` : c.rec.outcome) },
  { key: 'latencyMs', title: 'latency', cell: (c) => (c.rec.latencyMs === null ? '-' : `${c.rec.latencyMs.toFixed(1)} ms`), mono: true },
];

interface Props {
  rows: readonly Conn[];
  sort: SortSpec;
  onSort: (s: SortSpec) => void;
  selected: Conn | null;
  onSelect: (c: Conn) => void;
}

export function Table({ rows, sort, onSort, selected, onSelect }: Props) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewH, setViewH] = useState(400);

  useEffect(() => {
    const el = scrollRef.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(() => setViewH(el.clientHeight));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  // bring a connection selected elsewhere (the timeline) into view
  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (!el || !selected) return;
    const i = indexInSorted(rows, selected, sort);
    if (i < 0) return;
    const top = i * ROW_H;
    if (top < el.scrollTop || top + ROW_H > el.scrollTop + el.clientHeight) {
      el.scrollTop = Math.max(0, top - el.clientHeight / 2);
      setScrollTop(el.scrollTop);
    }
    // only when the selection changes, not on every batch
  }, [selected]);

  const [first, last] = rowWindow(rows.length, scrollTop, viewH, ROW_H);
  const visible: Conn[] = rows.slice(first, last);

  const onKeyDown = (e: React.KeyboardEvent): void => {
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    e.preventDefault();
    const i = selected ? indexInSorted(rows, selected, sort) : -1;
    const next = rows[Math.max(0, Math.min(rows.length - 1, i + (e.key === 'ArrowDown' ? 1 : -1)))];
    if (next) onSelect(next);
  };

  const header = (col: Column) => {
    const active = sort.key === col.key;
    const next: SortSpec = { key: col.key, dir: active && sort.dir === 'desc' ? 'asc' : 'desc' };
    return (
      <button
        type="button"
        key={col.key}
        className={`th${active ? ' active' : ''}`}
        data-testid={`sort-${col.key}`}
        aria-sort={active ? (sort.dir === 'asc' ? 'ascending' : 'descending') : 'none'}
        onClick={() => onSort(next)}
      >
        {col.title}
        {active ? (sort.dir === 'asc' ? ' ▲' : ' ▼') : ''}
      </button>
    );
  };

  return (
    <section className="table" aria-label="Connections" data-testid="table" data-rows={rows.length}>
      <div className="thead" role="row">{COLUMNS.map(header)}</div>
      <div
        className="tbody"
        ref={scrollRef}
        tabIndex={0}
        onKeyDown={onKeyDown}
        onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
      >
        <div style={{ height: rows.length * ROW_H, position: 'relative' }}>
          {visible.map((c, i) => (
            <div
              key={c.id}
              role="row"
              data-testid="table-row"
              data-id={c.id}
              aria-selected={selected === c}
              className={`tr${selected === c ? ' selected' : ''}${c.failed ? ' failed' : ''}`}
              style={{ top: (first + i) * ROW_H }}
              onClick={() => onSelect(c)}
            >
              {COLUMNS.map((col) => (
                <span key={col.key} className={`td td-${col.key}${col.mono ? ' mono' : ''}`}>
                  {col.key === 'saddr' ? <i className="swatch" style={{ background: c.color }} /> : null}
                  {col.cell(c)}
                </span>
              ))}
            </div>
          ))}
        </div>
      </div>
    </section>
  );
}
