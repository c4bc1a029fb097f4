// Finds connects whose outcome the probes missed while tracing still runs.
//
// The tracepoint sets keep each start in the kernel (@pend) until its outcome
// fires. If the socket leaves SYN_SENT without a probe run (seen in CI: bursts
// of refusals with no probe run and no skipped run counted, syn-sent.ts), the
// start stays there, unseen by the agent, until its socket begins another
// connect (P line) or tracing stops (END's dump). On a quiet host that can be
// hours: a live dashboard would never show those connects.
//
// bpf/pend-dump.bt prints @pend every 10 s between a D and an E marker. An
// attempt is judged lost when
//   1. it was in two dumps in a row (it has pended 10 s or more: younger ones
//      are not worth a look at the socket tables),
//   2. the kernel's socket table, read after the second (syn-sent.ts), had no
//      socket of its namespace and tuple in SYN_SENT, and
//   3. it is still in a dump whose D marker the probes printed after that read.
// The outcome probe deletes the start before the socket's new state is
// stored, so a start still in @pend after its socket was seen out of SYN_SENT
// had no probe run for that change: no outcome is on its way. Attempts are
// matched to sockets by tuple and count (the table hides socket pointers), so
// a tuple with any socket left in SYN_SENT makes no claim.
//
// What is judged lost is recorded once: later dumps, a P line or END's dump
// of the same start (socket and SYN time) are then skipped (isReported).
//
// The last dump also outlives bpftrace: if it dies, its @pend dies with it,
// and the starts it held would vanish without a record. The starts of the
// last dump whose outcome has not been read since (completed, outcomeOn) are
// handed back at the restart (reset), for the agent to keep waiting for their
// outcome, which the new bpftrace prints as an O line (its @pend lacks them).
import type { StartEvent } from '../decode/events.js';

/**
 * Reads the kernel's socket tables now: the time of the read (CLOCK_MONOTONIC
 * ns) and which of `starts` had certainly left SYN_SENT by then (the tracer
 * wires in syn-sent.ts; tests pass their own).
 */
export type EndedCheck = (starts: StartEvent[]) => { atNs: number; ended: ReadonlySet<StartEvent> };

interface Tracked {
  start: StartEvent;
  /** Dumps in a row it was in. */
  seen: number;
  /** CLOCK_MONOTONIC ns of a socket-table read that found its socket out of SYN_SENT, else null. */
  endedBy: number | null;
}

export class PendWatch {
  /** The dump being read (between D and E), or null. */
  private dump: { ts: number; starts: StartEvent[] } | null = null;
  /** Starts of the last whole dump, by socket (@pend holds one per socket). */
  private tracked = new Map<string, Tracked>();
  /** Starts already recorded as lost, by socket: their SYN time. */
  private readonly reported = new Map<string, number>();
  /** END's Z marker was read: @pend lines from now on are its dump. */
  private exiting = false;

  constructor(private readonly check: EndedCheck) {}

  /** Whether a @pend line now belongs to a periodic dump (else it is END's: a start). */
  get collecting(): boolean {
    return this.dump !== null && !this.exiting;
  }

  begin(ts: number): void {
    if (!this.exiting) this.dump = { ts, starts: [] };
  }

  add(start: StartEvent): void {
    this.dump?.starts.push(start);
  }

  /** END's dump follows: an unfinished periodic dump is dropped (END's lists the same starts). */
  exit(): void {
    this.exiting = true;
    this.dump = null;
  }

  /** The dump is complete: returns the starts now judged lost (each once). */
  end(): StartEvent[] {
    const dump = this.dump;
    this.dump = null;
    if (!dump || this.exiting) return [];
    const lost: StartEvent[] = [];
    const next = new Map<string, Tracked>();
    for (const start of dump.starts) {
      if (this.reported.get(start.sk) === start.ts) continue;
      const prev = this.tracked.get(start.sk);
      if (prev && prev.start.ts === start.ts) {
        if (prev.endedBy !== null && prev.endedBy < dump.ts) {
          lost.push(start);
          this.reported.set(start.sk, start.ts);
          continue;
        }
        next.set(start.sk, { start, seen: prev.seen + 1, endedBy: null });
      } else {
        next.set(start.sk, { start, seen: 1, endedBy: null });
      }
    }
    this.tracked = next;
    const candidates: StartEvent[] = [];
    for (const t of next.values()) if (t.seen >= 2) candidates.push(t.start);
    if (candidates.length > 0) {
      const { atNs, ended } = this.check(candidates);
      for (const s of ended) next.get(s.sk)!.endedBy = atNs;
    }
    return lost;
  }

  /** True (once) for a start already recorded as lost: its P line or END's dump of it. */
  isReported(start: StartEvent): boolean {
    if (this.reported.get(start.sk) !== start.ts) return false;
    this.reported.delete(start.sk);
    return true;
  }

  /** Whether any start of the last dump still awaits its outcome (cheap: checked per connect). */
  get tracking(): boolean {
    return this.tracked.size !== 0;
  }

  /** The start (socket, SYN time) got its outcome, or left @pend (P line). */
  completed(sk: string, ts: number): void {
    if (this.tracked.get(sk)?.start.ts === ts) this.tracked.delete(sk);
  }

  /** An outcome (O line) on socket `sk` at `ts` ends the start it had then. */
  outcomeOn(sk: string, ts: number): void {
    const t = this.tracked.get(sk);
    if (t && t.start.ts <= ts) this.tracked.delete(sk);
  }

  /**
   * A new bpftrace run: its @pend starts empty. Returns the starts of the
   * last dump that were still awaiting their outcome: the run before held
   * them, and they would otherwise be lost with it.
   */
  reset(): StartEvent[] {
    const carried = [...this.tracked.values()].map((t) => t.start);
    this.dump = null;
    this.tracked = new Map();
    this.reported.clear();
    this.exiting = false;
    return carried;
  }
}
