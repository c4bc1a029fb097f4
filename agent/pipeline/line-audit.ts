// Counts connection lines the probes printed, and joined connects they stored
// for the drain helper, that the agent never read.
//
// bpftrace 0.17 reports perf-buffer overflow as "Lost N events", but bursts of
// output were seen to go missing without that line, and a connect stored in a
// full @done map is lost without a word. The tracepoint program keeps its own
// count (@lines, printed every second and at exit); comparing it with the
// lines and frames read here turns any such gap into counted kernel loss.
// Drained connects arrive within a drain interval (250 ms), well inside the lag.
// Lines from other CPUs' buffers can trail a snapshot (bpftrace reads the count
// when it gets to the print, not when the probes ran), so a snapshot is only
// judged two snapshots (two seconds) later, and the last one before tracing
// was stopped (freeze) once bpftrace has exited and everything it printed has
// been read.

/** A line the probes count in @lines: C, S, O, P or F followed by a space. */
export function isCountedLine(line: string): boolean {
  const c = line.charCodeAt(0);
  return line.charCodeAt(1) === 32 && (c === 67 || c === 83 || c === 79 || c === 80 || c === 70);
}

/** How a "lost" record for fork lines begins (they are no connections: readers keep them apart). */
export const FORK_LINES_LOST = 'fork lines never reached srctrace';

/** A line process-fork.bt counts in @forks: K followed by a space. */
export function isForkLine(line: string): boolean {
  return line.charCodeAt(0) === 75 && line.charCodeAt(1) === 32;
}

const LAG = 2;

/** What the audit knows of one bpftrace run (a restarted bpftrace counts from zero). */
interface Run {
  /** Lines and entries read, plus those bpftrace reported lost (see onReportedLoss). */
  received: number;
  /** Only those read: more than the probes counted means some arrived twice. */
  read: number;
  /** Snapshots not judged yet, oldest first (at most LAG + 1). */
  snapshots: number[];
  reported: number;
  /** Counts printed so far. */
  counts: number;
  /** END's marker was read: counts from now on are bpftrace's last, printed as it exits. */
  exiting: boolean;
  exitCount: number | null;
  /** The count as tracing was to stop (freeze): what the run's end is judged by. */
  frozen: number | null;
}

const newRun = (): Run => ({ received: 0, read: 0, snapshots: [], reported: 0, counts: 0, exiting: false, exitCount: null, frozen: null });

export class LineAudit {
  /** `counted`: which lines the kernel's count covers (@lines by default; isForkLine for @forks). */
  constructor(private readonly counted: (line: string) => boolean = isCountedLine) {}

  private run = newRun();

  /** Counts this bpftrace run has printed so far (the tracer waits for the next one before it stops). */
  get counts(): number {
    return this.run.counts;
  }

  /** Call for every line bpftrace printed (cheap check inside). */
  onLine(line: string): void {
    if (this.counted(line)) {
      this.run.received++;
      this.run.read++;
    }
  }

  /** A connect the drain helper took out of @done (counted in @lines like a C line). */
  onCounted(): void {
    this.run.received++;
    this.run.read++;
  }

  /** END ran (its Z marker): the count bpftrace prints after it, as it exits, covers every line and entry. */
  onExitMarker(): void {
    this.run.exiting = true;
  }

  /**
   * Tracing is about to stop: the latest count is the one the run's end is
   * judged by (the tracer waits for a fresh one first). Told to stop,
   * bpftrace reads its probes' output a last time within milliseconds, but
   * the probes run on until it has detached them: the lines they print in
   * between are counted and never read. Bare bpftrace 0.17 under a loop of
   * refused connects: 3 to 143 of about 73,000 lines, each an event after
   * the stop; in srctrace, under a fork storm, hundreds of fork lines. Those
   * are no loss of the traced run, and judged by the exit count they were
   * reported as one.
   */
  freeze(): void {
    this.run.frozen = this.run.snapshots.at(-1) ?? null;
  }

  /**
   * Lines and entries the frozen count covers that have not arrived yet
   * (the tracer lets bpftrace and the drain helper catch up before it stops
   * them: bpftrace leaves what it has not read by then unread for good).
   */
  get behind(): number {
    const r = this.run;
    return r.frozen === null ? 0 : Math.max(0, r.frozen - r.received - r.reported);
  }

  /**
   * bpftrace said "Lost N events": already reported as kernel loss, so the
   * audit counts them as accounted for (they may include non-connection
   * events, so this can only under-report, never count a loss twice).
   */
  onReportedLoss(n: number): void {
    this.run.received += n;
  }

  /** A new @lines snapshot; returns lines now known to be lost (not yet reported). */
  onKernelCount(count: number): number {
    const r = this.run;
    // The count only grows within one bpftrace run; ignore a stale or repeated print.
    const latest = r.snapshots.at(-1);
    if (latest !== undefined && count < latest) return 0;
    r.counts++;
    if (r.exiting) r.exitCount = count;
    if (r.frozen !== null) return 0; // after the stop: not judged (freeze)
    r.snapshots.push(count);
    return r.snapshots.length > LAG ? this.judge(r.snapshots.shift()!) : 0;
  }

  /**
   * bpftrace has exited, so every line it printed has been read: judges its
   * last count, then starts over (a restarted bpftrace counts from zero).
   * `missing`: lines the probes counted and nobody read. `surplus`: lines
   * and entries read beyond what they counted, which only a repeat on the
   * way (bpftrace, the drain helper, the agent) explains; judged only when
   * bpftrace exited on its own terms (`clean`) after END, as only then is its
   * last count known to be final; null when it cannot be, or when fewer were
   * read than counted (a repeat could hide behind those), and anything was read.
   */
  final(clean: boolean): { missing: number; surplus: number | null } {
    const r = this.run;
    const latest = r.frozen ?? r.snapshots.at(-1);
    const missing = latest === undefined ? 0 : this.judge(latest);
    // Fewer read than counted (lines after the stop, or lost): a repeat could hide behind them.
    const surplus = clean && r.exitCount !== null && r.read >= r.exitCount ? r.read - r.exitCount : r.read === 0 ? 0 : null;
    this.run = newRun();
    return { missing, surplus };
  }

  private judge(kernelCount: number): number {
    const r = this.run;
    const missing = kernelCount - r.received - r.reported;
    if (missing <= 0) return 0;
    r.reported += missing;
    return missing;
  }
}
