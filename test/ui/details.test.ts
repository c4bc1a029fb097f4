import { describe, expect, it } from 'vitest';
import { detailRows, endpoint } from '../../ui/src/model/details.js';
import { record } from './fixtures.js';

describe('details rows', () => {
  it('lists type, every contract field in order, then unknown fields marked extra', () => {
    const rec = { ...record({ cmdline: null }), cgroup: '/system.slice/x.service', marks: [1, 2] };
    expect(detailRows(rec)).toEqual([
      { key: 'type', value: 'connection', extra: false },
      { key: 'ts', value: '2025-03-01T12:00:00.000Z', extra: false },
      { key: 'pid', value: '4242', extra: false },
      { key: 'tid', value: '4242', extra: false },
      { key: 'ppid', value: '1', extra: false },
      { key: 'uid', value: '1000', extra: false },
      { key: 'comm', value: 'curl', extra: false },
      { key: 'cmdline', value: 'null', extra: false },
      { key: 'netns', value: '4026531840', extra: false },
      { key: 'proto', value: 'tcp', extra: false },
      { key: 'family', value: '4', extra: false },
      { key: 'saddr', value: '10.0.0.5', extra: false },
      { key: 'sport', value: '43512', extra: false },
      { key: 'daddr', value: '93.184.216.34', extra: false },
      { key: 'dport', value: '443', extra: false },
      { key: 'outcome', value: 'established', extra: false },
      { key: 'errno', value: 'null', extra: false },
      { key: 'error', value: 'null', extra: false },
      { key: 'latencyMs', value: '12.5', extra: false },
      { key: 'sourceReason', value: 'route', extra: false },
      { key: 'dev', value: 'eth0', extra: false },
      { key: 'gateway', value: '10.0.0.1', extra: false },
      { key: 'stateRaw', value: '1', extra: false },
      { key: 'commHex', value: '6375726c', extra: false },
      { key: 'netnsName', value: 'null', extra: false },
      { key: 'routeSrc', value: 'null', extra: false },
      { key: 'mark', value: '0', extra: false },
      { key: 'cgroup', value: '/system.slice/x.service', extra: true },
      { key: 'marks', value: '[1,2]', extra: true },
    ]);
  });

  it('shows a mark in hex, as fwmark rules are written, with its decimal', () => {
    const mark = (m: number | null) => detailRows(record({ mark: m })).find((r) => r.key === 'mark')!.value;
    expect([mark(0x2a), mark(0xffffffff), mark(0), mark(null)]).toEqual(['0x2a (42)', '0xffffffff (4294967295)', '0', 'null']);
  });

  it('formats endpoints with brackets for IPv6', () => {
    expect([endpoint('10.0.0.1', 80), endpoint('2001:db8::1', 443), endpoint(null, null), endpoint('10.0.0.1', null)]).toEqual(['10.0.0.1:80', '[2001:db8::1]:443', '-', '10.0.0.1']);
  });
});
