// Keeps bpftrace running: a probe that dies is restarted with bounded
// exponential back-off and the gap is reported; a probe that cannot start (or
// keeps dying) ends the run with a ProbeError.
import { ProbeError } from '../errors.js';
import { BpftraceProcess, type BpftraceProcessOptions, type ExitInfo } from './bpftrace-process.js';
import { knownFailure } from './known-failures.js';

export interface SupervisorOptions {
  bpftrace: string;
  program: string;
  onLine: (line: string) => void;
  /** Called after a restart with the gap (monotonic ns) during which nothing was traced. */
  onRestart: (info: { attempt: number; exit: ExitInfo; gapStartNs: number; gapEndNs: number }) => void;
  onRestarting?: (info: { attempt: number; exit: ExitInfo; delayMs: number }) => void;
  maxRestarts?: number;
  baseDelayMs?: number;
  startTimeoutMs?: number;
  /** Runs this long without dying resets the restart budget. */
  stableMs?: number;
  env?: Record<string, string>;
  /** bpftrace flags before the program. */
  args?: string[];
  /** Passed to each bpftrace (see BpftraceProcessOptions.drain). */
  drain?: BpftraceProcessOptions['drain'];
  monoNow?: () => number;
}

const mono = () => Number(process.hrtime.bigint());

export class Supervisor {
  private proc: BpftraceProcess | null = null;
  private stopped = false;
  private readyResolve: (() => void) | null = null;
  /** Settles with null on a clean stop, or the error that ended supervision. */
  readonly done: Promise<ProbeError | null>;
  private finish!: (e: ProbeError | null) => void;

  private readonly now: () => number;
  /** When bpftrace's last line arrived (monoNow clock): where a restart's gap starts. */
  private lastLineNs: number;
  private readonly onLine: (line: string) => void;

  constructor(private readonly opts: SupervisorOptions) {
    this.done = new Promise((r) => (this.finish = r));
    this.now = opts.monoNow ?? mono;
    this.lastLineNs = this.now();
    const { onLine } = opts;
    this.onLine = (line) => {
      this.lastLineNs = this.now();
      onLine(line);
    };
  }

  /** Starts bpftrace; resolves once its probes are attached (the READY line) and its drain helper runs. */
  async start(): Promise<void> {
    const exit = await this.launch();
    if (exit) {
      const err = new ProbeError('bpftrace failed to start', { ...exit, hint: knownFailure(exit.stderr) });
      this.finish(err);
      throw err;
    }
    void this.watch();
  }

  /** Stops bpftrace (END runs, its helper drains once more); how it exited, or null if none ran. */
  async stop(): Promise<ExitInfo | null> {
    this.stopped = true;
    const exit = this.proc ? await this.proc.stop() : null;
    this.finish(null);
    return exit;
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** Spawns one bpftrace; resolves with null when READY, or its exit info if it died first. */
  private launch(): Promise<ExitInfo | null> {
    const timeoutMs = this.opts.startTimeoutMs ?? 60_000;
    return new Promise((resolve) => {
      let ready = false;
      this.readyResolve = () => {
        ready = true;
        clearTimeout(timer);
        resolve(null);
      };
      const proc = new BpftraceProcess({
        bpftrace: this.opts.bpftrace,
        program: this.opts.program,
        env: this.opts.env,
        args: this.opts.args,
        drain: this.opts.drain,
        onLine: this.onLine,
      });
      this.proc = proc;
      // READY, and the drain helper holding its map; a failure shows up as the exit below.
      proc.ready.then(() => this.readyResolve?.(), () => {});
      const timer = setTimeout(() => {
        void proc.stop(1000);
      }, timeoutMs);
      void proc.exited.then((exit) => {
        clearTimeout(timer);
        if (!ready) resolve(exit.exitCode === null && !exit.signal ? { ...exit, stderr: `${exit.stderr}\n(no READY within ${timeoutMs} ms)` } : exit);
      });
    });
  }

  private async watch(): Promise<void> {
    const maxRestarts = this.opts.maxRestarts ?? 5;
    const base = this.opts.baseDelayMs ?? 500;
    const stableMs = this.opts.stableMs ?? 60_000;
    const now = this.now;
    let attempt = 0;
    let runningSince = now();
    // Set at a death, kept through failed relaunches, reported once one succeeds.
    let gapStartNs: number | null = null;
    while (!this.stopped) {
      const exit = await this.proc!.exited;
      if (this.stopped || this.proc!.isStopping) return;
      const diedNs = now();
      // Lines the probes printed that bpftrace had not yet passed on died with
      // it (with the 0.14 program, every connect is such a line), so the gap
      // starts at the last line that arrived, not when the death was noticed;
      // but no more than a second before (the tracepoint sets print @lines
      // every second; bpftrace reads its buffers within milliseconds).
      gapStartNs ??= Math.min(diedNs, Math.max(this.lastLineNs, diedNs - 1e9));
      if ((diedNs - runningSince) / 1e6 > stableMs) attempt = 0;
      attempt++;
      if (attempt > maxRestarts) {
        this.finish(new ProbeError(`bpftrace kept exiting (${maxRestarts} restarts failed)`, exit));
        return;
      }
      const delayMs = Math.min(base * 2 ** (attempt - 1), 30_000);
      this.opts.onRestarting?.({ attempt, exit, delayMs });
      await new Promise((r) => setTimeout(r, delayMs));
      if (this.stopped) return;
      const failed = await this.launch();
      if (this.stopped) return;
      if (failed) {
        // Counts as another failed attempt; loop waits on the dead process's exit (already settled).
        runningSince = now();
        continue;
      }
      runningSince = now();
      this.opts.onRestart({ attempt, exit, gapStartNs, gapEndNs: runningSince });
      gapStartNs = null;
    }
  }
}
