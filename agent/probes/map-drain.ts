// Runs srctrace-drain (agent/native/srctrace-drain.c) beside a bpftrace whose
// program stores finished connects in the map @done instead of printing them:
// the helper empties that map with batch syscalls every DRAIN_INTERVAL_MS and
// writes each entry as a binary frame (decode/joined-frame.ts), so no connect
// costs a perf-buffer wake-up or a text line.
// The helper holds its own fd to the map, so once it is ready bpftrace may
// exit (or die) without losing an entry: stop() makes it drain one last time.
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { SrctraceError } from '../errors.js';
import type { ExitInfo } from './bpftrace-process.js';
import { repoRoot } from './backend.js';
import { FRAME_BYTES } from '../decode/joined-frame.js';

/** The map the tracepoint program stores joined connects in (bpftrace names it AT_done). */
export const DRAIN_MAP = 'done';

/**
 * The longest wait between drains (the helper drains sooner when connects
 * come fast enough to fill a quarter of the map before then). Often enough
 * that a connection shows up live, rarely enough that a drain (which walks
 * every bucket of the 65,536-entry map and wakes the agent) costs a busy
 * host little: 250 ms instead of 50 gained a connect storm about 2 points of
 * its speed (agent/native/srctrace-drain.c).
 */
export const DRAIN_INTERVAL_MS = 250;

const HELLO = Buffer.from('DRAINING\n');

/** How the helper ended, for messages: "(exit code 3): what it said". */
export function howExited(e: ExitInfo): string {
  return `(exit code ${e.exitCode ?? '-'}${e.signal ? `, ${e.signal}` : ''})${e.stderr ? `: ${e.stderr}` : ''}`;
}

/**
 * The helper's stdout: "DRAINING\n" once it holds the map, then whole frames.
 * A pipe read can end mid-frame, so the tail waits for the next chunk.
 */
export class FrameReader {
  /** Bytes of the hello line or of a frame cut off by the end of a read, completed by the next. */
  private readonly head = Buffer.alloc(Math.max(FRAME_BYTES, HELLO.length));
  private headUsed = 0;
  private hello = false;
  /** Set when the output did not start with the hello line. */
  protocolError = '';

  constructor(private readonly onHello: () => void, private readonly onFrames: (buf: Buffer, count: number) => void) {}

  /** Bytes of a frame cut off by the end of the output so far. */
  get partial(): number {
    return this.hello ? this.headUsed : 0;
  }

  /**
   * False once the output is not the helper's (nothing more is read then).
   * A pipe read ends anywhere (64 KB is not a multiple of a frame), so most
   * reads leave a frame cut in two: its bytes are completed in `head`
   * instead of copying the whole next read behind them (a storm drains
   * megabytes a second).
   */
  push(chunk: Buffer): boolean {
    if (this.protocolError) return false;
    let at = 0;
    if (!this.hello) {
      at = this.fill(chunk, HELLO.length);
      if (this.headUsed < HELLO.length) return true;
      if (!this.head.subarray(0, HELLO.length).equals(HELLO)) {
        this.protocolError = `srctrace-drain printed ${JSON.stringify(this.head.toString('latin1', 0, HELLO.length) + chunk.toString('latin1', at, at + 30))} instead of ${JSON.stringify(HELLO.toString())}`;
        this.headUsed = 0;
        return false;
      }
      this.hello = true;
      this.headUsed = 0;
      this.onHello();
    }
    if (this.headUsed > 0) {
      at += this.fill(chunk.subarray(at), FRAME_BYTES);
      if (this.headUsed < FRAME_BYTES) return true;
      this.headUsed = 0;
      this.onFrames(this.head, 1);
    }
    const whole = Math.floor((chunk.length - at) / FRAME_BYTES);
    if (whole > 0) this.onFrames(at === 0 ? chunk : chunk.subarray(at), whole);
    at += whole * FRAME_BYTES;
    this.fill(chunk.subarray(at), FRAME_BYTES);
    return true;
  }

  /** Copies from `src` into head until it holds `upTo` bytes; returns how many were taken. */
  private fill(src: Buffer, upTo: number): number {
    const n = Math.min(upTo - this.headUsed, src.length);
    src.copy(this.head, this.headUsed, 0, n);
    this.headUsed += n;
    return n;
  }
}

export class DrainHelperMissingError extends SrctraceError {}

/** Whether a program stores connects for the helper (the tracepoint set does). */
export function usesMapDrain(program: string): boolean {
  return program.includes(`@${DRAIN_MAP}[`);
}

/** $SRCTRACE_DRAIN_HELPER (tests point it at a stand-in), else the built helper. */
export function drainHelperPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.SRCTRACE_DRAIN_HELPER ?? join(repoRoot(), 'dist', 'native', 'srctrace-drain');
}

export function requireDrainHelper(path = drainHelperPath()): void {
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new DrainHelperMissingError(`the helper ${path} is missing: build it with "scripts/setup.sh" (or "npm run build:native", which needs gcc and libc6-dev)`);
  }
}

export interface MapDrainOptions {
  helper: string;
  /** The bpftrace whose @done map to drain. */
  pid: number;
  /** Called with `count` whole frames at the start of `buf` (valid during the call only). */
  onFrames: (buf: Buffer, count: number) => void;
  intervalMs?: number;
  /** Extra helper flags (tests: --no-batch). */
  args?: string[];
}

export class MapDrain {
  /** Resolves once the helper holds the map; rejects if it exits first. */
  readonly ready: Promise<void>;
  readonly exited: Promise<ExitInfo>;
  private readonly child: ResultPromise;
  private stderr = '';
  private stopping = false;

  constructor(opts: MapDrainOptions) {
    this.child = execa(opts.helper, ['--pid', String(opts.pid), '--parent-pid', String(process.pid), '--map', DRAIN_MAP, '--interval-ms', String(opts.intervalMs ?? DRAIN_INTERVAL_MS), ...(opts.args ?? [])], {
      stdin: 'pipe',
      buffer: false,
      reject: false,
      cleanup: true,
      forceKillAfterDelay: 3000,
    });
    this.child.stdin?.on('error', () => {}); // it may be gone already when we close its stdin
    let markReady: () => void = () => {};
    let holding = false;
    const reader = new FrameReader(() => {
      holding = true;
      markReady();
    }, opts.onFrames);
    this.child.stdout!.on('data', (chunk: Buffer) => {
      if (!reader.push(chunk)) this.child.kill('SIGTERM');
    });
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (c: string) => (this.stderr = (this.stderr + c).slice(-4000)));
    // Every frame must be handed on before exited settles (the caller judges
    // what is missing right after), so wait for the end of stdout too.
    const stdoutDone = new Promise<void>((r) => {
      this.child.stdout!.once('end', r);
      this.child.stdout!.once('close', r);
    });
    this.exited = Promise.all([this.child, stdoutDone]).then(([r]) => {
      const cut = reader.partial ? [`output ended inside a frame (${reader.partial} of ${FRAME_BYTES} bytes)`] : [];
      const stderr = [this.stderr.trim(), reader.protocolError, ...cut].filter(Boolean).join('; ');
      return { exitCode: r.exitCode ?? null, signal: r.signal ?? null, stderr };
    });
    this.ready = new Promise((resolve, reject) => {
      markReady = resolve;
      void this.exited.then((e) => {
        if (!holding) reject(new Error(`srctrace-drain exited before it held the map ${howExited(e)}`));
      });
    });
    // Only reached as a rejection when nobody awaited ready (e.g. stopped early).
    this.ready.catch(() => {});
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  /** End of stdin: the helper drains once more (everything bpftrace stored) and exits. */
  async stop(graceMs = 10_000): Promise<ExitInfo> {
    this.stopping = true;
    this.child.stdin?.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}
