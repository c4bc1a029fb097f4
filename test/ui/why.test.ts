import { describe, expect, it } from 'vitest';
import { whySource } from '../../ui/src/model/why.js';
import { record } from './fixtures.js';

describe('why this source', () => {
  it('a route without bind(): names the route and what the kernel took the source from', () => {
    const w = whySource(record({ saddr: '192.0.2.1', daddr: '198.18.1.1', dev: 'srct-upa', gateway: '198.51.100.1' }));
    expect(w).toBe('No bind(): the kernel took 192.0.2.1 from the route to 198.18.1.1, out srct-upa via 198.51.100.1. ' +
      "It is that route's src attribute or, when the route has none, an address of srct-upa (of another interface when srct-upa has none, as in BGP unnumbered); " +
      'to send from another address, set src on that route.');
  });

  it('says which, when the agent found the route still in place: its src, or none so the kernel picked', () => {
    const withSrc = whySource(record({ saddr: '192.0.2.1', daddr: '198.18.1.1', dev: 'srct-upa', gateway: '198.51.100.1', routeSrc: true }));
    expect(withSrc).toBe('No bind(): the route to 198.18.1.1, out srct-upa via 198.51.100.1, has src 192.0.2.1, and the kernel used it. ' +
      'To send from another address, change src on that route.');
    const without = whySource(record({ saddr: '203.0.113.2', daddr: '198.18.2.1', dev: 'srct-upb', gateway: '203.0.113.1', routeSrc: false }));
    expect(without).toBe('No bind(): the route to 198.18.2.1, out srct-upb via 203.0.113.1, has no src attribute, so the kernel took an address of srct-upb ' +
      '(of another interface when srct-upb has none, as in BGP unnumbered): 203.0.113.2. ' +
      'To send from another address (a service address on lo, say), set src on that route.');
    const v6 = whySource(record({ family: 6, saddr: '2001:db8:b::2', daddr: '2001:db8:2::1', dev: 'srct-upb', gateway: '2001:db8:b::1', routeSrc: false }));
    expect(v6).toContain('has no src attribute, so the kernel took the address IPv6 source selection prefers (usually one on srct-upb): 2001:db8:b::2.');
  });

  it('names a marked socket\'s mark, which policy routing may have gone by; a bound or unmarked one does not get the note', () => {
    const marked = whySource(record({ saddr: '192.0.2.77', daddr: '198.18.7.1', dev: 'up-a', gateway: '198.51.100.1', routeSrc: true, mark: 0x2a }));
    expect(marked).toBe('No bind(): the route to 198.18.7.1, out up-a via 198.51.100.1, has src 192.0.2.77, and the kernel used it. ' +
      'To send from another address, change src on that route. ' +
      'The socket carried mark 0x2a (SO_MARK), which ip rules (fwmark) may route by: check with ip route get 198.18.7.1 mark 0x2a.');
    expect(whySource(record({ routeSrc: true, mark: 0 }))).not.toContain('mark');
    expect(whySource(record({ routeSrc: true, mark: null }))).not.toContain('mark');
    expect(whySource(record({ sourceReason: 'bind', mark: 0x2a }))).not.toContain('mark');
  });

  it('an on-link route says so instead of naming a next hop', () => {
    expect(whySource(record({ gateway: null }))).toContain('from the route to 93.184.216.34, out eth0 (on-link).');
  });

  it('IPv6 falls back to source address selection, not simply the device address', () => {
    const w = whySource(record({ family: 6, saddr: '2001:db8:b::2', daddr: '2001:db8:2::1', dev: 'srct-upb', gateway: '2001:db8:b::1' }));
    expect(w).toContain('out srct-upb via 2001:db8:b::1');
    expect(w).toContain('the address IPv6 source selection prefers (usually one on srct-upb)');
    expect(w).not.toContain('an address of srct-upb');
  });

  it('a route that was not recorded is not made up', () => {
    const w = whySource(record({ dev: null, gateway: null }));
    expect(w).toBe('No bind(): the kernel took 10.0.0.5 from its route lookup for 93.184.216.34 (the route itself was not recorded).');
  });

  it('bind() is the process\'s choice, and the route it left by is still shown', () => {
    expect(whySource(record({ sourceReason: 'bind', saddr: '203.0.113.2', dev: 'srct-upa', gateway: '198.51.100.1' }))).toBe(
      "The process chose 203.0.113.2 itself: it called bind() on that address before connect(), which overrides the route's choice. " +
      'The connection left out srct-upa via 198.51.100.1.');
    expect(whySource(record({ sourceReason: 'bind', dev: null }))).not.toContain('left');
  });

  it('no source: the errno explains why none was chosen', () => {
    const failed = { saddr: null, sport: null, sourceReason: null, dev: null, gateway: null, latencyMs: null, outcome: 'unreachable' as const };
    expect(whySource(record({ ...failed, daddr: '198.18.99.1', errno: 101, error: 'ENETUNREACH', netns: 4026532176 }))).toBe(
      'No source was chosen: connect() failed with ENETUNREACH before any packet was sent, because there is no route to 198.18.99.1 in network namespace 4026532176.');
    expect(whySource(record({ ...failed, errno: 113, error: 'EHOSTUNREACH' }))).toContain('the route to 93.184.216.34 in network namespace 4026531840 is unreachable');
    expect(whySource(record({ ...failed, outcome: 'error', errno: 99, error: 'EADDRNOTAVAIL' }))).toContain('no local port was free');
    expect(whySource(record({ ...failed, outcome: 'error', errno: 13, error: 'EACCES' }))).toBe(
      'No source was chosen: connect() failed with EACCES before the kernel picked one.');
    // An errno without a name still says which it was.
    expect(whySource(record({ ...failed, outcome: 'error', errno: 250, error: null }))).toContain('failed with errno 250');
    expect(whySource(record({ ...failed, outcome: 'error', errno: null, error: null }))).toBe('No source address was recorded for this attempt.');
  });

  it('a source without a reason is shown, not explained', () => {
    expect(whySource(record({ sourceReason: null }))).toBe('Source 10.0.0.5; why it was chosen was not recorded.');
  });
});
