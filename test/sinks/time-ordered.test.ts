import { describe, expect, it } from 'vitest';
import type { SrcRecord } from '../../agent/model/record.js';
import type { Sink } from '../../agent/sinks/sink.js';
import { timeOrdered, type OrderClock } from '../../agent/sinks/time-ordered.js';
import { at, record } from '../ui/fixtures.js';

/** A clock the test moves by hand; `tick` runs the stage's timer as often as it would have fired. */
function fakeClock() {
  let t = 0;
  let timer: { ms: number; fn: () => void; next: number } | null = null;
  const clock: OrderClock = {
    now: () => t,
    every(ms, fn) {
      timer = { ms, fn, next: t + ms };
      return () => (timer = null);
    },
  };
  const advance = (ms: number) => {
    const end = t + ms;
    while (timer && timer.next <= end) {
      t = timer.next;
      timer.next += timer.ms;
      timer.fn();
    }
    t = end;
  };
  return { clock, advance, running: () => timer !== null };
}

function collect() {
  const out: SrcRecord[] = [];
  let closed = false;
  const sink: Sink = { write: (r) => out.push(r), close: async () => void (closed = true) };
  return { sink, out, closed: () => closed };
}

/** The stage with a 200 ms hold over a collecting sink, on the fake clock. */
function ordered() {
  const { clock, advance } = fakeClock();
  const { sink, out } = collect();
  return { s: timeOrdered(sink, 200, clock), out, advance };
}

const conn = (ms: number, sport: number) => record({ ts: at(ms), sport });
const ports = (rs: SrcRecord[]) => rs.map((r) => (r.type === 'connection' ? r.sport : r.type));

describe('time-ordered stage (the live table)', () => {
  it('writes records read out of order in the order they started', () => {
    const { s, out, advance } = ordered();
    // A connect() that failed at once (read at once), then the drained connects begun before it.
    s.write(conn(10, 3));
    advance(40);
    s.write(conn(1, 1));
    s.write(conn(5, 2));
    advance(100);
    expect(out).toEqual([]); // still within the hold
    advance(200);
    expect(ports(out)).toEqual([1, 2, 3]);
  });

  it('a younger record that started before one due goes out with it, above it', () => {
    const { s, out, advance } = ordered();
    s.write(conn(10, 3)); // arrives first
    advance(150);
    s.write(conn(1, 1)); // arrives 150 ms later, started earlier
    s.write(conn(500, 9)); // started later: waits for its own turn
    advance(60); // only the first has waited 200 ms
    expect(ports(out)).toEqual([1, 3]);
    advance(200);
    expect(ports(out)).toEqual([1, 3, 9]);
  });

  it('holds nothing longer than the hold and a timer period', () => {
    const { s, out, advance } = ordered();
    for (let i = 0; i < 100; i++) {
      s.write(conn(i, i));
      advance(7);
    }
    const writtenBy = out.length;
    advance(250);
    expect(writtenBy).toBeGreaterThan(60); // a steady stream flows through, it does not pile up
    expect(ports(out)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('close() writes everything still held, in order, then closes the sink and stops the timer', async () => {
    const { clock, running } = fakeClock();
    const c = collect();
    const s = timeOrdered(c.sink, 200, clock);
    const stopped: SrcRecord = { type: 'status', ts: at(50), state: 'stopped', backend: 'tracepoint', detail: 'x' };
    s.write(conn(30, 2));
    s.write(stopped);
    s.write(conn(20, 1));
    await s.close();
    expect(ports(c.out)).toEqual([1, 2, 'status']);
    expect(c.closed()).toBe(true);
    expect(running()).toBe(false);
  });

  it('equal start times keep their arrival order', () => {
    const { s, out, advance } = ordered();
    for (const p of [5, 3, 8, 1]) s.write(conn(0, p));
    advance(300);
    expect(ports(out)).toEqual([5, 3, 8, 1]);
  });
});
