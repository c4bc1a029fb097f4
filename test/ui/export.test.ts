import { describe, expect, it } from 'vitest';
import { CSV_HEADER, toCsvRow, toNdjsonLine } from '../../agent/model/format.js';
import { exportFileName, exportText } from '../../ui/src/model/export.js';
import { EMPTY_FILTER } from '../../ui/src/model/filter.js';
import { ConnectionStore } from '../../ui/src/model/store.js';
import { at, record, refused } from './fixtures.js';

const RECORDS = [
  record({ ts: at(0), pid: 1, comm: '=cmd|calc', cmdline: 'a "quoted", line' }),
  record({ ts: at(1), pid: 2, daddr: '10.9.0.1', ...refused }),
  { ...record({ ts: at(2), pid: 3, family: 6, saddr: '2001:db8::5', daddr: '2001:db8::1' }), cgroup: '/user.slice' },
  record({ ts: at(3), pid: 4, daddr: '10.9.0.2', saddr: null, sport: null, latencyMs: null, outcome: 'unreachable', errno: 101, error: 'ENETUNREACH' }),
];

function storeWith(filter: Partial<typeof EMPTY_FILTER>): ConnectionStore {
  const store = new ConnectionStore({ schedule: (fn) => fn() });
  store.addRecords(RECORDS, false);
  store.setFilter({ ...EMPTY_FILTER, ...filter });
  return store;
}

describe('export', () => {
  it('NDJSON of the filtered view is the CLI formatter, line by line', () => {
    const store = storeWith({ dst: '10.9.0.0/16' });
    const expected = `${toNdjsonLine(RECORDS[1]!)}\n${toNdjsonLine(RECORDS[3]!)}\n`;
    expect(exportText(store.view, 'ndjson')).toBe(expected);
  });

  it('CSV of the filtered view is CSV_HEADER plus toCsvRow for each record', () => {
    const store = storeWith({ outcome: '' });
    const expected = [CSV_HEADER, ...RECORDS.map((r) => toCsvRow(r))].join('\n') + '\n';
    expect(exportText(store.view, 'csv')).toBe(expected);
    // the formula guard and quoting come from format.ts, not from the UI
    expect(exportText(store.view, 'csv')).toContain(`'=cmd|calc`);
  });

  it('keeps unknown fields in NDJSON exactly as received', () => {
    const store = storeWith({ pid: '3' });
    expect(exportText(store.view, 'ndjson')).toBe(`${JSON.stringify(RECORDS[2])}\n`);
    expect(JSON.parse(exportText(store.view, 'ndjson'))).toEqual({ ...record({ ts: at(2), pid: 3, family: 6, saddr: '2001:db8::5', daddr: '2001:db8::1' }), cgroup: '/user.slice' });
  });

  it('an empty view exports no lines (CSV keeps its header)', () => {
    const store = storeWith({ pid: '999' });
    expect([exportText(store.view, 'ndjson'), exportText(store.view, 'csv')]).toEqual(['', `${CSV_HEADER}\n`]);
  });

  it('names files by format and UTC time', () => {
    expect(exportFileName('csv', new Date('2025-03-01T12:34:56.789Z'))).toBe('srctrace-2025-03-01T123456Z.csv');
  });
});
