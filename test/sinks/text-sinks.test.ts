import { describe, expect, it } from 'vitest';
import { csvCell, CSV_HEADER, toCsvRow } from '../../agent/model/format.js';
import { hostileRecord as record } from '../helpers/sample-record.js';
import { tableHeader, tableRow } from '../../agent/sinks/table-sink.js';
import { safeText } from '../../agent/sinks/terminal-text.js';
import { makeSink } from '../../agent/cli/sinks.js';


describe('terminal table', () => {
  it('escapes control characters so a task name cannot drive the terminal or forge rows', () => {
    expect(safeText('\x1b[2J\nrm\\x')).toBe('\\x1b[2J\\x0arm\\\\x');
    const row = tableRow(record);
    // eslint-disable-next-line no-control-regex
    expect(row).not.toMatch(/[\x00-\x1f\x7f]/);
    expect(row.split('\n')).toHaveLength(1);
    expect(row).toContain('\\x1b[2J\\x0arm -…'); // escaped, then cut to the 16-column COMM field
    expect(row).toContain('[2001:db8:53::1]:40000');
    expect(row).toContain('[2001:db8:1::1]:8080');
  });

  it('lines the columns up with the header', () => {
    const header = tableHeader();
    expect(header.indexOf('SOURCE')).toBe(tableRow(record).indexOf('[2001:db8:53::1]'));
  });

  it('as srctrace builds it, writes rows in start order, not in the order they were read', async () => {
    let text = '';
    const out = { write: (c: string | Uint8Array) => ((text += String(c)), true), once: () => undefined };
    const sink = makeSink('table', out);
    const later = { ...record, ts: '2025-03-01T12:00:00.410Z', sport: 2 };
    const earlier = { ...record, ts: '2025-03-01T12:00:00.401Z', sport: 1 };
    sink.write(later); // a connect() that failed at once is read first
    sink.write(earlier); // the drained connect that began before it, a drain later
    await sink.close();
    expect(text.split('\n').filter(Boolean)).toEqual([tableHeader(), tableRow(earlier), tableRow(later)]);
  });

  it('shows the route the socket used: device, then the next hop; "-" without one', () => {
    const header = tableHeader();
    expect(header.indexOf('ROUTE')).toBe(tableRow(record).indexOf('up"a via 2001:db8:a::1'));
    expect(tableRow({ ...record, gateway: null })).toMatch(/ up"a$/);
    expect(tableRow({ ...record, dev: 'e\x1b]0;x\x07', gateway: null })).toMatch(/ e\\x1b\]0;x\\x07$/);
    expect(tableRow({ ...record, dev: null, gateway: null })).toMatch(/ -$/);
  });

  it('says why the source in a word or two: the route\'s src, no route src, bind, the error', () => {
    const why = (over: Partial<typeof record>) => tableRow({ ...record, ...over }).slice(tableHeader().indexOf('WHY')).split(/\s{2,}/)[0];
    expect(why({ routeSrc: true })).toBe('route src');
    expect(why({ routeSrc: false })).toBe('no route src');
    expect(why({ routeSrc: null })).toBe('route');
    expect(why({ sourceReason: 'bind', routeSrc: null })).toBe('bind');
    expect(why({ sourceReason: null, routeSrc: null, saddr: null, error: 'ENETUNREACH' })).toBe('ENETUNREACH');
  });
});

describe('CSV', () => {
  it('quotes separators, quotes and newlines, and defuses spreadsheet formulas', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell('=1+1')).toBe("'=1+1");
    expect(csvCell(-5)).toBe('-5');
    expect(csvCell(null)).toBe('');
  });

  it('writes every contract column in header order', () => {
    const cells = toCsvRow(record);
    expect(CSV_HEADER.split(',')).toHaveLength(26);
    expect(cells).toBe(
      '2026-11-26T05:20:17.035Z,42,43,1,0,"\x1b[2J\nrm -rf\t""x""","\'=HYPERLINK(""http://evil"")",4026531833,tcp,6,' +
      '2001:db8:53::1,40000,2001:db8:1::1,8080,refused,111,ECONNREFUSED,0.2,route,"up""a",2001:db8:a::1,7,1b5b324a0a726d202d7266092278 22,lab\thost,true,4660',
    );
  });
});
