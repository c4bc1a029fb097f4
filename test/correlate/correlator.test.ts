import { describe, expect, it } from 'vitest';
import { Correlator, type Attempt } from '../../agent/correlate/correlator.js';
import { decodeLine } from '../../agent/decode/decode-line.js';
import type { ConnectErrorEvent, OutcomeEvent, ProbeEvent, StartEvent } from '../../agent/decode/events.js';
import { captureLines } from '../helpers/capture.js';

const HOLD = 250e6;

function feed(c: Correlator, ev: ProbeEvent, now: number): Attempt[] {
  switch (ev.kind) {
    case 'start': return c.onStart(ev, now);
    case 'outcome': return c.onOutcome(ev, now);
    case 'connect-error': return c.onConnectError(ev, now);
    default: return [];
  }
}

/** Replays events in the given order with time advancing 1 ms per event, then drains. */
function replay(events: ProbeEvent[], opts: { maxPending?: number } = {}): { attempts: Attempt[]; c: Correlator } {
  const c = new Correlator({ holdNs: HOLD, ...opts });
  const attempts: Attempt[] = [];
  let now = 1e12;
  for (const ev of events) {
    attempts.push(...feed(c, ev, now), ...c.tick(now));
    now += 1e6;
  }
  attempts.push(...c.tick(now + 10 * HOLD));
  return { attempts, c };
}

/** A compact, comparable view of an attempt. */
function view(a: Attempt) {
  if (a.via === 'syscall') return { via: a.via, tid: a.error.tid, daddr: a.error.daddr, outcome: a.outcome, errno: a.errno };
  return { via: a.via, tid: a.start.tid, saddr: a.start.saddr, daddr: a.start.daddr, sport: a.end?.sport ?? null, outcome: a.outcome, errno: a.errno };
}

const capture = captureLines('loopback-hostile-names.txt').map(decodeLine);
const expected = [
  { via: 'socket', tid: 10943, saddr: '127.0.0.1', daddr: '127.0.0.1', sport: 47930, outcome: 'refused', errno: 111 },
  { via: 'socket', tid: 10945, saddr: '127.0.0.1', daddr: '127.0.0.1', sport: 47932, outcome: 'refused', errno: 111 },
  { via: 'socket', tid: 10950, saddr: '::1', daddr: '::1', sport: 47258, outcome: 'refused', errno: 111 },
  { via: 'socket', tid: 10953, saddr: '127.0.0.1', daddr: '127.0.0.1', sport: 47944, outcome: 'refused', errno: 111 },
  { via: 'socket', tid: 10956, saddr: '127.0.0.3', daddr: '127.0.0.1', sport: 34349, outcome: 'refused', errno: 111 },
  { via: 'syscall', tid: 10959, daddr: '198.18.99.1', outcome: 'unreachable', errno: 101 },
  { via: 'syscall', tid: 10968, daddr: '2001:db8::9', outcome: 'error', errno: 99 },
  { via: 'socket', tid: 11171, saddr: '127.0.0.1', daddr: '127.0.0.1', sport: 45134, outcome: 'established', errno: null },
  { via: 'socket', tid: 11171, saddr: '127.0.0.1', daddr: '127.0.0.1', sport: 45142, outcome: 'established', errno: null },
  { via: 'socket', tid: 11171, saddr: '127.0.0.1', daddr: '127.0.0.1', sport: 45158, outcome: 'established', errno: null },
];
type View = { tid: number; sport?: number | null };
const byTidPort = (a: View, b: View) => a.tid - b.tid || (a.sport ?? 0) - (b.sport ?? 0);

describe('Correlator on a real capture', () => {
  it('joins every attempt once, with the connecting thread, final port and outcome; connect() errors after SYN are merged', () => {
    const { attempts, c } = replay(capture);
    expect(attempts.map(view).sort(byTidPort)).toEqual([...expected].sort(byTidPort));
    expect(c.stats).toEqual({ unmatchedOutcomes: 0, lostOutcomes: 0, evicted: 0, mergedErrors: 5, repeats: 0 });
    expect(c.pendingAttempts).toBe(0);
  });

  it('gives the same answer when every outcome arrives before its start (other CPU buffers read first)', () => {
    const reordered = [...capture];
    for (let i = 0; i < reordered.length - 1; i++) {
      if (reordered[i]!.kind === 'start' && reordered[i + 1]!.kind === 'outcome') {
        [reordered[i], reordered[i + 1]] = [reordered[i + 1]!, reordered[i]!];
        i++;
      }
    }
    // and connect() errors before the start they belong to
    const errorsFirst = [...reordered.filter((e) => e.kind === 'connect-error'), ...reordered.filter((e) => e.kind !== 'connect-error')];
    expect(replay(reordered).attempts.map(view).sort(byTidPort)).toEqual([...expected].sort(byTidPort));
    expect(replay(errorsFirst).attempts.map(view).sort(byTidPort)).toEqual([...expected].sort(byTidPort));
  });
});

const task = { pid: 100, tid: 101, ppid: 1, uid: 0, commBytes: new Uint8Array([0x61]), startNs: 5 };
const start = (sk: string, ts: number, extra: Partial<StartEvent> = {}): StartEvent => ({
  kind: 'start', ts, sk, ...task, netns: 1, family: 4, saddr: '192.0.2.1', daddr: '198.18.1.1', sport: 0, dport: 80, bound: false, portBound: false, devBound: false, mark: 0, tos: 0, ...extra,
});
const outcome = (sk: string, ts: number, newState: number, sport: number, skErr = 0): OutcomeEvent => ({ kind: 'outcome', ts, sk, newState, sport, skErr, route: { devBytes: null, gateway: null } });
const cerr = (sk: string, enterTs: number, ts: number, errno: number, extra: Partial<ConnectErrorEvent> = {}): ConnectErrorEvent => ({
  kind: 'connect-error', ts, enterTs, sk, ...task, netns: 1, family: 4, daddr: '198.18.99.1', dport: 80, errno, synSent: null, ...extra,
}) as ConnectErrorEvent;

describe('Correlator on a real capture of bpftrace 0.14 (every start an S line, every outcome an O line)', () => {
  it('joins each attempt once; the connect() errors after SYN merge; the one still connecting at exit stays pending', () => {
    const { attempts, c } = replay(captureLines('bpftrace-0.14.txt').map(decodeLine));
    expect(attempts.map(view)).toEqual([
      { via: 'socket', tid: 28976, saddr: '127.0.0.1', daddr: '127.0.0.1', sport: 57274, outcome: 'established', errno: null },
      { via: 'socket', tid: 28976, saddr: '127.0.0.1', daddr: '127.0.0.1', sport: 33704, outcome: 'refused', errno: 111 },
      { via: 'socket', tid: 28976, saddr: '::1', daddr: '::1', sport: 43738, outcome: 'refused', errno: 111 },
      { via: 'syscall', tid: 28976, daddr: '203.0.113.5', outcome: 'unreachable', errno: 101 },
      // Closed while in SYN_SENT (the client gave up on a silent peer).
      { via: 'socket', tid: 28976, saddr: '192.0.2.1', daddr: '198.51.100.7', sport: 58016, outcome: 'error', errno: null },
      { via: 'socket', tid: 28976, saddr: '2001:db8::1', daddr: '2001:db8:1::7', sport: 37002, outcome: 'error', errno: null },
      { via: 'socket', tid: 28976, saddr: '192.0.2.1', daddr: '198.51.100.9', sport: 36474, outcome: 'error', errno: null },
    ]);
    expect(c.stats).toEqual({ unmatchedOutcomes: 0, lostOutcomes: 0, evicted: 0, mergedErrors: 2, repeats: 0 });
    // The blocking connect() of thread 29017, still waiting when bpftrace stopped.
    expect(c.drain().stillPending.map((st) => [st.tid, st.daddr, st.dport])).toEqual([[29017, '198.51.100.20', 443]]);
  });
});

describe('Correlator edge cases', () => {
  it('a reused socket address: each outcome goes to the start just before it, even when both starts arrive first', () => {
    const events = [start('a', 100, { tid: 1 }), start('a', 300, { tid: 2 }), outcome('a', 200, 1, 1111), outcome('a', 400, 7, 2222, 111)];
    expect(replay(events).attempts.map(view)).toEqual([
      { via: 'socket', tid: 1, saddr: '192.0.2.1', daddr: '198.18.1.1', sport: 1111, outcome: 'established', errno: null },
      { via: 'socket', tid: 2, saddr: '192.0.2.1', daddr: '198.18.1.1', sport: 2222, outcome: 'refused', errno: 111 },
    ]);
  });

  it('a start whose outcome was lost is still recorded (as error) and counted once a later outcome passes it', () => {
    const { attempts, c } = replay([start('a', 100, { tid: 1 }), start('a', 300, { tid: 2 }), outcome('a', 400, 1, 2222)]);
    expect(attempts.map(view)).toEqual([
      { via: 'socket', tid: 1, saddr: '192.0.2.1', daddr: '198.18.1.1', sport: null, outcome: 'error', errno: null },
      { via: 'socket', tid: 2, saddr: '192.0.2.1', daddr: '198.18.1.1', sport: 2222, outcome: 'established', errno: null },
    ]);
    expect(c.stats.lostOutcomes).toBe(1);
  });

  it('an outcome with no start (connect began before tracing) is counted, not recorded', () => {
    const { attempts, c } = replay([outcome('zz', 100, 1, 5)]);
    expect(attempts).toEqual([]);
    expect(c.stats.unmatchedOutcomes).toBe(1);
  });

  it('a connect() error with no SYN is an unreachable record; with a SYN in the same call it is merged', () => {
    const { attempts, c } = replay([cerr('b', 10, 20, 113), start('c', 50), outcome('c', 60, 7, 9, 110), cerr('c', 40, 70, 110)]);
    expect(attempts.map(view)).toEqual([
      { via: 'socket', tid: 101, saddr: '192.0.2.1', daddr: '198.18.1.1', sport: 9, outcome: 'timeout', errno: 110 },
      { via: 'syscall', tid: 101, daddr: '198.18.99.1', outcome: 'unreachable', errno: 113 },
    ]);
    expect(c.stats.mergedErrors).toBe(1);
  });

  it('a socket closed from SYN_SENT without a socket error takes connect()\'s errno (port exhaustion), else "closed before any reply"', () => {
    const withErrno = replay([start('d', 50), outcome('d', 60, 7, 0, 0), cerr('d', 40, 70, 99)]).attempts;
    expect(withErrno.map(view)).toEqual([{ via: 'socket', tid: 101, saddr: '192.0.2.1', daddr: '198.18.1.1', sport: 0, outcome: 'error', errno: 99 }]);
    const closed = replay([start('e', 50), outcome('e', 60, 7, 4444, 0)]).attempts;
    expect(closed).toHaveLength(1);
    expect(closed[0]).toMatchObject({ via: 'socket', outcome: 'error', errno: null, note: 'closed before any reply' });
  });

  it('keeps ten thousand pending attempts and joins each one (no 4096-entry limit)', () => {
    const n = 10_000;
    const events: ProbeEvent[] = [];
    for (let i = 0; i < n; i++) events.push(start(`s${i}`, i, { tid: i }));
    for (let i = 0; i < n; i++) events.push(outcome(`s${i}`, n + i, 7, 20000 + i, 111));
    const { attempts, c } = replay(events);
    expect(attempts).toHaveLength(n);
    expect(attempts.every((a) => a.via === 'socket' && a.end!.sport === 20000 + a.start.tid)).toBe(true);
    expect(c.stats).toEqual({ unmatchedOutcomes: 0, lostOutcomes: 0, evicted: 0, mergedErrors: 0, repeats: 0 });
  });

  it('evicts and counts beyond maxPending instead of growing without bound, keeping the evicted attribution', () => {
    const c = new Correlator({ holdNs: HOLD, maxPending: 2 });
    const out = [start('x1', 1, { tid: 1 }), start('x2', 2, { tid: 2 }), start('x3', 3, { tid: 3 })].flatMap((e) => c.onStart(e, 0));
    expect(out.map(view)).toEqual([{ via: 'socket', tid: 1, saddr: '192.0.2.1', daddr: '198.18.1.1', sport: null, outcome: 'error', errno: null }]);
    expect(c.stats.evicted).toBe(1);
    expect(c.pendingAttempts).toBe(2);
  });

  it('drain() records attempts still waiting for an outcome, keeping their attribution', () => {
    const c = new Correlator({ holdNs: HOLD });
    c.onStart(start('p', 1, { tid: 7 }), 0);
    const { attempts, stillPending } = c.drain();
    expect(stillPending.map((s) => s.sk)).toEqual(['p']);
    expect(attempts.map(view)).toEqual([{ via: 'socket', tid: 7, saddr: '192.0.2.1', daddr: '198.18.1.1', sport: null, outcome: 'error', errno: null }]);
    expect(c.pendingAttempts).toBe(0);
  });
});

describe('Correlator and blocking connect()', () => {
  it('merges an ETIMEDOUT connect() error that returns minutes after the SYN (no duplicate record)', () => {
    const c = new Correlator({ holdNs: HOLD });
    const out: Attempt[] = [];
    let now = 0;
    out.push(...c.onStart(start('t', 1e9), now));
    for (let i = 0; i < 200; i++) out.push(...c.tick((now += 1e9))); // 200 s of ticks
    out.push(...c.onOutcome(outcome('t', 128e9, 7, 5555, 110), now));
    out.push(...c.onConnectError(cerr('t', 0.9e9, 128.1e9, 110), now));
    out.push(...c.tick(now + 10 * HOLD));
    expect(out.map(view)).toEqual([{ via: 'socket', tid: 101, saddr: '192.0.2.1', daddr: '198.18.1.1', sport: 5555, outcome: 'timeout', errno: 110 }]);
  });
});

describe('Correlator and outcomes that never arrive', () => {
  it('records an attempt whose outcome is overdue (kernel time), counts it as lost, and keeps waiting for others', () => {
    const c = new Correlator({ holdNs: HOLD, outcomeDeadlineNs: 180e9 });
    const out: Attempt[] = [];
    out.push(...c.onStart(start('old', 1e9, { tid: 1 }), 0));
    out.push(...c.onStart(start('young', 100e9, { tid: 2 }), 0));
    out.push(...c.onStart(start('other', 182e9, { tid: 3 }), 0)); // kernel time moves on
    for (let i = 0; i < 50; i++) out.push(...c.tick(i));
    expect(out.map(view)).toEqual([{ via: 'socket', tid: 1, saddr: '192.0.2.1', daddr: '198.18.1.1', sport: null, outcome: 'error', errno: null }]);
    expect(out[0]).toMatchObject({ note: 'no outcome within 180 s of the SYN (event lost)' });
    expect(c.stats.lostOutcomes).toBe(1);
    expect(c.pendingAttempts).toBe(2);
  });

  it('keeps an overdue attempt the kernel still shows connecting, asks again 30 s (kernel time) later, and records it once it is not', () => {
    const asked: string[][] = [];
    let connecting = true;
    const c = new Correlator({
      holdNs: HOLD,
      outcomeDeadlineNs: 180e9,
      stillConnecting: (overdue) => {
        asked.push(overdue.map((s) => s.sk));
        return new Set(connecting ? overdue : []);
      },
    });
    const out: Attempt[] = [];
    const ticks = () => { for (let i = 0; i < 50; i++) out.push(...c.tick(i)); };
    out.push(...c.onStart(start('slow', 1e9, { tid: 1 }), 0));
    out.push(...c.onStart(start('young', 100e9, { tid: 2 }), 0));
    out.push(...c.onStart(start('other', 182e9, { tid: 3 }), 0));
    ticks();
    expect(asked).toEqual([['slow']]); // only the overdue one
    expect(out).toEqual([]);
    out.push(...c.onStart(start('later', 211e9, { tid: 4 }), 0));
    ticks();
    expect(asked).toHaveLength(1); // not asked again before 30 s of kernel time
    connecting = false;
    out.push(...c.onStart(start('later2', 213e9, { tid: 5 }), 0));
    ticks();
    expect(asked).toEqual([['slow'], ['slow']]);
    expect(out.map(view)).toEqual([{ via: 'socket', tid: 1, saddr: '192.0.2.1', daddr: '198.18.1.1', sport: null, outcome: 'error', errno: null }]);
    expect(out[0]).toMatchObject({ note: 'no outcome within 180 s of the SYN (event lost)' });
    expect(c.stats.lostOutcomes).toBe(1);
    expect(c.pendingAttempts).toBe(4);
  });

  it('an attempt kept past its deadline still takes its outcome when it comes', () => {
    const c = new Correlator({ holdNs: HOLD, outcomeDeadlineNs: 180e9, stillConnecting: (overdue) => new Set(overdue) });
    const out: Attempt[] = [];
    out.push(...c.onStart(start('slow', 1e9, { tid: 1 }), 0));
    out.push(...c.onStart(start('other', 182e9, { tid: 3 }), 0));
    for (let i = 0; i < 50; i++) out.push(...c.tick(i));
    out.push(...c.onOutcome(outcome('slow', 190e9, 7, 5555, 110), 100));
    out.push(...c.tick(100 + 10 * HOLD));
    expect(out.map(view)).toEqual([{ via: 'socket', tid: 1, saddr: '192.0.2.1', daddr: '198.18.1.1', sport: 5555, outcome: 'timeout', errno: 110 }]);
    expect(c.stats.lostOutcomes).toBe(0);
  });
});

describe('Correlator: attempts joined in the kernel (C lines)', () => {
  const ev = captureLines('joined-and-pending.txt').map(decodeLine);

  function replayJoined(events: ProbeEvent[]) {
    const c = new Correlator({ holdNs: HOLD });
    const out: Attempt[] = [];
    let now = 1e12;
    for (const e of events) {
      if (e.kind === 'joined') out.push(...c.onJoined(e.start, e.outcome, now));
      else out.push(...feed(c, e, now));
      out.push(...c.tick(now));
      now += 1e6;
    }
    out.push(...c.tick(now + 10 * HOLD));
    const { attempts, stillPending } = c.drain();
    return { out: [...out, ...attempts], stillPending, c };
  }

  it('records each C line once; the refused connect()\'s own error is merged, not a second record; @pend entries are recorded at exit', () => {
    const { out, stillPending, c } = replayJoined(ev);
    expect(out.map(view)).toEqual([
      { via: 'socket', tid: 3930, saddr: '127.0.0.1', daddr: '127.0.0.1', sport: 51510, outcome: 'established', errno: null },
      { via: 'socket', tid: 3930, saddr: '127.0.0.1', daddr: '127.0.0.1', sport: 60774, outcome: 'refused', errno: 111 },
      { via: 'socket', tid: 3930, saddr: '::1', daddr: '::1', sport: 41732, outcome: 'established', errno: null },
      { via: 'socket', tid: 3930, saddr: '127.0.0.1', daddr: '127.0.0.1', sport: 51526, outcome: 'established', errno: null },
      { via: 'socket', tid: 3930, saddr: '127.0.0.3', daddr: '127.0.0.1', sport: 39557, outcome: 'established', errno: null },
      { via: 'socket', tid: 3972, saddr: '192.0.2.1', daddr: '192.0.2.9', sport: null, outcome: 'error', errno: null },
      { via: 'socket', tid: 3972, saddr: '192.0.2.1', daddr: '192.0.2.9', sport: null, outcome: 'error', errno: null },
    ]);
    expect(stillPending).toHaveLength(2);
    expect(c.stats.mergedErrors).toBe(1);
  });

  it('the connect() error read before its C line (another CPU\'s buffer) is still merged', () => {
    const i = ev.findIndex((e) => e.kind === 'connect-error');
    const reordered = [...ev];
    const [err] = reordered.splice(i, 1);
    reordered.splice(i - 1, 0, err!);
    const { out } = replayJoined(reordered);
    expect(out.filter((a) => a.outcome === 'refused')).toHaveLength(1);
    expect(out.filter((a) => a.via === 'syscall')).toHaveLength(0);
  });

  it('falls back to the ordered join when the same socket also has split S/O events in flight (kernel map was full)', () => {
    const j = ev.find((e): e is Extract<ProbeEvent, { kind: 'joined' }> => e.kind === 'joined')!;
    // An older attempt on the same socket printed as S (map full) whose O was lost, then a joined one.
    const olderStart: StartEvent = { ...j.start, ts: j.start.ts - 5e9, tid: 99 };
    const c = new Correlator({ holdNs: HOLD });
    expect(c.onStart(olderStart, 1e12)).toEqual([]);
    const out = c.onJoined(j.start, j.outcome, 1e12 + 1e6);
    expect(out.map(view)).toEqual([
      { via: 'socket', tid: 99, saddr: '127.0.0.1', daddr: '127.0.0.1', sport: null, outcome: 'error', errno: null },
      { via: 'socket', tid: 3930, saddr: '127.0.0.1', daddr: '127.0.0.1', sport: 51510, outcome: 'established', errno: null },
    ]);
    expect(c.stats.lostOutcomes).toBe(1);
    expect(c.pendingAttempts).toBe(0);
  });
});

describe('Correlator: connect() errors that say whether their call reached SYN_SENT', () => {
  const joinedAt = (sk: string, startTs: number, endTs: number, skErr: number) =>
    [start(sk, startTs), outcome(sk, endTs, 7, 40000, skErr)] as const;

  it('an error from a call that never reached SYN_SENT is a record at once (no wait)', () => {
    const c = new Correlator({ holdNs: HOLD });
    const out = c.onConnectError(cerr('ffff0001', 1000, 2000, 101, { synSent: false }), 1e12);
    expect(out.map(view)).toEqual([{ via: 'syscall', tid: 101, daddr: '198.18.99.1', outcome: 'unreachable', errno: 101 }]);
  });

  it('an error that followed a SYN waits for its start even through a stalled agent, then merges (one record)', () => {
    const c = new Correlator({ holdNs: HOLD });
    const now = 1e12;
    expect(c.onConnectError(cerr('ffff0002', 1000, 9000, 110, { synSent: true }), now)).toEqual([]);
    // Five seconds of agent time pass before the C line is read (far beyond holdNs).
    expect(c.tick(now + 5e9)).toEqual([]);
    const [s, o] = joinedAt('ffff0002', 1500, 8000, 110);
    const out = [...c.onJoined(s, o, now + 5e9), ...c.tick(now + 5.1e9), ...c.tick(now + 60e9)];
    expect(out.map(view)).toEqual([{ via: 'socket', tid: 101, saddr: '192.0.2.1', daddr: '198.18.1.1', sport: 40000, outcome: 'timeout', errno: 110 }]);
    expect(c.stats.mergedErrors).toBe(1);
  });

  it('one whose start never arrives is recorded on its own after 30 s, attribution kept', () => {
    const c = new Correlator({ holdNs: HOLD });
    c.onConnectError(cerr('ffff0003', 1000, 9000, 111, { synSent: true }), 1e12);
    expect(c.tick(1e12 + 29e9)).toEqual([]);
    expect(c.tick(1e12 + 31e9).map(view)).toEqual([{ via: 'syscall', tid: 101, daddr: '198.18.99.1', outcome: 'refused', errno: 111 }]);
  });

  it('errors that arrive before their joined connects (drained later, socket reused meanwhile) each complete their own attempt', () => {
    // A loop of blocking connects to a closed port on one recycled socket: each
    // connect() error is read at once, the joined connects only at the next
    // drain, all together. Five attempts, two of them closed with no socket
    // error (the errno is only in connect()'s return).
    const c = new Correlator({ holdNs: HOLD });
    const now = 1e12;
    const sk = 'ffff0004';
    const errs = [0, 1, 2, 3, 4].map((i) => cerr(sk, 10_000 * i, 10_000 * i + 900, i % 2 ? 110 : 111, { synSent: true, tid: 200 + i }));
    for (const e of errs) expect(c.onConnectError(e, now)).toEqual([]);
    const out: Attempt[] = [];
    for (let i = 0; i < 5; i++) {
      const quiet = i === 1 || i === 3;
      out.push(...c.onJoined(start(sk, 10_000 * i + 100, { tid: 200 + i }), outcome(sk, 10_000 * i + 800, 7, 40000 + i, quiet ? 0 : 111), now + 50e6));
    }
    out.push(...c.tick(now + 100e6), ...c.tick(now + 60e9));
    expect(out.map(view).sort(byTidPort)).toEqual([0, 1, 2, 3, 4].map((i) => ({
      via: 'socket', tid: 200 + i, saddr: '192.0.2.1', daddr: '198.18.1.1', sport: 40000 + i,
      outcome: i === 1 || i === 3 ? 'timeout' : 'refused', errno: i === 1 || i === 3 ? 110 : 111,
    })));
    expect(c.stats.mergedErrors).toBe(5);
  });

  it('errors read after their joined connects, the socket reused many times meanwhile, are each merged (no extra records)', () => {
    // The same loop, but bpftrace's lines lag the helper's frames: all twelve
    // attempts on one recycled socket are read first, their connect() errors
    // after, and a thirteenth attempt that succeeds comes in between. Only
    // the two latest starts per socket were kept before; the older errors
    // then became records of their own 30 s later (seen in trace-lab).
    const c = new Correlator({ holdNs: HOLD });
    const now = 1e12;
    const sk = 'ffff0005';
    const n = 12;
    const out: Attempt[] = [];
    for (let i = 0; i < n; i++) {
      const quiet = i % 4 === 1;
      out.push(...c.onJoined(start(sk, 10_000 * i + 100, { tid: 300 + i }), outcome(sk, 10_000 * i + 800, 7, 41000 + i, quiet ? 0 : 111), now));
    }
    out.push(...c.onJoined(start(sk, 10_000 * n + 100, { tid: 399 }), outcome(sk, 10_000 * n + 800, 1, 42000, 0), now));
    out.push(...c.tick(now + 10e6));
    for (let i = 0; i < n; i++) out.push(...c.onConnectError(cerr(sk, 10_000 * i, 10_000 * i + 900, i % 4 === 1 ? 110 : 111, { synSent: true, tid: 300 + i }), now + 20e6));
    out.push(...c.tick(now + 100e6), ...c.tick(now + 60e9));
    expect(out.filter((a) => a.via === 'syscall').map(view)).toEqual([]);
    expect(out.map(view).sort(byTidPort)).toEqual([
      ...Array.from({ length: n }, (_, i) => ({
        via: 'socket', tid: 300 + i, saddr: '192.0.2.1', daddr: '198.18.1.1', sport: 41000 + i,
        outcome: i % 4 === 1 ? 'timeout' : 'refused', errno: i % 4 === 1 ? 110 : 111,
      })),
      { via: 'socket', tid: 399, saddr: '192.0.2.1', daddr: '198.18.1.1', sport: 42000, outcome: 'established', errno: null },
    ]);
    expect(c.stats.mergedErrors).toBe(n);
  });

  it('a late error still finds its failed attempt 3 s of agent time later, not after the history has rotated out', () => {
    const c = new Correlator({ holdNs: HOLD });
    const now = 1e12;
    const sk = 'ffff0006';
    // Four attempts: the two latest are kept anyway (15 min); the older two only in the failed history.
    for (let i = 0; i < 4; i++) c.onJoined(start(sk, 10_000 * i + 100, { tid: 500 + i }), outcome(sk, 10_000 * i + 800, 7, 43000 + i, 111), now);
    // Ticks as the agent makes them (every 100 ms) for 3 s: one rotation.
    for (let t = 1; t <= 30; t++) expect(c.tick(now + t * 100e6)).toEqual([]);
    expect(c.onConnectError(cerr(sk, 0, 900, 111, { synSent: true, tid: 500 }), now + 3.05e9)).toEqual([]);
    expect(c.stats.mergedErrors).toBe(1);
    // Ten more seconds: the history is gone, so an error for it now waits 30 s and is recorded on its own.
    for (let t = 31; t <= 130; t++) c.tick(now + t * 100e6);
    expect(c.onConnectError(cerr(sk, 10_000, 10_900, 111, { synSent: true, tid: 501 }), now + 13.05e9)).toEqual([]);
    expect(c.tick(now + 44e9).map(view)).toEqual([{ via: 'syscall', tid: 501, daddr: '198.18.99.1', outcome: 'refused', errno: 111 }]);
  });
});

describe('Correlator: a start handed over twice', () => {
  // Seen twice in hundreds of end-to-end runs: each of one client's refused
  // connects became two complete records. However a repeat arises, one
  // connect (socket, SYN time) is one record.
  const now = 1e12;

  it('a joined connect drained twice is one record; the repeat is counted', () => {
    const c = new Correlator({ holdNs: HOLD });
    const s = start('ffff0101', 1000, { tid: 600 });
    const o = outcome('ffff0101', 1800, 7, 44000, 111);
    const out = [...c.onJoined(s, o, now), ...c.onJoined({ ...s }, { ...o }, now + 1e6), ...c.tick(now + 10 * HOLD)];
    expect(out.map(view)).toEqual([{ via: 'socket', tid: 600, saddr: '192.0.2.1', daddr: '198.18.1.1', sport: 44000, outcome: 'refused', errno: 111 }]);
    expect(c.stats.repeats).toBe(1);
  });

  it('a failed connect repeated after its socket address served three more connects is still caught (the failed history)', () => {
    const c = new Correlator({ holdNs: HOLD });
    const sk = 'ffff0102';
    const attempts = [0, 1, 2, 3].map((i) => [start(sk, 10_000 * i + 100, { tid: 610 + i }), outcome(sk, 10_000 * i + 800, 7, 44100 + i, 111)] as const);
    const out = attempts.flatMap(([s, o]) => c.onJoined(s, o, now));
    // The first two again, as a later drain would bring them: older than the socket's two latest starts.
    out.push(...attempts.slice(0, 2).flatMap(([s, o]) => c.onJoined({ ...s }, { ...o }, now + 50e6)), ...c.tick(now + 10 * HOLD));
    expect(out.map((a) => view(a).tid)).toEqual([610, 611, 612, 613]);
    expect(c.stats.repeats).toBe(2);
  });

  it('a start printed as waiting (P line, END\'s dump) and then drained joined is completed by the joined entry: one record, with its outcome', () => {
    const c = new Correlator({ holdNs: HOLD });
    const s = start('ffff0103', 1000, { tid: 620 });
    expect(c.onStart({ ...s }, now)).toEqual([]);
    expect(c.pendingAttempts).toBe(1);
    const out = [...c.onJoined(s, outcome('ffff0103', 1800, 1, 44200, 0), now + 1e6), ...c.drain().attempts];
    expect(out.map(view)).toEqual([{ via: 'socket', tid: 620, saddr: '192.0.2.1', daddr: '198.18.1.1', sport: 44200, outcome: 'established', errno: null }]);
    expect(c.pendingAttempts).toBe(0);
    expect(c.stats).toMatchObject({ repeats: 1, lostOutcomes: 0 });
  });

  it('a start line repeating a recorded connect is dropped, not left waiting for an outcome that came already', () => {
    const c = new Correlator({ holdNs: HOLD });
    const s = start('ffff0104', 1000, { tid: 630 });
    const out = [...c.onJoined(s, outcome('ffff0104', 1800, 1, 44300, 0), now), ...c.onStart({ ...s }, now + 1e6), ...c.drain().attempts];
    expect(out.map((a) => [view(a).tid, a.outcome])).toEqual([[630, 'established']]);
    expect(c.stats.repeats).toBe(1);
  });

  it('a new connect on the same socket address is no repeat', () => {
    const c = new Correlator({ holdNs: HOLD });
    const sk = 'ffff0105';
    const out = [0, 1, 2].flatMap((i) => c.onJoined(start(sk, 10_000 * i + 100, { tid: 640 + i }), outcome(sk, 10_000 * i + 800, 1, 44400 + i, 0), now));
    expect(out).toHaveLength(3);
    expect(c.stats.repeats).toBe(0);
  });
});

