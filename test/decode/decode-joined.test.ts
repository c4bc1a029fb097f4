// C lines (start and outcome joined in the kernel), END's @pend entries and
// the @lines count,
// from a real capture: bpf/srctrace-tracepoint.bt on this VM, loopback clients
// with a hostile task name, a closed port, IPv6, an IPv4-mapped peer, a bound
// source, and two connects still pending (SYNs dropped in a private netns) when
// bpftrace was stopped.
import { describe, expect, it } from 'vitest';
import { decodeLine } from '../../agent/decode/decode-line.js';
import type { JoinedEvent, StartEvent } from '../../agent/decode/events.js';
import { captureLines } from '../helpers/capture.js';

const bytes = (hex: string) => Uint8Array.from(Buffer.from(hex, 'hex'));
const lines = captureLines('joined-and-pending.txt');
const events = lines.map(decodeLine);
const joined = events.filter((e): e is JoinedEvent => e.kind === 'joined');
const pending = events.filter((e): e is StartEvent => e.kind === 'start');

describe('decodeLine: C lines and @pend entries (real capture)', () => {
  it('decodes every line of the capture (no malformed)', () => {
    expect(events.filter((e) => e.kind === 'malformed')).toEqual([]);
    expect(joined).toHaveLength(5);
    expect(pending).toHaveLength(2);
    expect(events.filter((e) => e.kind === 'connect-error')).toHaveLength(1);
    // @lines: the probes' own count, every second and once more at exit.
    expect(events.filter((e) => e.kind === 'line-count').map((e) => (e as { count: number }).count)).toEqual([0, 0, 5, 5, 5]);
  });

  it('an F line says whether its connect() reached SYN_SENT (the refused one did)', () => {
    expect(events.find((e) => e.kind === 'connect-error')).toMatchObject({ errno: 111, synSent: true });
    const f = lines.find((l) => l.startsWith('F '))!;
    expect(decodeLine(f.replace(/ 1$/, ' 0'))).toMatchObject({ synSent: false });
  });

  it('a P line (a start whose outcome never fired) decodes like the start half of a C line, but without the mark and TOS', () => {
    const c = lines.find((l) => l.startsWith('C '))!;
    const p = `P ${c.split(' ').slice(1, 18).join(' ')}`;
    // @pend, which P lines print from, keeps sk_userlocks alone: no mark, no device bit, no TOS.
    expect(decodeLine(p)).toEqual({ ...joined[0]!.start, mark: null, tos: null });
    expect(decodeLine(p.replace(/^((?:\S+ ){14})0 /, `$1${(42n << 32n) | 0x104n} `))).toMatchObject({ bound: true, portBound: false, devBound: false, mark: null, tos: null });
    expect(decodeLine(`${p} 1`)).toMatchObject({ kind: 'malformed', reason: 'P line has 18 fields, expected 17' });
  });

  it('a C line is the start (task, chosen source) and the outcome (final port) of one connect', () => {
    expect(joined[0]).toEqual({
      kind: 'joined',
      start: {
        kind: 'start', ts: 11988391805354, sk: 'ffff88817a2bb780', pid: 3930, tid: 3930, ppid: 3903, uid: 0,
        startNs: 11988036986641, commBytes: bytes('22275c0a09ff80fe41'), netns: 4026531833, family: 4,
        saddr: '127.0.0.1', daddr: '127.0.0.1', sport: 0, dport: 49503, bound: false, portBound: false, devBound: false, mark: 0, tos: 0,
      },
      outcome: {
        kind: 'outcome', ts: 11988391864938, sk: 'ffff88817a2bb780', newState: 1, sport: 51510, skErr: 0,
        route: { devBytes: Uint8Array.from(Buffer.from('lo')), gateway: null },
      },
    });
  });

  it('every loopback connect left through lo, with no gateway (the lab e2e test checks real uplinks and gateways)', () => {
    expect(joined.map((j) => [Buffer.from(j.outcome.route.devBytes ?? []).toString(), j.outcome.route.gateway])).toEqual(Array(5).fill(['lo', null]));
  });

  it('carries the refused outcome, IPv6, the IPv4-mapped peer as IPv4, and a bound source', () => {
    expect(joined.map((j) => [j.start.family, j.start.saddr, j.start.daddr, j.start.dport, j.start.bound, j.outcome.newState, j.outcome.skErr])).toEqual([
      [4, '127.0.0.1', '127.0.0.1', 49503, false, 1, 0],
      [4, '127.0.0.1', '127.0.0.1', 9, false, 7, 111],
      [6, '::1', '::1', 46267, false, 1, 0],
      [4, '127.0.0.1', '127.0.0.1', 49503, false, 1, 0],
      [4, '127.0.0.3', '127.0.0.1', 49503, true, 1, 0],
    ]);
    expect(Buffer.from(joined[1]!.start.commBytes).toString('latin1')).toBe('plain-client');
  });

  it('an @pend entry is a start still waiting at exit, with its task and addresses', () => {
    expect(pending[0]).toEqual({
      kind: 'start', ts: 11988773237783, sk: 'ffff88812e775c80', pid: 3972, tid: 3972, ppid: 1, uid: 0,
      startNs: 11988404214736, commBytes: Uint8Array.from(Buffer.from('pending-client')), netns: 4026532176, family: 4,
      saddr: '192.0.2.1', daddr: '192.0.2.9', sport: 0, dport: 9, bound: false, portBound: false, devBound: false, mark: null, tos: null,
    });
  });

  it('names the bad field of a damaged C line, and rejects @pend entries of the wrong shape', () => {
    const c = lines.find((l) => l.startsWith('C '))!;
    const f = c.split(' ');
    f[9] = 'zz00007fffff0000';
    expect(decodeLine(f.join(' '))).toMatchObject({ kind: 'malformed', reason: expect.stringMatching(/^C field 9 is not word/) });
    expect(decodeLine(f.slice(0, -1).join(' '))).toMatchObject({ kind: 'malformed', reason: 'C line has 24 fields, expected 25' });
    expect(decodeLine(`${c} `)).toMatchObject({ kind: 'malformed' });
    const p = lines.find((l) => l.startsWith('@pend['))!;
    expect(decodeLine(p.replace(/, \d+\)$/, ')'))).toMatchObject({ kind: 'malformed', reason: expect.stringMatching(/16 fields/) });
    expect(decodeLine(p.replace('(11988773237783', '(99999999999999999999999'))).toMatchObject({ kind: 'malformed' });
    expect(decodeLine(p.replace(', 2, 0,', ', 7, 0,'))).toMatchObject({ kind: 'malformed', reason: expect.stringMatching(/family 7/) });
  });
});
