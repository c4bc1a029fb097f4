// Joins probe events into finished connection attempts. Pure and
// clock-injected: callers pass the current CLOCK_MONOTONIC time, so tests can
// replay captures deterministically.
//
// Why a join at all: the connecting task is only visible at SYN_SENT; the final
// port and the outcome arrive later, often in softirq under another task's
// name. Events come from per-CPU buffers, so an outcome may be read before its
// start, and a socket address can be reused by a later connection. Starts are
// kept per socket sorted by time; an outcome matches the latest start at or
// before it.
import type { ConnectErrorEvent, OutcomeEvent, StartEvent } from '../decode/events.js';
import type { Outcome } from '../model/record.js';
import { outcomeForErrno } from './errno.js';

/** A finished attempt, ready to become a ConnectionRecord. */
export type Attempt =
  | { via: 'socket'; start: StartEvent; end: OutcomeEvent | null; outcome: Outcome; errno: number | null; note: string | null }
  | { via: 'syscall'; error: ConnectErrorEvent; outcome: Outcome; errno: number };

export interface CorrelatorOptions {
  /** How long to wait for an out-of-order partner event (ns). */
  holdNs?: number;
  /** Most attempts awaiting an outcome; beyond it the oldest are evicted and counted. */
  maxPending?: number;
  /**
   * An attempt still without an outcome this long after its SYN (kernel time)
   * has lost its outcome event: the kernel gives up on a SYN after about 127 s
   * (tcp_syn_retries 6). It is then recorded and counted as lost, unless
   * `stillConnecting` says otherwise.
   */
  outcomeDeadlineNs?: number;
  /**
   * Asked about overdue attempts before they are called lost: those it
   * returns are still connecting by the kernel's own socket table (a raised
   * tcp_syn_retries or TCP_SYNCNT keeps a SYN going for many minutes), so they
   * keep waiting and are asked about again OVERDUE_RECHECK_NS of kernel time
   * later. Without it (replays) the deadline alone decides.
   */
  stillConnecting?: (overdue: readonly StartEvent[]) => ReadonlySet<StartEvent>;
}

/** Seconds after its SYN before an attempt without an outcome is checked for loss (see outcomeDeadlineNs). */
export const OUTCOME_DEADLINE_S = 180;

/** How much later (kernel time) an overdue attempt that was still connecting is asked about again. */
export const OVERDUE_RECHECK_NS = 30e9;

export interface CorrelatorStats {
  /** Outcomes with no start: the connect began before tracing did. */
  unmatchedOutcomes: number;
  /** Starts whose outcome never arrived although a later use of the socket did (kernel loss). */
  lostOutcomes: number;
  /** Pending attempts evicted because maxPending was reached. */
  evicted: number;
  /** connect() errors that belonged to an attempt already seen at SYN_SENT. */
  mergedErrors: number;
  /**
   * Starts (socket, SYN time) handed over a second time: the repeat is
   * dropped, so no attempt becomes two records. Never expected; counted so
   * that it is reported, not hidden (see seenBefore).
   */
  repeats: number;
}

interface Held<T> { ev: T; deadline: number }

/**
 * A socket's two most recently seen start times (arrival order, which is
 * close to time order), -1 when unused. Updated in place: every connect
 * passes here, and an array per socket with push and shift was a tenth of
 * the agent's time in a connect storm.
 */
interface RecentStarts { latest: number; before: number }

/**
 * How long a connect() error that followed a SYN waits for its start line
 * before it is recorded on its own (the start line was lost: counted by the
 * line audit). Agent time, long enough that no event-loop stall outlasts it.
 */
const SYN_ERROR_HOLD_NS = 30e9;

/** How long a start can still be the subject of a connect() error: longer than any SYN timeout. */
const RECENT_START_NS = 15 * 60e9;

/** Failed attempts are kept this long (agent time, two generations: 2-4 s) for late connect() errors. */
const FAILED_GENERATION_NS = 2e9;

export class Correlator {
  private readonly holdNs: number;
  private readonly maxPending: number;
  private readonly pending = new Map<string, StartEvent[]>();
  private pendingCount = 0;
  /**
   * The two latest start times seen per socket, to recognise connect() errors that
   * follow a SYN (a blocking connect() returns ECONNREFUSED or, minutes later,
   * ETIMEDOUT). Two, so an out-of-order newer use of the socket does not hide
   * the one the error belongs to.
   */
  private readonly recentStarts = new Map<string, RecentStarts>();
  /**
   * Start times of attempts that ended without a connection (those a
   * connect() error follows), per socket, from the last 2-4 s of agent time:
   * an error can be read after its attempt even when the socket address was
   * reused many times meanwhile (a loop of refused connects: the kernel hands
   * the same address back at once, and the helper drains them all together),
   * beyond what the two latest starts cover. Two generations swapped every 2 s:
   * constant work per failed attempt, bounded memory, nothing for connects
   * that succeed.
   */
  private failedStarts = new Map<string, number[]>();
  private failedStartsOld = new Map<string, number[]>();
  private failedRotatedAt = Number.NEGATIVE_INFINITY;
  private ticks = 0;
  private readonly earlyOutcomes = new Map<string, Held<OutcomeEvent>[]>();
  /** Closed from SYN_SENT with no socket error: the errno is in connect()'s return, if anywhere. */
  private readonly closedQuietly = new Map<string, Held<{ start: StartEvent; end: OutcomeEvent }>>();
  /** connect() errors waiting for their start, by socket (finishing an attempt looks up its own). */
  private readonly heldErrors = new Map<string, Held<ConnectErrorEvent>[]>();
  /** Latest kernel timestamp seen, the clock for pruning recentStarts. */
  private newestTs = 0;
  readonly stats: CorrelatorStats = { unmatchedOutcomes: 0, lostOutcomes: 0, evicted: 0, mergedErrors: 0, repeats: 0 };

  private readonly outcomeDeadlineNs: number;
  private readonly stillConnecting: CorrelatorOptions['stillConnecting'];
  /** Overdue attempts the kernel still showed connecting: when (kernel time) to ask again. */
  private readonly recheckAt = new WeakMap<StartEvent, number>();

  constructor(opts: CorrelatorOptions = {}) {
    this.holdNs = opts.holdNs ?? 250e6;
    this.maxPending = opts.maxPending ?? 1_000_000;
    this.outcomeDeadlineNs = opts.outcomeDeadlineNs ?? OUTCOME_DEADLINE_S * 1e9;
    this.stillConnecting = opts.stillConnecting;
  }

  get pendingAttempts(): number {
    return this.pendingCount;
  }

  onStart(ev: StartEvent, now: number): Attempt[] {
    if (this.seenBefore(ev)) {
      this.stats.repeats++;
      return [];
    }
    return this.addStart(ev, now);
  }

  /** A start not seen before (the caller checked): joined with an early outcome, or pending. */
  private addStart(ev: StartEvent, now: number): Attempt[] {
    const out: Attempt[] = [];
    this.newestTs = Math.max(this.newestTs, ev.ts);

    // An outcome that was read before this start (another CPU's buffer)?
    const early = this.earlyOutcomes.get(ev.sk);
    const idx = early ? early.findIndex((h) => h.ev.ts >= ev.ts) : -1;
    if (early && idx >= 0) {
      const [h] = early.splice(idx, 1);
      if (early.length === 0) this.earlyOutcomes.delete(ev.sk);
      this.finishInto(out, ev, h!.ev, now);
      return out;
    }

    const list = this.pending.get(ev.sk);
    if (list) {
      list.push(ev);
      list.sort((a, b) => a.ts - b.ts);
    } else {
      this.pending.set(ev.sk, [ev]);
    }
    this.pendingCount++;
    if (this.pendingCount > this.maxPending) this.evictOldest(out);
    return out;
  }

  onOutcome(ev: OutcomeEvent, now: number): Attempt[] {
    const out: Attempt[] = [];
    this.newestTs = Math.max(this.newestTs, ev.ts);
    const list = this.pending.get(ev.sk);
    // The common case: one attempt pending on this socket, started before the outcome.
    if (list && list.length === 1 && list[0]!.ts <= ev.ts) {
      this.pending.delete(ev.sk);
      this.pendingCount--;
      this.finishInto(out, list[0]!, ev, now);
      return out;
    }
    let i = list ? list.length - 1 : -1;
    while (list && i >= 0 && list[i]!.ts > ev.ts) i--;
    if (!list || i < 0) {
      const held = { ev, deadline: now + this.holdNs };
      const early = this.earlyOutcomes.get(ev.sk);
      if (early) early.push(held);
      else this.earlyOutcomes.set(ev.sk, [held]);
      return out;
    }
    // Starts older than the matched one never got an outcome: it was lost.
    const matched = list[i]!;
    const older = list.splice(0, i + 1);
    older.pop();
    this.pendingCount -= i + 1;
    for (const lost of older) {
      this.stats.lostOutcomes++;
      out.push({ via: 'socket', start: lost, end: null, outcome: 'error', errno: null, note: 'outcome lost (kernel event loss)' });
    }
    if (list.length === 0) this.pending.delete(ev.sk);
    this.finishInto(out, matched, ev, now);
    return out;
  }

  /**
   * A start and its outcome joined in the kernel (C line). Nothing to wait
   * for, unless this socket also has split S/O traffic in flight (the kernel's
   * pending map was full): then the general path keeps the ordering rules.
   */
  onJoined(start: StartEvent, end: OutcomeEvent, now: number): Attempt[] {
    if (this.seenBefore(start)) return this.joinedRepeat(start, end, now);
    // (The size checks skip a hash lookup each while those maps are empty, as they are in a storm.)
    if ((this.pending.size !== 0 && this.pending.has(start.sk)) || (this.earlyOutcomes.size !== 0 && this.earlyOutcomes.has(start.sk))) {
      return [...this.addStart(start, now), ...this.onOutcome(end, now)];
    }
    this.newestTs = Math.max(this.newestTs, end.ts);
    // Every drained connect passes here: an array of exactly its size, not one grown by push.
    const a = this.finish(start, end, now);
    return a ? [a] : [];
  }

  onConnectError(ev: ConnectErrorEvent, now: number): Attempt[] {
    const out: Attempt[] = [];
    if (this.resolveError(ev, out)) return out;
    if (ev.synSent === false) {
      // The kernel says this call never reached SYN_SENT: no start will come.
      out.push({ via: 'syscall', error: ev, outcome: outcomeForErrno(ev.errno), errno: ev.errno });
      return out;
    }
    // Its start is on a line not read yet (another CPU's buffer, a busy agent,
    // or a connect the drain helper has not handed over yet, which is the
    // usual case: connect() returns before the next drain): when the kernel
    // says one exists, wait for it much longer than for an unknown.
    const held = { ev, deadline: now + (ev.synSent ? SYN_ERROR_HOLD_NS : this.holdNs) };
    const list = this.heldErrors.get(ev.sk);
    if (list) list.push(held);
    else this.heldErrors.set(ev.sk, [held]);
    return out;
  }

  /** Release whatever has waited long enough for a partner. */
  tick(now: number): Attempt[] {
    const out: Attempt[] = [];
    for (const [sk, list] of this.heldErrors) {
      const still: Held<ConnectErrorEvent>[] = [];
      for (const h of list) {
        if (this.resolveError(h.ev, out)) continue;
        if (h.deadline > now) { still.push(h); continue; }
        out.push({ via: 'syscall', error: h.ev, outcome: outcomeForErrno(h.ev.errno), errno: h.ev.errno });
      }
      if (still.length > 0) this.heldErrors.set(sk, still);
      else this.heldErrors.delete(sk);
    }
    for (const [key, h] of this.closedQuietly) {
      if (h.deadline > now) continue;
      this.closedQuietly.delete(key);
      out.push({ via: 'socket', start: h.ev.start, end: h.ev.end, outcome: 'error', errno: null, note: 'closed before any reply' });
    }
    for (const [sk, early] of this.earlyOutcomes) {
      const keep = early.filter((h) => h.deadline > now);
      this.stats.unmatchedOutcomes += early.length - keep.length;
      if (keep.length === 0) this.earlyOutcomes.delete(sk);
      else this.earlyOutcomes.set(sk, keep);
    }
    // The failed-attempt history: a new generation every 2 s, the one before the last dropped.
    if (this.failedRotatedAt === Number.NEGATIVE_INFINITY) this.failedRotatedAt = now;
    if (Number.isFinite(now) && now - this.failedRotatedAt >= FAILED_GENERATION_NS) {
      this.failedStartsOld = this.failedStarts;
      this.failedStarts = new Map();
      this.failedRotatedAt = now;
    }
    // A connect() blocks at most a few minutes (SYN retries); older starts
    // cannot be the subject of an error any more. Pruned every ~5 s of ticks,
    // by kernel time, so a replay's clock does not matter.
    if (++this.ticks % 50 === 0 || now === Number.POSITIVE_INFINITY) {
      const horizon = this.newestTs - RECENT_START_NS;
      for (const [sk, starts] of this.recentStarts) {
        if (Math.max(starts.latest, starts.before) < horizon) this.recentStarts.delete(sk);
      }
      this.expireOverdue(out);
    }
    return out;
  }

  /**
   * At exit: everything held is released, and attempts still waiting for an
   * outcome are recorded too (outcome "error", stateRaw null) so their
   * attribution is not lost.
   */
  drain(): { attempts: Attempt[]; stillPending: StartEvent[] } {
    const attempts = this.tick(Number.POSITIVE_INFINITY);
    const stillPending = [...this.pending.values()].flat();
    for (const start of stillPending) {
      attempts.push({ via: 'socket', start, end: null, outcome: 'error', errno: null, note: 'no outcome seen before tracing stopped' });
    }
    this.pending.clear();
    this.pendingCount = 0;
    return { attempts, stillPending };
  }

  /**
   * Whether this start (socket, SYN time: one connect, as no two connects
   * share a socket at once) was handed over before; if not, it is remembered.
   * Every path hands each start over once (C entry, S or P line, END's
   * @pend), yet twice in hundreds of end-to-end runs one client's attempts
   * each became two records. Caught here: a socket's two latest starts, and
   * for failed attempts (the ones seen doubled) those of the last 2-4 s,
   * however often the socket address was reused since. One hash lookup that
   * remembering the start needs anyway, so a connect storm pays nothing.
   */
  private seenBefore(ev: StartEvent): boolean {
    const recent = this.recentStarts.get(ev.sk);
    if (!recent) {
      this.recentStarts.set(ev.sk, { latest: ev.ts, before: -1 });
      return false;
    }
    if (recent.latest === ev.ts || recent.before === ev.ts || this.failedStart(ev)) return true;
    recent.before = recent.latest;
    recent.latest = ev.ts;
    return false;
  }

  private failedStart(ev: StartEvent): boolean {
    if (this.failedStarts.size === 0 && this.failedStartsOld.size === 0) return false;
    return (this.failedStarts.get(ev.sk)?.includes(ev.ts) ?? false) || (this.failedStartsOld.get(ev.sk)?.includes(ev.ts) ?? false);
  }

  /**
   * A joined connect whose start was handed over before. If that start still
   * waits (a P line or END's dump said its outcome never fired), this entry,
   * the kernel's own join, completes it; if it was recorded, the repeat is
   * dropped. Counted either way: the kernel side contradicted itself.
   */
  private joinedRepeat(start: StartEvent, end: OutcomeEvent, now: number): Attempt[] {
    this.stats.repeats++;
    const list = this.pending.get(start.sk);
    const i = list ? list.findIndex((s) => s.ts === start.ts) : -1;
    if (i < 0) return [];
    list!.splice(i, 1);
    if (list!.length === 0) this.pending.delete(start.sk);
    this.pendingCount--;
    // The entry's own start: it also carries the socket's mark, device and TOS, which a P line lacks.
    const a = this.finish(start, end, now);
    return a ? [a] : [];
  }

  private finishInto(out: Attempt[], start: StartEvent, end: OutcomeEvent, now: number): void {
    const a = this.finish(start, end, now);
    if (a) out.push(a);
  }

  /** The attempt `end` finishes, or null while it waits for its connect() error (closedQuietly). */
  private finish(start: StartEvent, end: OutcomeEvent, now: number): Attempt | null {
    if (end.newState === 7) {
      const failed = this.failedStarts.get(start.sk);
      if (failed) failed.push(start.ts);
      else this.failedStarts.set(start.sk, [start.ts]);
    }
    // Its connect() error may have arrived first: it completes this attempt, never a record of its own.
    const error = this.takeHeldError(start);
    if (end.newState === 7 && end.skErr === 0) {
      if (error) return { via: 'socket', start, end, outcome: outcomeForErrno(error.errno), errno: error.errno, note: null };
      this.closedQuietly.set(`${start.sk}/${start.ts}`, { ev: { start, end }, deadline: now + this.holdNs });
      return null;
    }
    if (end.newState !== 7) return { via: 'socket', start, end, outcome: 'established', errno: null, note: null };
    return { via: 'socket', start, end, outcome: outcomeForErrno(end.skErr), errno: end.skErr, note: null };
  }

  /** The held connect() error whose call covers this start (removed and counted as merged), if any. */
  private takeHeldError(start: StartEvent): ConnectErrorEvent | null {
    const list = this.heldErrors.size === 0 ? undefined : this.heldErrors.get(start.sk);
    const i = list ? list.findIndex((h) => start.ts >= h.ev.enterTs && start.ts <= h.ev.ts) : -1;
    if (i < 0) return null;
    const [h] = list!.splice(i, 1);
    if (list!.length === 0) this.heldErrors.delete(start.sk);
    this.stats.mergedErrors++;
    return h!.ev;
  }

  /** True if the error belongs to an attempt that reached SYN_SENT (then it is merged, not a record). */
  private resolveError(ev: ConnectErrorEvent, out: Attempt[]): boolean {
    const startTs = this.startDuring(ev);
    if (startTs === undefined) return false;
    this.stats.mergedErrors++;
    const key = `${ev.sk}/${startTs}`;
    const quiet = this.closedQuietly.get(key);
    if (quiet) {
      this.closedQuietly.delete(key);
      out.push({ via: 'socket', start: quiet.ev.start, end: quiet.ev.end, outcome: outcomeForErrno(ev.errno), errno: ev.errno, note: null });
    }
    return true;
  }

  /** The start seen on the error's socket during its connect() call, if any. */
  private startDuring(ev: ConnectErrorEvent): number | undefined {
    const covers = (ts: number) => ts >= ev.enterTs && ts <= ev.ts;
    const starts = this.recentStarts.get(ev.sk);
    if (starts && covers(starts.before)) return starts.before;
    if (starts && covers(starts.latest)) return starts.latest;
    for (const gen of [this.failedStarts, this.failedStartsOld]) {
      const list = gen.get(ev.sk);
      // One socket address serves one socket at a time, so its starts come in time order: newest first, stop before the call.
      for (let i = (list?.length ?? 0) - 1; i >= 0 && list![i]! >= ev.enterTs; i--) {
        if (list![i]! <= ev.ts) return list![i];
      }
    }
    return undefined;
  }

  /** Attempts whose outcome is long overdue and that the kernel no longer shows connecting: recorded (attribution kept) and counted as lost. */
  private expireOverdue(out: Attempt[]): void {
    const deadline = this.newestTs - this.outcomeDeadlineNs;
    const overdue: StartEvent[] = [];
    for (const list of this.pending.values()) {
      for (const start of list) {
        if (start.ts >= deadline) break; // sorted by time
        if ((this.recheckAt.get(start) ?? 0) <= this.newestTs) overdue.push(start);
      }
    }
    if (overdue.length === 0) return;
    const connecting = this.stillConnecting?.(overdue);
    for (const start of overdue) {
      if (connecting?.has(start)) {
        this.recheckAt.set(start, this.newestTs + OVERDUE_RECHECK_NS);
        continue;
      }
      const list = this.pending.get(start.sk)!;
      list.splice(list.indexOf(start), 1);
      if (list.length === 0) this.pending.delete(start.sk);
      this.pendingCount--;
      this.stats.lostOutcomes++;
      out.push({ via: 'socket', start, end: null, outcome: 'error', errno: null, note: `no outcome within ${Math.round(this.outcomeDeadlineNs / 1e9)} s of the SYN (event lost)` });
    }
  }

  /** Over maxPending: the oldest attempt is recorded now (attribution kept, no outcome) and counted. */
  private evictOldest(out: Attempt[]): void {
    // Map iteration order is insertion order, which is close to time order.
    for (const [sk, list] of this.pending) {
      const start = list.shift()!;
      this.pendingCount--;
      this.stats.evicted++;
      if (list.length === 0) this.pending.delete(sk);
      out.push({ via: 'socket', start, end: null, outcome: 'error', errno: null, note: 'too many attempts awaiting an outcome: recorded before its outcome' });
      return;
    }
  }

}
