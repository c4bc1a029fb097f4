import { describe, expect, it } from 'vitest';
import { cidrContains, cidrMatcher, parseCidr, parseIp } from '../../ui/src/model/ip.js';

describe('parseIp', () => {
  it('reads IPv4 and IPv6 forms, including :: and an embedded dotted quad', () => {
    expect(parseIp('10.1.2.3')).toEqual({ family: 4, value: 0x0a010203n });
    expect(parseIp('::1')).toEqual({ family: 6, value: 1n });
    expect(parseIp('2001:db8::')).toEqual({ family: 6, value: 0x20010db8n << 96n });
    expect(parseIp('::ffff:10.0.0.1')).toEqual({ family: 6, value: (0xffffn << 32n) | 0x0a000001n });
    expect(parseIp('64:ff9b::192.0.2.33')).toEqual({ family: 6, value: (0x0064ff9bn << 96n) | 0xc0000221n });
    expect(parseIp('fe80::1%eth0')).toEqual({ family: 6, value: (0xfe80n << 112n) | 1n });
    expect(parseIp('1:2:3:4:5:6:7:8')).toEqual({ family: 6, value: 0x00010002000300040005000600070008n });
  });

  it('rejects malformed addresses', () => {
    for (const bad of ['', '10.0.0', '10.0.0.256', '10.0.0.01', '1.2.3.4.5', 'a.b.c.d', '1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', ':::', 'g::1', '::ffff:1.2.3', '1:2:3:4:5:6:7::8:9']) {
      expect(parseIp(bad), bad).toBeNull();
    }
  });
});

describe('CIDR matching', () => {
  it('parses prefixes and clears host bits', () => {
    expect(parseCidr('10.1.2.3/8')).toEqual({ family: 4, network: 0x0a000000n, bits: 8 });
    expect(parseCidr('2001:db8::1/32')).toEqual({ family: 6, network: 0x20010db8n << 96n, bits: 32 });
    expect(parseCidr('192.168.1.7')).toEqual({ family: 4, network: 0xc0a80107n, bits: 32 });
    expect(parseCidr('0.0.0.0/0')).toEqual({ family: 4, network: 0n, bits: 0 });
  });

  it('rejects malformed CIDRs', () => {
    for (const bad of ['10.0.0.0/33', '10.0.0.0/', '10.0.0.0/-1', '10.0.0.0/8/8', '::/129', 'example.org/8', '10.0.0.0/x', '/8']) {
      expect(parseCidr(bad), bad).toBeNull();
    }
  });

  it('matches IPv4 addresses against IPv4 networks', () => {
    const net = parseCidr('10.0.0.0/8')!;
    expect(cidrContains(net, parseIp('10.255.1.2')!)).toBe(true);
    expect(cidrContains(net, parseIp('11.0.0.1')!)).toBe(false);
    const host = parseCidr('192.168.1.7/32')!;
    expect(cidrContains(host, parseIp('192.168.1.7')!)).toBe(true);
    expect(cidrContains(host, parseIp('192.168.1.8')!)).toBe(false);
    expect(cidrContains(parseCidr('0.0.0.0/0')!, parseIp('203.0.113.9')!)).toBe(true);
  });

  it('matches IPv6 addresses against IPv6 networks', () => {
    const net = parseCidr('2001:db8::/32')!;
    expect(cidrContains(net, parseIp('2001:db8:ffff::1')!)).toBe(true);
    expect(cidrContains(net, parseIp('2001:db9::1')!)).toBe(false);
    const odd = parseCidr('fd00::/7')!;
    expect(cidrContains(odd, parseIp('fdab::1')!)).toBe(true);
    expect(cidrContains(odd, parseIp('fe80::1')!)).toBe(false);
  });

  it('treats IPv4-mapped IPv6 addresses as the IPv4 address they carry', () => {
    expect(cidrContains(parseCidr('10.0.0.0/8')!, parseIp('::ffff:10.9.9.9')!)).toBe(true);
    expect(cidrContains(parseCidr('10.0.0.0/8')!, parseIp('::ffff:11.9.9.9')!)).toBe(false);
    expect(cidrContains(parseCidr('::ffff:0:0/96')!, parseIp('10.9.9.9')!)).toBe(true);
    // a plain IPv6 address is never inside an IPv4 network
    expect(cidrContains(parseCidr('0.0.0.0/0')!, parseIp('2001:db8::1')!)).toBe(false);
  });

  it('matcher handles null and unparseable record addresses', () => {
    const m = cidrMatcher(parseCidr('10.0.0.0/8')!);
    expect([m('10.1.1.1'), m('10.1.1.1'), m(null), m('not-an-ip'), m('192.0.2.1')]).toEqual([true, true, false, false, false]);
  });
});
