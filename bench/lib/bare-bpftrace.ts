// The probe program alone, without the agent: bpftrace (and, for a program
// that stores connects in @done, the drain helper beside it) with its output
// either thrown away (> /dev/null) or piped into this process, which only
// counts lines and frames. Same environment as the agent's bpftrace, and under
// setpriv --pdeathsig KILL so it cannot outlive us.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { FRAME_BYTES } from '../../agent/decode/joined-frame.js';
import { drainHelperPath, FrameReader, usesMapDrain } from '../../agent/probes/map-drain.js';
import { bpftraceEnv } from '../../agent/probes/bpftrace-process.js';
import { batchPrefix, TRACER_NICE } from '../../agent/probes/sched.js';

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));

export interface LineCounts { joined: number; start: number; outcome: number; connectError: number; lostEvents: number; other: number }

export class BareBpftrace {
  private readonly child: ChildProcess;
  private helper: ChildProcess | null = null;
  private readonly usesDrain: boolean;
  private stderr = '';
  private readonly exited: Promise<void>;
  private gone = false;
  private sawReady = false;
  readonly lines: LineCounts = { joined: 0, start: 0, outcome: 0, connectError: 0, lostEvents: 0, other: 0 };
  /** S and C lines by pid (4th field), so a storm's attempts can be told from other traffic. */
  readonly startsByPid = new Map<number, number>();

  constructor(bpftrace: string, program: string, readonly output: 'devnull' | 'pipe') {
    this.usesDrain = usesMapDrain(program);
    // Scheduled like srctrace's own bpftrace (SCHED_BATCH at nice -5, see agent/probes/sched.ts), for a fair comparison.
    const sched = batchPrefix();
    const cmd = [...sched, ...(sched.length ? ['nice', '-n', String(TRACER_NICE)] : []), bpftrace, '-'];
    const [file, argv] = SETPRIV ? [SETPRIV, ['--pdeathsig', 'KILL', '--', ...cmd]] : [cmd[0]!, cmd.slice(1)];
    this.child = spawn(file, argv, {
      stdio: ['pipe', output === 'devnull' ? 'ignore' : 'pipe', 'pipe'],
      env: { ...process.env, ...bpftraceEnv(process.env) },
    });
    this.child.stdin!.end(program);
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (c: string) => (this.stderr += c));
    if (output === 'pipe') this.countLines();
    this.exited = new Promise((r) => this.child.once('exit', () => {
      this.gone = true;
      r();
    }));
  }

  get pid(): number {
    return this.child.pid!;
  }

  /**
   * With a pipe: the READY line (printed in BEGIN, after every probe attached).
   * With /dev/null that line is not visible, so: bpftrace holds BPF program fds
   * and its set of perf_event/bpf fds has not changed for a second.
   */
  async ready(timeoutMs = 90_000): Promise<void> {
    await this.attached(timeoutMs);
    if (this.usesDrain) await this.startHelper();
  }

  private async attached(timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    let last = '';
    let since = Date.now();
    while (Date.now() < until) {
      if (this.gone) throw new Error(`bpftrace exited before attaching: ${this.stderr.trim()}`);
      if (this.output === 'pipe') {
        if (this.sawReady) return;
      } else {
        const fds = this.bpfFds();
        if (fds !== last) {
          last = fds;
          since = Date.now();
        } else if (fds.includes('bpf-prog') && Date.now() - since >= 1000) {
          return;
        }
      }
      await sleep(100);
    }
    throw new Error(`bpftrace did not attach within ${timeoutMs} ms: ${this.stderr.trim()}`);
  }

  /** The drain helper's pid (0 when the program needs none or it is not started yet). */
  get helperPid(): number {
    return this.helper?.pid ?? 0;
  }

  async stop(graceMs = 30_000): Promise<void> {
    this.child.kill('SIGINT');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
    const helper = this.helper;
    if (helper && helper.exitCode === null) {
      // Its last drain, then it exits (end of stdin).
      const gone = new Promise((r) => helper.once('exit', r));
      helper.stdin!.end();
      await gone;
    }
  }

  /** Beside a program that stores connects in @done: the drain helper, as srctrace runs it. */
  private startHelper(): Promise<void> {
    const sched = batchPrefix();
    const cmd = [...sched, ...(sched.length ? ['nice', '-n', String(TRACER_NICE)] : []), drainHelperPath(), '--pid', String(this.pid), '--parent-pid', String(process.pid)];
    const helper = spawn(cmd[0]!, cmd.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
    this.helper = helper;
    return new Promise((resolve, reject) => {
      let hello = false;
      helper.once('exit', (code) => hello || reject(new Error(`srctrace-drain exited (${code}) before it held the map`)));
      const reader = new FrameReader(() => {
        hello = true;
        resolve();
      }, (buf, count) => {
        if (this.output !== 'pipe') return;
        for (let o = 0; o < count * FRAME_BYTES; o += FRAME_BYTES) {
          this.lines.joined++;
          const pid = buf.readInt32LE(o + 16); // the frame's pid word (decode/joined-frame.ts)
          this.startsByPid.set(pid, (this.startsByPid.get(pid) ?? 0) + 1);
        }
      });
      helper.stdout!.on('data', (c: Buffer) => reader.push(c));
    });
  }

  private bpfFds(): string {
    const kinds: string[] = [];
    try {
      for (const fd of readdirSync(`/proc/${this.pid}/fd`)) {
        try {
          const l = readlinkSync(`/proc/${this.pid}/fd/${fd}`);
          if (/perf_event|bpf-/.test(l)) kinds.push(l);
        } catch {
          // closed meanwhile
        }
      }
    } catch {
      return '';
    }
    return kinds.sort().join(',');
  }

  private countLines(): void {
    let rest = '';
    this.child.stdout!.setEncoding('latin1');
    this.child.stdout!.on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop()!;
      for (const l of parts) {
        const k = l.charCodeAt(0);
        if ((k === 83 /* S */ || k === 67 /* C */) && l.charCodeAt(1) === 32) {
          if (k === 67) this.lines.joined++;
          else this.lines.start++;
          const pid = Number(l.split(' ', 4)[3]);
          this.startsByPid.set(pid, (this.startsByPid.get(pid) ?? 0) + 1);
        }
        else if (k === 79 /* O */ && l.charCodeAt(1) === 32) this.lines.outcome++;
        else if (k === 70 /* F */ && l.charCodeAt(1) === 32) this.lines.connectError++;
        else if (l.startsWith('Lost ')) this.lines.lostEvents += Number(/^Lost (\d+) events/.exec(l)?.[1] ?? 0);
        else if (l.startsWith('READY')) this.sawReady = true;
        else this.lines.other++;
      }
    });
  }
}
