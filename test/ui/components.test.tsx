// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { App } from '../../ui/src/components/App.js';
import { Details } from '../../ui/src/components/Details.js';
import { Table } from '../../ui/src/components/Table.js';
import type { Conn } from '../../ui/src/model/conn.js';
import { sortConns, type SortSpec } from '../../ui/src/model/sort.js';
import { ConnectionStore } from '../../ui/src/model/store.js';
import { parseServerMessage } from '../../ui/src/model/validate.js';
import { at, conn, record, refused } from './fixtures.js';

afterEach(cleanup);

const rows: Conn[] = [
  conn({ ts: at(0), pid: 101, comm: 'curl', saddr: '10.0.0.5', sport: 40001, daddr: '93.184.216.34', dport: 443 }, 1),
  conn({ ts: at(50), pid: 202, comm: 'ssh', family: 6, saddr: '2001:db8::5', sport: 40002, daddr: '2001:db8::1', dport: 22, ...refused }, 2),
  conn({ ts: at(20), pid: 303, comm: 'wget', saddr: null, sport: null, daddr: '10.9.9.9', dport: 80, outcome: 'unreachable', errno: 101, error: 'ENETUNREACH', latencyMs: null }, 3),
];

const cellText = (row: HTMLElement) => Array.from(row.children).map((c) => c.textContent);

describe('Table', () => {
  it('renders one row per connection in the given order, with formatted cells', () => {
    const spec: SortSpec = { key: 'ts', dir: 'desc' };
    render(<Table rows={sortConns(rows, spec)} sort={spec} onSort={() => {}} selected={null} onSelect={() => {}} />);
    const trs = screen.getAllByTestId('table-row');
    expect(trs.map((r) => r.dataset.id)).toEqual(['2', '3', '1']);
    const time = (ms: number) => {
      const d = new Date(Date.parse(at(ms)));
      const p = (n: number, w = 2) => String(n).padStart(w, '0');
      return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
    };
    expect(trs.map(cellText)).toEqual([
      [time(50), '202', 'ssh', '[2001:db8::5]:40002', '[2001:db8::1]:22', '22', 'refused (ECONNREFUSED)', '12.5 ms'],
      [time(20), '303', 'wget', '-', '10.9.9.9:80', '80', 'unreachable (ENETUNREACH)', '-'],
      [time(0), '101', 'curl', '10.0.0.5:40001', '93.184.216.34:443', '443', 'established', '12.5 ms'],
    ]);
    expect(trs.map((r) => r.className)).toEqual(['tr failed', 'tr failed', 'tr']);
    expect(screen.getByTestId('sort-ts').getAttribute('aria-sort')).toBe('descending');
  });

  it('selects on click and asks for a new sort from the header', () => {
    const onSelect = vi.fn();
    const onSort = vi.fn();
    render(<Table rows={rows} sort={{ key: 'ts', dir: 'desc' }} onSort={onSort} selected={rows[0]!} onSelect={onSelect} />);
    fireEvent.click(screen.getAllByTestId('table-row')[2]!);
    expect(onSelect).toHaveBeenCalledWith(rows[2]);
    fireEvent.click(screen.getByTestId('sort-ts'));
    fireEvent.click(screen.getByTestId('sort-daddr'));
    expect(onSort.mock.calls).toEqual([[{ key: 'ts', dir: 'asc' }], [{ key: 'daddr', dir: 'desc' }]]);
    expect(screen.getAllByTestId('table-row').map((r) => r.getAttribute('aria-selected'))).toEqual(['true', 'false', 'false']);
  });

  it('puts only a window of rows in the DOM for a large view', () => {
    const many = Array.from({ length: 5000 }, (_, i) => conn({ ts: at(i) }, 10_000 + i));
    render(<Table rows={many} sort={{ key: 'ts', dir: 'asc' }} onSort={() => {}} selected={null} onSelect={() => {}} />);
    const trs = screen.getAllByTestId('table-row');
    expect(trs.length).toBeLessThan(60);
    expect(trs[0]!.dataset.id).toBe('10000');
    expect(screen.getByTestId('table').dataset.rows).toBe('5000');
  });
});

describe('Details', () => {
  it('shows every field of the record, unknown ones flagged', () => {
    const c = conn({ ...refused, cgroup: '/system.slice/nginx.service' } as never, 77);
    render(<Details conn={c} />);
    const panel = screen.getByTestId('details');
    expect(panel.dataset.id).toBe('77');
    expect(within(panel).getByTestId('detail-error').textContent).toBe('errorECONNREFUSED');
    expect(within(panel).getByTestId('detail-cgroup').className).toBe('extra');
    expect(within(panel).getByTestId('detail-cgroup').textContent).toBe('cgroupextra/system.slice/nginx.service');
    expect(panel.querySelectorAll('[data-testid^="detail-"]').length).toBe(28);
  });

  it('answers why this source first, above the fields, and boxes a long command line', () => {
    render(<Details conn={conn({ sourceReason: 'bind', saddr: '203.0.113.2' }, 78)} />);
    const panel = screen.getByTestId('details');
    const why = within(panel).getByTestId('why');
    expect(why.textContent).toMatch(/^The process chose 203\.0\.113\.2 itself: it called bind\(\)/);
    // Before the first field in document order, so it is what the eye meets first.
    expect(why.compareDocumentPosition(within(panel).getByTestId('detail-type')) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    expect(within(panel).getByTestId('detail-cmdline').querySelector('dd')!.className).toBe('mono long');
    expect(within(panel).getByTestId('detail-comm').querySelector('dd')!.className).toBe('mono');
  });

  it('invites a selection when nothing is selected', () => {
    render(<Details conn={null} />);
    expect(screen.getByTestId('details').textContent).toBe('DetailsSelect a connection in the timeline or the table.');
  });
});

describe('App', () => {
  it('shows the empty state, then data, counters, filters in the URL and selection in details', async () => {
    history.replaceState(null, '', '/');
    // jsdom has no canvas; the timeline then simply does not paint
    vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockReturnValue(null);
    const store = new ConnectionStore({ schedule: (fn) => fn() });
    render(<App store={store} status={{ state: 'connecting' }} onReconnect={() => {}} initialLanes="process" />);
    expect(screen.getByTestId('empty-state').textContent).toBe('No connections yet — run srctrace lab traffic (or make any outgoing TCP connection)');
    expect(screen.getByTestId('status').dataset.state).toBe('connecting');

    act(() => {
      store.receive(parseServerMessage(JSON.stringify({ v: 1, kind: 'records', backlog: false, records: [
        record({ ts: at(0), pid: 1, comm: 'curl', daddr: '10.1.0.1' }),
        record({ ts: at(1), pid: 2, comm: 'ssh', daddr: '192.0.2.7', ...refused }),
      ] })));
      store.receive(parseServerMessage(JSON.stringify({ v: 1, kind: 'gap', dropped: 3, totalDropped: 3 })));
    });
    expect(screen.queryByTestId('empty-state')).toBeNull();
    expect(screen.getAllByTestId('table-row').length).toBe(2);
    expect([screen.getByTestId('counter-dropped').dataset.value, screen.getByTestId('counter-dropped').dataset.alert]).toEqual(['3', 'true']);
    expect([screen.getByTestId('counter-lost-kernel').dataset.value, screen.getByTestId('counter-lost-kernel').dataset.alert]).toEqual(['0', 'false']);

    // the select applies at once; the view and the URL follow
    act(() => {
      fireEvent.change(screen.getByTestId('filter-outcome'), { target: { value: 'failed' } });
    });
    expect(screen.getAllByTestId('table-row').map((r) => r.textContent?.includes('ssh'))).toEqual([true]);
    expect(location.search).toBe('?outcome=failed');
    expect(screen.getByTestId('counter-in-view').dataset.value).toBe('1');

    act(() => {
      fireEvent.click(screen.getAllByTestId('table-row')[0]!);
    });
    expect(within(screen.getByTestId('details')).getByTestId('detail-comm').textContent).toBe('commssh');
  });
});
