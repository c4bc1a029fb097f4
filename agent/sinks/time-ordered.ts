// The live table reads top to bottom in time. Records reach the sinks in the
// order the kernel hands them over, which is not time order: a connect() that
// fails at once (no route) is read at once, while a drained connect arrives
// with the next drain, up to a drain interval later, and the per-CPU buffers of bpftrace
// interleave too. This stage holds each record briefly and passes on, sorted
// by `ts`, those that have waited long enough; nothing is dropped, and close()
// passes on everything still held. A connect that took longer than the hold
// to finish (a timeout) still appears when it ends, under its start time.
import type { SrcRecord } from '../model/record.js';
import type { Sink } from './sink.js';

export interface OrderClock {
  now(): number;
  every(ms: number, fn: () => void): () => void;
}

const realClock: OrderClock = {
  now: () => performance.now(),
  every(ms, fn) {
    const t = setInterval(fn, ms);
    t.unref(); // never what keeps srctrace running
    return () => clearInterval(t);
  },
};

/** Records are held `holdMs` (by arrival), then written to `inner` in `ts` order. */
export function timeOrdered(inner: Sink, holdMs = 200, clock: OrderClock = realClock): Sink {
  let held: { r: SrcRecord; at: number }[] = [];
  const pass = (batch: { r: SrcRecord }[]) => {
    // ts is ISO-8601 UTC of one width, so text order is time order; the sort is stable.
    batch.sort((a, b) => (a.r.ts < b.r.ts ? -1 : a.r.ts > b.r.ts ? 1 : 0));
    for (const h of batch) inner.write(h.r);
  };
  const flush = () => {
    const due = clock.now() - holdMs;
    // The records that have waited long enough (a prefix: held is in arrival
    // order), and with them every younger one that started no later than the
    // latest of those: a drained connect read after a failed connect() that
    // began after it still goes above it.
    let n = 0;
    let latest = '';
    while (n < held.length && held[n]!.at <= due) {
      if (held[n]!.r.ts > latest) latest = held[n]!.r.ts;
      n++;
    }
    if (n === 0) return;
    const batch = held.slice(0, n);
    const keep: typeof held = [];
    for (let i = n; i < held.length; i++) (held[i]!.r.ts <= latest ? batch : keep).push(held[i]!);
    held = keep;
    pass(batch);
  };
  const stopTimer = clock.every(Math.max(10, holdMs / 4), flush);
  return {
    write(r) {
      held.push({ r, at: clock.now() });
    },
    async close() {
      stopTimer();
      const rest = held;
      held = [];
      pass(rest);
      await inner.close();
    },
  };
}
