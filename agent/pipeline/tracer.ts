import { createWriteStream } from 'node:fs';
// Wires the one-way pipeline: probes (supervised bpftrace) -> decode ->
// correlate -> record -> filter -> sinks. Stages never call each other
// sideways; this module is the only place they meet.
import { Correlator, type Attempt } from '../correlate/correlator.js';
import { PendWatch } from '../correlate/pend-watch.js';
import { toRecord, wallClock, type RecordContext } from '../correlate/to-record.js';
import { decodeLine, redactExecLine } from '../decode/decode-line.js';
import { decodeFrame, FRAME_BYTES, frameToLine } from '../decode/joined-frame.js';
import { NetnsNames } from '../enrich/netns-names.js';
import { ProcInfo } from '../enrich/proc-info.js';
import { nsPathFinder, RouteSrc } from '../enrich/route-src.js';
import { synSentSnapshot, unseenEnds, type SynSentSnapshot, type UnseenEnds } from '../enrich/syn-sent.js';
import type { JoinedEvent, MalformedEvent, StartEvent } from '../decode/events.js';
import type { ProbeError } from '../errors.js';
import type { Backend, SrcRecord } from '../model/record.js';
import { drainHelperPath, usesMapDrain } from '../probes/map-drain.js';
import { recursionMisses, SKIPPED_RUNS } from '../probes/prog-misses.js';
import { Supervisor } from '../probes/supervisor.js';
import type { Sink } from '../sinks/sink.js';
import { makeFilter, type RecordFilter } from './filter.js';
import { FORK_LINES_LOST, isForkLine, LineAudit } from './line-audit.js';
import { programFor } from './program.js';
import { Descendants } from '../enrich/process-tree.js';

export interface TraceOptions {
  backend: Backend;
  bpftrace: string;
  /** bpftrace flags before the program (quietFlags() of its version). */
  bpftraceArgs?: string[];
  filter: RecordFilter;
  sinks: Sink[];
  /** bpftrace is older than 0.15: run its own program (legacy-bpftrace.ts). */
  legacy?: boolean;
  /** Extra environment for bpftrace (BPFTRACE_BTF for bpftrace 0.14). */
  env?: Record<string, string>;
  /** Program text override (tests use this to run a replay or a broken script). */
  program?: string;
  /** srctrace-drain to run beside a program that stores connects in @done (default: the built one). */
  drainHelper?: string;
  supervisor?: { maxRestarts?: number; baseDelayMs?: number };
  /** Reads the kernel's count of skipped probe runs for a bpftrace pid (tests inject one). */
  recursionMisses?: (pid: number) => number | null;
  /** Seconds between dumps of @pend (bpf/pend-dump.bt; the CLI reads SRCTRACE_PEND_DUMP_S), default 10. */
  pendDumpSeconds?: number;
  /** Seconds after its SYN (kernel time) before an attempt the agent holds without an outcome is checked for loss (the CLI reads SRCTRACE_OUTCOME_DEADLINE_S), default 180. */
  outcomeDeadlineSeconds?: number;
  /** How long stop() waits for the probes' next counts (default 1.5 s; tests lengthen it). */
  stopCountsWaitMs?: number;
  /** Reads which SYN_SENT sockets every namespace (or those in `only`) has (syn-sent.ts; tests inject one). */
  synSentSnapshot?: (atNs: number, only?: ReadonlySet<number>) => SynSentSnapshot;
}

export interface TraceSummary {
  connections: number;
  lostKernel: number;
  lostAgent: number;
  malformedLines: number;
  /**
   * Probe runs the kernel skipped (prog-misses.ts): possible kernel loss,
   * kept apart from lostKernel because most skipped runs are state changes
   * the probe would have ignored.
   */
  skippedRuns: number;
  /**
   * Fork lines (--children) printed but never read: kept apart from
   * lostKernel, as they are no connections, but each may have left a
   * process below a --pid out of the trace.
   */
  lostForks: number;
  /** Attempts still waiting for an outcome when tracing stopped (e.g. SYN to a silent host). */
  pendingAtExit: number;
  /**
   * Starts handed over a second time (Correlator stats.repeats): dropped, so
   * no attempt became two records, but never expected, so reported.
   */
  repeats: number;
  /**
   * Lines and drained entries read beyond the probes' own final count
   * (LineAudit): a repeat on the way from the kernel (bpftrace, the drain
   * helper), as opposed to one the kernel side stored twice. Null when that
   * cannot be known: a bpftrace run ended without a final count (it died),
   * or fewer were read than counted (lines after the stop, or lost).
   */
  surplusLines: number | null;
  restarts: number;
  error: ProbeError | null;
}

const mono = () => Number(process.hrtime.bigint());

/** How long stop() waits for the probes' next counts (printed every second). */
const STOP_COUNTS_WAIT_MS = 1500;
/** And then for the lines and drained entries those counts cover. */
const STOP_CATCH_UP_MS = 1000;

/** The error text of a record whose socket had ended without the probes reporting how. */
export const UNSEEN_NOTE = 'its socket had ended before tracing stopped, but no outcome was seen (lost in the kernel)';
/** The same, found while tracing (pend-watch.ts). */
export const PEND_LOST_NOTE = 'its socket had left SYN_SENT while traced, but no outcome was seen (lost in the kernel)';

/**
 * What the summary says of starts handed over twice, or '' if none were:
 * how many, and whether the repeats came on the way from the kernel (more
 * lines and entries read than the probes counted) or from the kernel side
 * itself (the probes stored the attempt twice).
 */
export function repeatNote(s: Pick<TraceSummary, 'repeats' | 'surplusLines'>): string {
  const surplus = `${s.surplusLines} more line(s) and drained entries read than the probes counted`;
  if (!s.repeats) return s.surplusLines ? `${surplus}: some were repeated on the way from the kernel (records may be doubled)` : '';
  const where = s.surplusLines === null
    ? 'where from is not known: not every line the probes counted was read'
    : s.surplusLines ? `${surplus}: repeated on the way from the kernel` : 'the probes counted them twice: repeated in the kernel';
  return `${s.repeats} attempt(s) handed over twice, the repeats dropped (${where})`;
}

export class Tracer {
  private readonly correlator: Correlator;
  private readonly audit = new LineAudit();
  /** With --children, K lines against @forks: a lost one can leave a process out of the --children view. */
  private readonly forkAudit: LineAudit | null;
  private readonly proc = new ProcInfo();
  private readonly isoTime = wallClock();
  /** Made once, not per record: a storm makes tens of thousands of records per second. */
  private readonly netns = new NetnsNames();
  private readonly recordContext: RecordContext = {
    isoTime: this.isoTime,
    cmdline: (pid, start) => this.proc.cmdline(pid, start),
    netnsName: (inode, nowNs) => this.netns.name(inode, nowNs),
    routeSrc: (facts, nowNs) => this.routeSrc.of(facts, nowNs),
  };
  private readonly routeSrc = new RouteSrc(nsPathFinder((inode) => this.netns.path(inode)));
  private readonly keep: (r: SrcRecord) => boolean;
  /** --children: which processes are below the --pid ones (fed by process-fork.bt's lines). */
  private readonly descendants: Descendants | null;
  private readonly supervisor: Supervisor;
  private ticker: NodeJS.Timeout | null = null;
  /** SRCTRACE_RAW_LOG=FILE keeps every bpftrace line (and drained connect, as a C line), for bug reports. */
  private readonly rawLog = process.env.SRCTRACE_RAW_LOG ? createWriteStream(process.env.SRCTRACE_RAW_LOG) : null;
  private malformedPending = 0;
  private malformedExample = '';
  private reported = { lostOutcomes: 0, evicted: 0 };
  /** Skipped probe runs already reported, for the bpftrace process counted (a restarted one starts from zero). */
  private misses = { pid: 0, reported: 0 };
  private ticks = 0;
  /** hurry() was called: stop() waits for nothing more. */
  private hurried = false;
  /** Starts carried over at the last bpftrace restart, for its gap record. */
  private carried = 0;
  private readonly readMisses: (pid: number) => number | null;
  private readonly synSent: (atNs: number, only?: ReadonlySet<number>) => SynSentSnapshot;
  /** Starts the kernel still holds (bpf/pend-dump.bt), watched for outcomes the probes missed. */
  private readonly pendWatch: PendWatch;
  readonly summary: TraceSummary = { connections: 0, lostKernel: 0, lostAgent: 0, skippedRuns: 0, lostForks: 0, malformedLines: 0, pendingAtExit: 0, repeats: 0, surplusLines: 0, restarts: 0, error: null };

  constructor(private readonly opts: TraceOptions) {
    this.descendants = opts.filter.children && opts.filter.pids.length > 0 ? new Descendants(opts.filter.pids) : null;
    this.forkAudit = this.descendants ? new LineAudit(isForkLine) : null;
    this.keep = makeFilter(opts.filter, this.descendants);
    this.readMisses = opts.recursionMisses ?? recursionMisses;
    this.synSent = opts.synSentSnapshot ?? ((atNs, only) => synSentSnapshot(atNs, { only }));
    this.correlator = new Correlator({
      outcomeDeadlineNs: opts.outcomeDeadlineSeconds === undefined ? undefined : opts.outcomeDeadlineSeconds * 1e9,
      // An overdue start (S line, kprobe set, 0.14, carried over) is lost only
      // if the kernel no longer has its socket in SYN_SENT; a namespace whose
      // table cannot be read leaves the deadline to decide.
      stillConnecting: (overdue) => {
        try {
          return this.kernelView(overdue).connecting;
        } catch {
          return new Set(); // /proc unreadable: the deadline decides, as before
        }
      },
    });
    this.pendWatch = new PendWatch((starts) => {
      const view = this.kernelView(starts);
      return { atNs: view.atNs, ended: view.ended };
    });
    const program = opts.program ?? programFor(opts.backend, { legacy: opts.legacy, pendDumpSeconds: opts.pendDumpSeconds, children: this.descendants !== null });
    this.supervisor = new Supervisor({
      bpftrace: opts.bpftrace,
      args: opts.bpftraceArgs,
      env: opts.env,
      program,
      drain: usesMapDrain(program) ? { helper: opts.drainHelper ?? drainHelperPath(), onFrames: (buf, n) => this.onFrames(buf, n) } : undefined,
      onLine: (line) => this.onLine(line),
      ...opts.supervisor,
      onRestarting: ({ attempt, exit, delayMs }) =>
        this.emit(this.status('restarting', `bpftrace exited (code ${exit.exitCode ?? '-'}${exit.signal ? `, ${exit.signal}` : ''}${exit.stderr ? `: ${exit.stderr.split('\n').pop()}` : ''}); restart ${attempt} in ${delayMs} ms`)),
      onRestart: ({ gapStartNs, gapEndNs }) => {
        this.summary.restarts++;
        this.emit({
          type: 'lost', ts: this.isoTime(gapEndNs), count: 0, where: 'restart',
          detail: `not tracing from ${this.isoTime(gapStartNs)} to ${this.isoTime(gapEndNs)} (${Math.round((gapEndNs - gapStartNs) / 1e6)} ms) while bpftrace restarted; connections in that gap are missing` +
            (this.carried ? `; ${this.carried} attempt(s) begun before it, pending then, still wait for their outcome (it is lost if it came inside the gap)` : ''),
        });
      },
    });
  }

  /** Resolves when probes are attached; rejects with ProbeError if bpftrace cannot start. */
  async start(): Promise<void> {
    await this.supervisor.start();
    this.emit(this.status('started', `tracing outgoing TCP connections (bpftrace pid ${this.supervisor.pid})`));
    this.ticker = setInterval(() => this.tick(mono()), 100);
  }

  /**
   * A stop under way skips its waits for the probes' last counts (up to 2.5 s),
   * for a second Ctrl-C: the run's end is then judged by the last count that
   * came, and lines it covers that had not arrived yet are reported lost.
   */
  hurry(): void {
    this.hurried = true;
  }

  /** Settles when supervision ends by itself (bpftrace could not be kept alive). */
  get failed(): Promise<ProbeError | null> {
    return this.supervisor.done;
  }

  async stop(reason: string): Promise<TraceSummary> {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
    this.checkMisses(); // while bpftrace still holds its programs
    await this.settleCounts();
    // While the probes still watch: an attempt that ends after this read is no loss.
    const connecting = this.synSent(mono());
    const exit = await this.supervisor.stop();
    this.judgeRun(exit?.exitCode === 0);
    const { attempts, stillPending } = this.correlator.drain();
    // An attempt without an outcome whose socket had left SYN_SENT before the
    // probes stopped is not awaiting anything: its outcome was lost (syn-sent.ts).
    const unseen = stillPending.length ? unseenEnds(stillPending, connecting) : null;
    if (unseen) for (const a of attempts) if (a.via === 'socket' && a.end === null && unseen.ended.has(a.start)) a.note = UNSEEN_NOTE;
    this.emitAttempts(attempts);
    this.tick(mono());
    if (unseen?.count) {
      this.summary.lostKernel += unseen.count;
      this.emit({ type: 'lost', ts: this.isoTime(mono()), count: unseen.count, where: 'kernel', detail: `${unseen.count} attempt(s) without an outcome were no longer connecting just before tracing stopped (no such socket in SYN_SENT in the kernel's table): the probes did not report how they ended; recorded with outcome "error"` });
    }
    this.summary.pendingAtExit = stillPending.length - (unseen?.count ?? 0);
    const st = this.correlator.stats;
    this.summary.repeats = st.repeats;
    const repeats = repeatNote(this.summary);
    this.emit(this.status('stopped', `${reason}; ${this.summary.connections} connection(s) recorded${this.summary.pendingAtExit ? `, ${this.summary.pendingAtExit} still awaiting an outcome (recorded with outcome "error")` : ''}${unseen?.count ? `, ${unseen.count} ended without their outcome seen` : ''}; outcomes without a start (connects begun before tracing): ${st.unmatchedOutcomes}${repeats ? `; ${repeats}` : ''}`));
    // Waited for: the CLI exits soon after, and the log's tail is what a bug report needs.
    const rawLogClosed = this.rawLog ? new Promise<void>((r) => this.rawLog!.end(r)) : null;
    await Promise.all([rawLogClosed, ...this.opts.sinks.map((s) => s.close())]);
    return this.summary;
  }

  /** What the kernel's socket tables say of these starts now; only their namespaces are read (a host may have hundreds, with large tables). */
  private kernelView(starts: readonly StartEvent[]): UnseenEnds & { atNs: number } {
    const snap = this.synSent(mono(), new Set(starts.map((s) => s.netns)));
    return { atNs: snap.atNs, ...unseenEnds(starts, snap) };
  }

  /** Feeds one bpftrace line through the pipeline (public so replays can drive it). */
  onLine(line: string): void {
    this.rawLog?.write(`${line.startsWith('X ') ? redactExecLine(line) : line}\n`);
    this.audit.onLine(line);
    this.forkAudit?.onLine(line);
    const ev = decodeLine(line);
    const now = mono();
    switch (ev.kind) {
      case 'start':
        // A periodic dump of @pend is watched, not joined (END's is: those starts await an outcome).
        if (line.charCodeAt(0) === 64 /* @pend[ */ && this.pendWatch.collecting) {
          this.pendWatch.add(ev);
          break;
        }
        if (this.pendWatch.isReported(ev)) break; // recorded already, as lost
        if (line.charCodeAt(0) === 80 /* P */) this.pendWatch.completed(ev.sk, ev.ts); // left @pend
        this.proc.cmdline(ev.pid, ev.startNs); // read /proc now, while the process surely exists
        this.emitAttempts(this.correlator.onStart(ev, now));
        break;
      case 'outcome':
        this.pendWatch.outcomeOn(ev.sk, ev.ts);
        this.emitAttempts(this.correlator.onOutcome(ev, now));
        break;
      case 'joined':
        this.onJoined(ev, now);
        break;
      case 'connect-error':
        this.proc.cmdline(ev.pid, ev.startNs);
        this.emitAttempts(this.correlator.onConnectError(ev, now));
        break;
      case 'line-count':
        this.countUnread(this.audit.onKernelCount(ev.count));
        break;
      case 'fork-count':
        this.countUnreadForks(this.forkAudit?.onKernelCount(ev.count) ?? 0);
        break;
      case 'exec':
        this.proc.onExec(ev.pid, ev.startNs, ev.argv, ev.truncated);
        break;
      case 'fork':
        this.descendants?.onFork(ev.parent, ev.child);
        break;
      case 'lost':
        // Which lines bpftrace lost it does not say: neither audit counts them again.
        this.audit.onReportedLoss(ev.count);
        this.forkAudit?.onReportedLoss(ev.count);
        this.summary.lostKernel += ev.count;
        this.emit({ type: 'lost', ts: this.isoTime(now), count: ev.count, where: 'kernel', detail: 'bpftrace perf buffer overflowed; raise BPFTRACE_PERF_RB_PAGES or trace less' });
        break;
      case 'malformed':
        this.onMalformed(ev);
        break;
      case 'ready':
        this.judgeRun(false); // the run before died: its last count is not known to be final
        this.carryOver(this.pendWatch.reset(), now);
        this.descendants?.snapshot(); // the fork probe runs now: what came before, from /proc
        break;
      case 'pend-dump':
        if (ev.edge === 'begin') this.pendWatch.begin(ev.ts);
        else if (ev.edge === 'exit') {
          this.pendWatch.exit();
          this.audit.onExitMarker();
        }
        else this.onPendLost(this.pendWatch.end(), now);
        break;
      case 'info':
        break;
    }
  }

  /**
   * Before bpftrace is stopped: the run's end is judged by the probes' counts
   * as tracing stops (LineAudit.freeze). Waits for fresh ones (printed every
   * second; not at all if this run printed none yet: a set without counts,
   * or a run shorter than a second), then for the lines and drained entries
   * they cover (a busy bpftrace reads late, and what it has not read when
   * stopped stays unread; the helper drains within 250 ms). hurry() ends
   * either wait.
   */
  private async settleCounts(): Promise<void> {
    const audits = [this.audit, ...(this.forkAudit ? [this.forkAudit] : [])].filter((a) => a.counts > 0);
    const seen = audits.map((a) => a.counts);
    const waitWhile = async (ms: number, pending: () => boolean) => {
      for (const until = Date.now() + ms; !this.hurried && Date.now() < until && pending();) await new Promise((r) => setTimeout(r, 10));
    };
    await waitWhile(this.opts.stopCountsWaitMs ?? STOP_COUNTS_WAIT_MS, () => audits.some((a, i) => a.counts === seen[i]));
    this.audit.freeze();
    this.forkAudit?.freeze();
    await waitWhile(STOP_CATCH_UP_MS, () => this.audit.behind + (this.forkAudit?.behind ?? 0) > 0);
  }

  /** Starts the kernel held after their socket had left SYN_SENT: recorded now, attribution kept, and counted. */
  private onPendLost(lost: StartEvent[], now: number): void {
    if (lost.length === 0) return;
    this.emitAttempts(lost.map((start) => ({ via: 'socket', start, end: null, outcome: 'error', errno: null, note: PEND_LOST_NOTE })));
    this.summary.lostKernel += lost.length;
    this.emit({ type: 'lost', ts: this.isoTime(now), count: lost.length, where: 'kernel', detail: `${lost.length} attempt(s) still awaited their outcome in the kernel after their socket had left SYN_SENT (the kernel's socket table said so): the probes did not report how they ended; recorded with outcome "error"` });
  }

  /** Connects the drain helper took out of @done: the same as C lines, in binary (public for replays). */
  onFrames(buf: Buffer, count: number): void {
    const now = mono();
    for (let i = 0; i < count; i++) {
      this.rawLog?.write(`${frameToLine(buf, i * FRAME_BYTES)}\n`);
      this.audit.onCounted();
      const ev = decodeFrame(buf, i * FRAME_BYTES);
      if (ev.kind === 'joined') this.onJoined(ev, now);
      else this.onMalformed(ev);
    }
  }

  /**
   * Starts the bpftrace before this one held when it died (pend-watch.ts):
   * they wait for their outcome here now, as S-line starts do; the new
   * bpftrace prints it as an O line.
   */
  private carryOver(starts: StartEvent[], now: number): void {
    this.carried = starts.length;
    for (const start of starts) this.emitAttempts(this.correlator.onStart(start, now));
  }

  /** A connect joined in the kernel (C line or drained frame). */
  private onJoined(ev: JoinedEvent, now: number): void {
    if (this.pendWatch.tracking) this.pendWatch.completed(ev.start.sk, ev.start.ts);
    this.proc.cmdline(ev.start.pid, ev.start.startNs); // read /proc now, in case the attempt is held
    this.emitAttempts(this.correlator.onJoined(ev.start, ev.outcome, now));
  }

  /**
   * Probe runs the kernel skipped since the last check (prog-misses.ts): a
   * "lost" record (kernel) saying it is possible loss, an upper bound: a
   * skipped run may have been a state change the probe would have ignored.
   */
  private checkMisses(): void {
    const pid = this.supervisor.pid;
    if (!pid) return;
    const total = this.readMisses(pid);
    if (total === null) return;
    if (pid !== this.misses.pid) this.misses = { pid, reported: 0 };
    const fresh = total - this.misses.reported;
    if (fresh <= 0) return;
    this.misses.reported = total;
    this.summary.skippedRuns += fresh;
    this.emit({ type: 'lost', ts: this.isoTime(mono()), count: fresh, where: 'kernel', detail: `${SKIPPED_RUNS} (a probe fired while another BPF program ran on the same CPU); possible loss: up to that many connects may be missing or lack their outcome` });
  }

  /**
   * A bpftrace run has ended (or a new one is ready: each starts its counts
   * from zero): what it printed and srctrace never read is reported.
   */
  private judgeRun(clean: boolean): void {
    const { missing, surplus } = this.audit.final(clean);
    this.countUnread(missing);
    this.summary.surplusLines = surplus === null || this.summary.surplusLines === null ? null : this.summary.surplusLines + surplus;
    if (this.forkAudit) this.countUnreadForks(this.forkAudit.final(false).missing);
  }

  /** Fork lines that never reached us: reported at once, apart from lost connections (TraceSummary.lostForks). */
  private countUnreadForks(missing: number): void {
    if (missing <= 0) return;
    this.summary.lostForks += missing;
    this.emit({ type: 'lost', ts: this.isoTime(mono()), count: missing, where: 'kernel', detail: `${FORK_LINES_LOST}: a process below a --pid whose parents have exited may be left out of the trace (--children)` });
  }

  /** Lines the probes printed that never reached us: kernel loss, reported at once. */
  private countUnread(missing: number): void {
    if (missing <= 0) return;
    this.summary.lostKernel += missing;
    this.emit({ type: 'lost', ts: this.isoTime(mono()), count: missing, where: 'kernel', detail: 'the probes printed connection lines that never reached srctrace (bpftrace reported no loss); those connects are missing or lack their outcome' });
  }

  private onMalformed(ev: MalformedEvent): void {
    this.summary.malformedLines++;
    this.summary.lostAgent++;
    this.malformedPending++;
    if (!this.malformedExample) this.malformedExample = `${ev.reason} (line: ${JSON.stringify(ev.line.slice(0, 120))})`;
  }

  private tick(now: number): void {
    this.emitAttempts(this.correlator.tick(now));
    if (++this.ticks % 10 === 0) this.checkMisses();
    if (this.malformedPending > 0) {
      this.emit({ type: 'lost', ts: this.isoTime(now), count: this.malformedPending, where: 'agent', detail: `unreadable bpftrace output: ${this.malformedExample}` });
      this.malformedPending = 0;
      this.malformedExample = '';
    }
    const s = this.correlator.stats;
    const lostOutcomes = s.lostOutcomes - this.reported.lostOutcomes;
    const evicted = s.evicted - this.reported.evicted;
    if (evicted > 0) {
      this.summary.lostAgent += evicted;
      this.emit({ type: 'lost', ts: this.isoTime(now), count: evicted, where: 'agent', detail: 'too many connections awaiting an outcome; the oldest were recorded without one (outcome "error")' });
    }
    if (lostOutcomes > 0) {
      this.summary.lostKernel += lostOutcomes;
      this.emit({ type: 'lost', ts: this.isoTime(now), count: lostOutcomes, where: 'kernel', detail: 'outcome events never arrived (socket reused or outcome overdue); those attempts are recorded with outcome "error"' });
    }
    this.reported = { lostOutcomes: s.lostOutcomes, evicted: s.evicted };
  }

  private emitAttempts(attempts: Attempt[]): void {
    for (const a of attempts) {
      const record = toRecord(a, this.recordContext);
      if (!this.keep(record)) continue;
      this.summary.connections++;
      this.emit(record);
    }
  }

  private emit(record: SrcRecord): void {
    for (const sink of this.opts.sinks) sink.write(record);
  }

  private status(state: 'started' | 'restarting' | 'stopped', detail: string): SrcRecord {
    return { type: 'status', ts: this.isoTime(mono()), state, backend: this.opts.backend, detail };
  }
}
