import { describe, expect, it } from 'vitest';
import { compileFilter, EMPTY_FILTER, parseUrlState, toQueryString, type FilterText } from '../../ui/src/model/filter.js';
import { record, refused } from './fixtures.js';

const f = (over: Partial<FilterText>): FilterText => ({ ...EMPTY_FILTER, ...over });

const RECORDS = [
  record({ pid: 10, comm: 'curl', saddr: '10.0.0.5', sport: 40000, daddr: '93.184.216.34', dport: 443 }),
  record({ pid: 11, comm: 'Python3', saddr: '192.168.1.9', sport: 40001, daddr: '10.20.0.1', dport: 5432, ...refused }),
  record({ pid: 12, comm: 'ssh', family: 6, saddr: '2001:db8:1::5', sport: 40002, daddr: '2001:db8:2::7', dport: 22 }),
  record({ pid: 13, comm: 'wget', family: 6, saddr: null, sport: null, daddr: '::ffff:10.20.0.9', dport: 80, outcome: 'unreachable', errno: 101, error: 'ENETUNREACH', latencyMs: null }),
];

const pids = (text: FilterText): number[] => {
  const c = compileFilter(text);
  return RECORDS.filter(c.matches).map((r) => r.pid);
};

describe('compileFilter', () => {
  it('passes everything when empty', () => {
    expect(pids(EMPTY_FILTER)).toEqual([10, 11, 12, 13]);
    expect(compileFilter(EMPTY_FILTER).active).toBe(0);
  });

  it('filters by each field', () => {
    expect(pids(f({ pid: '12' }))).toEqual([12]);
    expect(pids(f({ comm: 'PYTH' }))).toEqual([11]); // substring, any case
    expect(pids(f({ src: '10.0.0.0/8' }))).toEqual([10]);
    expect(pids(f({ src: '2001:db8::/32' }))).toEqual([12]);
    expect(pids(f({ dst: '10.20.0.0/16' }))).toEqual([11, 13]); // v4-mapped v6 destination included
    expect(pids(f({ dst: '2001:db8:2::7' }))).toEqual([12]);
    expect(pids(f({ port: '40001' }))).toEqual([11]); // source port
    expect(pids(f({ port: '22' }))).toEqual([12]); // destination port
    expect(pids(f({ proto: 'tcp6' }))).toEqual([12, 13]);
    expect(pids(f({ proto: 'tcp4' }))).toEqual([10, 11]);
    expect(pids(f({ outcome: 'failed' }))).toEqual([11, 13]);
    expect(pids(f({ outcome: 'refused' }))).toEqual([11]);
  });

  it('combines fields with AND', () => {
    const c = compileFilter(f({ dst: '10.0.0.0/8', outcome: 'refused', comm: 'py' }));
    expect(c.active).toBe(3);
    expect(RECORDS.filter(c.matches).map((r) => r.pid)).toEqual([11]);
  });

  it('reports malformed fields and ignores them', () => {
    const c = compileFilter(f({ pid: 'abc', src: '10.0.0.0/33', dst: 'example.org', port: '70000', proto: 'udp', outcome: 'maybe', comm: 'ssh' }));
    expect(c.errors).toEqual({
      pid: 'pid is a number',
      src: 'not an IPv4/IPv6 address or CIDR',
      dst: 'not an IPv4/IPv6 address or CIDR',
      port: 'port is 0-65535',
      proto: 'unknown protocol udp',
      outcome: 'unknown outcome maybe',
    });
    expect(c.active).toBe(1);
    expect(RECORDS.filter(c.matches).map((r) => r.pid)).toEqual([12]);
  });
});

describe('URL state', () => {
  it('round-trips every filter and the lane mode', () => {
    const state = {
      filter: { pid: '42', comm: 'cu rl&', src: '10.0.0.0/8', dst: '2001:db8::/32', port: '443', proto: 'tcp6', outcome: 'failed' },
      lanes: 'source' as const,
    };
    const q = toQueryString(state);
    expect(q).toBe('?pid=42&comm=cu+rl%26&src=10.0.0.0%2F8&dst=2001%3Adb8%3A%3A%2F32&port=443&proto=tcp6&outcome=failed&lanes=source');
    expect(parseUrlState(q)).toEqual(state);
  });

  it('writes nothing for the default view and reads defaults from an empty query', () => {
    expect(toQueryString({ filter: EMPTY_FILTER, lanes: 'process' })).toBe('');
    expect(parseUrlState('')).toEqual({ filter: EMPTY_FILTER, lanes: 'process' });
  });

  it('never carries the auth token or other unknown parameters', () => {
    const state = parseUrlState('?token=s3cret&dst=10.0.0.1&utm=x&lanes=bogus');
    expect(state).toEqual({ filter: f({ dst: '10.0.0.1' }), lanes: 'process' });
    expect(toQueryString(state)).toBe('?dst=10.0.0.1');
    expect(parseUrlState('?lanes=route')).toEqual({ filter: EMPTY_FILTER, lanes: 'route' });
    expect(parseUrlState('?lanes=netns')).toEqual({ filter: EMPTY_FILTER, lanes: 'netns' });
    expect(toQueryString({ filter: EMPTY_FILTER, lanes: 'route' })).toBe('?lanes=route');
  });
});
