// One bpftrace child: spawned through execa, its stdout split into lines,
// stderr kept for error messages. `setpriv --pdeathsig KILL` makes the kernel
// kill bpftrace even if the agent itself is SIGKILLed, so no probe outlives us.
import { existsSync } from 'node:fs';
import { execa, type ResultPromise } from 'execa';
import { LOST_EVENTS, stderrNoise } from './bpftrace-text.js';
import { LineSplitter } from './line-splitter.js';
import { howExited, MapDrain, type MapDrainOptions } from './map-drain.js';
import { versionAtLeast } from './preflight.js';
import { batchPrefix } from './sched.js';

export interface BpftraceProcessOptions {
  bpftrace: string;
  /** The whole program, fed on stdin. */
  program: string;
  /** Flags before the program (see quietFlags()). */
  args?: string[];
  onLine: (line: string) => void;
  env?: Record<string, string>;
  /** The program stores connects in @done: run this srctrace-drain beside it. */
  drain?: Omit<MapDrainOptions, 'pid'>;
}

/**
 * bpftrace 0.20 and later print a warning block on stdout (mixed into the
 * program's output) whenever a map update or delete fails at run time, e.g.
 * when @pend is full and starts fall back to S lines. --no-warnings stops
 * that (and the compile warnings the agent filters anyway). Passed from 0.17,
 * where it was checked to exist; 0.14-0.16 print no such run-time warnings.
 */
export function quietFlags(version: string): string[] {
  return versionAtLeast(version, [0, 17]) ? ['--no-warnings'] : [];
}

/**
 * Sizes for bpftrace, from the environment or srctrace's defaults: 4 MB of
 * perf buffer per CPU absorbs bursts; 65,536 connects may await an outcome
 * in the kernel's join map (before starts fall back to S lines) or wait
 * there for the drain helper. The map size goes out under both of its names
 * (checked: 0.17 reads BPFTRACE_MAP_KEYS_MAX; 0.23 reads either, and with
 * both set warns that the old one is deprecated, unless --no-warnings, which
 * srctrace passes; 0.27 reads only BPFTRACE_MAX_MAP_KEYS and ignores the old
 * one without a word, so its maps stayed at 4,096 keys until both were set).
 */
export function bpftraceEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const keys = env.BPFTRACE_MAX_MAP_KEYS ?? env.BPFTRACE_MAP_KEYS_MAX ?? '65536';
  return {
    BPFTRACE_PERF_RB_PAGES: env.BPFTRACE_PERF_RB_PAGES ?? '1024',
    BPFTRACE_MAP_KEYS_MAX: keys,
    BPFTRACE_MAX_MAP_KEYS: keys,
  };
}

export interface ExitInfo {
  exitCode: number | null;
  signal: string | null;
  stderr: string;
}

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));

export class BpftraceProcess {
  /** bpftrace and its drain helper (if any) have exited, and everything they printed was passed on. */
  readonly exited: Promise<ExitInfo>;
  /**
   * Resolves when the probes are attached (READY) and, with a drain helper,
   * the helper holds the map; rejects if either fails first (exited says why).
   */
  readonly ready: Promise<void>;
  private readonly child: ResultPromise;
  private stderrTail: string[] = [];
  private stopping = false;
  private drain: MapDrain | null = null;
  private drainFailure = '';

  constructor(opts: BpftraceProcessOptions) {
    // Default line buffering: a connection shows up as soon as it completes.
    // setpriv, then chrt (SCHED_BATCH, see sched.ts), then bpftrace: each execs the next, one pid.
    const cmd = [...batchPrefix(), opts.bpftrace, ...(opts.args ?? []), '-'];
    const [file, argv] = SETPRIV ? [SETPRIV, ['--pdeathsig', 'KILL', '--', ...cmd]] : [cmd[0]!, cmd.slice(1)];
    this.child = execa(file, argv, {
      input: opts.program,
      env: { ...bpftraceEnv(process.env), ...opts.env },
      buffer: false,
      reject: false,
      cleanup: true,
      stripFinalNewline: false,
      forceKillAfterDelay: 3000,
    });
    let onReady: () => void = () => {};
    let onNotReady: (e: Error) => void = () => {};
    this.ready = new Promise((resolve, reject) => {
      onReady = resolve;
      onNotReady = reject;
    });
    this.ready.catch(() => {});
    let sawReady = false;
    const lines = new LineSplitter((line) => {
      if (!sawReady && line.startsWith('READY ')) {
        sawReady = true;
        this.startDrain(opts).then(onReady, onNotReady);
      }
      opts.onLine(line);
    });
    this.child.stdout!.setEncoding('latin1');
    this.child.stdout!.on('data', (chunk: string) => lines.push(chunk));
    this.child.stderr!.setEncoding('utf8');
    const isNoise = stderrNoise();
    const errLines = new LineSplitter((l) => {
      // bpftrace 0.27 prints its loss notice on stderr (0.17 and 0.23 on
      // stdout): it joins the program's lines, so output lost in the kernel
      // is counted whichever stream says so. Without this, lost X lines
      // (which @lines does not count) went unreported under 0.27.
      if (LOST_EVENTS.test(l)) return opts.onLine(l);
      if (isNoise(l)) return;
      this.stderrTail.push(l);
      if (this.stderrTail.length > 40) this.stderrTail.shift();
    });
    this.child.stderr!.on('data', (c: string) => errLines.push(c));
    this.exited = this.child.then(async (r) => {
      lines.end();
      errLines.end();
      if (!sawReady) onNotReady(new Error('bpftrace exited before READY'));
      // bpftrace is gone; the helper still holds @done: its last drain comes now.
      const drained = this.drain ? await this.drain.stop() : null;
      if (drained && (drained.exitCode !== 0 || drained.stderr) && !this.drainFailure) {
        this.drainFailure = `srctrace-drain exited ${howExited(drained)}`;
      }
      const stderr = [...this.stderrTail, ...(this.drainFailure ? [this.drainFailure] : [])].join('\n');
      return { exitCode: r.exitCode ?? null, signal: r.signal ?? null, stderr };
    });
  }

  /** After READY: the drain helper, if the program needs one; resolves once it holds the map. */
  private async startDrain(opts: BpftraceProcessOptions): Promise<void> {
    if (!opts.drain || this.child.pid === undefined) return;
    const drain = new MapDrain({ ...opts.drain, pid: this.child.pid });
    this.drain = drain;
    // A helper that dies while bpftrace runs would let @done fill up unseen:
    // stop bpftrace too, so the supervisor restarts both (and reports the gap).
    void drain.exited.then((e) => {
      if (drain.isStopping || this.stopping) return;
      this.drainFailure = `srctrace-drain exited while tracing ${howExited(e)}`;
      void this.terminate(); // not stop(): this exit is a failure to report, not one we asked for
    });
    try {
      await drain.ready;
    } catch (err) {
      this.drainFailure = (err as Error).message;
      void this.terminate();
      throw err;
    }
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  /** SIGINT lets bpftrace run END and flush; SIGKILL follows if it lingers. */
  async stop(graceMs = 3000): Promise<ExitInfo> {
    this.stopping = true;
    return this.terminate(graceMs);
  }

  private async terminate(graceMs = 3000): Promise<ExitInfo> {
    this.child.kill('SIGINT');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}
