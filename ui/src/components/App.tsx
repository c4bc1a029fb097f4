// Wiring only: the store holds the data, the components draw it.
import { useCallback, useEffect, useRef, useState, useSyncExternalStore } from 'react';
import type { FilterText, LaneMode } from '../model/filter.js';
import { toQueryString } from '../model/filter.js';
import { DEFAULT_SORT, updateSorted, type SortedCache, type SortSpec } from '../model/sort.js';
import type { ConnectionStore } from '../model/store.js';
import type { LinkStatus } from '../net/status.js';
import { Counters } from './Counters.js';
import { Details } from './Details.js';
import { ExportButtons } from './ExportButtons.js';
import { FilterBar } from './FilterBar.js';
import { StatusBadge } from './StatusBadge.js';
import { Table } from './Table.js';
import { Timeline } from './Timeline.js';

interface Props {
  store: ConnectionStore;
  status: LinkStatus;
  onReconnect: () => void;
  initialLanes: LaneMode;
}

export function App({ store, status, onReconnect, initialLanes }: Props) {
  const version = useSyncExternalStore(store.subscribe, store.getVersion);
  const [laneMode, setLaneMode] = useState<LaneMode>(initialLanes);
  const [sort, setSort] = useState<SortSpec>(DEFAULT_SORT);
  const sortedRef = useRef<SortedCache | null>(null);

  useEffect(() => store.setLaneMode(laneMode), [store, laneMode]);

  // the view is shareable: filters and lane mode live in the query string (never the token)
  useEffect(() => {
    const url = `${location.pathname}${toQueryString({ filter: store.filterText, lanes: laneMode })}${location.hash}`;
    if (url !== `${location.pathname}${location.search}${location.hash}`) history.replaceState(history.state, '', url);
  }, [store, store.filterText, laneMode]);

  const onFilter = useCallback((f: FilterText) => store.setFilter(f), [store]);

  sortedRef.current = updateSorted(sortedRef.current, store.view, store.generation, sort);
  const rows = sortedRef.current.rows;
  const empty = store.all.length === 0;

  return (
    <div className="app">
      <header className="top">
        <h1>
          srctrace <span className="muted">outgoing TCP by source address</span>
        </h1>
        <StatusBadge status={status} onReconnect={onReconnect} />
        <span className="spacer" />
        <Counters store={store} />
      </header>
      <div className="filter-row">
        <FilterBar value={store.filterText} errors={store.filter.errors} onChange={onFilter} />
        <span className="spacer" />
        <ExportButtons store={store} count={store.view.length} />
      </div>
      <main className="panes">
        <div className="timeline-pane">
          <Timeline store={store} version={version} laneMode={laneMode} onLaneMode={setLaneMode} />
          {empty ? (
            <div className="empty" data-testid="empty-state">
              No connections yet — run <code>srctrace lab traffic</code> (or make any outgoing TCP connection)
            </div>
          ) : store.view.length === 0 ? (
            <div className="empty" data-testid="empty-filtered">
              No connections match the filters ({store.all.length.toLocaleString('en-US')} held)
            </div>
          ) : null}
        </div>
        <div className="bottom">
          <Table rows={rows} sort={sort} onSort={setSort} selected={store.selected} onSelect={(c) => store.select(c)} />
          <Details conn={store.selected} />
        </div>
      </main>
    </div>
  );
}
