// Runs the real agent as users do (bin/srctrace: node dist/agent/cli/main.js) writing NDJSON
// to a file: started, waited on until tracing, stopped with SIGINT.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));

/** Rebuilds dist/ (tsc only: the benchmark needs no UI) when a source under agent/ is newer. */
export function ensureBuilt(root: string): { built: boolean } {
  const main = join(root, 'dist', 'agent', 'cli', 'main.js');
  const builtAt = existsSync(main) ? statSync(main).mtimeMs : 0;
  const stale = (dir: string): boolean =>
    readdirSync(dir, { withFileTypes: true }).some((e) => {
      const p = join(dir, e.name);
      if (e.isDirectory()) return stale(p);
      if (!e.name.endsWith('.ts')) return false;
      const out = join(root, 'dist', p.slice(root.length + 1).replace(/\.ts$/, '.js'));
      return statSync(p).mtimeMs > builtAt || !existsSync(out);
    });
  if (builtAt && !stale(join(root, 'agent'))) return { built: false };
  execFileSync('npm', ['run', 'build:agent'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], timeout: 300_000 });
  return { built: true };
}

export interface AgentSummary {
  connections: number;
  lostKernel: number;
  lostAgent: number;
  line: string;
}

export class SrctraceRun {
  private readonly child: ChildProcess;
  private stderr = '';
  readonly exited: Promise<number | null>;
  bpftracePid = 0;
  backend = '';

  /** maxSeconds: --duration, so the agent stops by itself even if the benchmark dies; extra: more flags. */
  constructor(root: string, readonly output: string, maxSeconds: number, extra: string[] = []) {
    const argv = [join(root, 'bin', 'srctrace'), '--format', 'ndjson', '--output', output, '--duration', String(maxSeconds), ...extra];
    // SIGTERM (a clean stop) if this process dies first; setpriv execs, so the pid is node's.
    const [file, args] = SETPRIV ? [SETPRIV, ['--pdeathsig', 'TERM', '--', ...argv]] : [argv[0]!, argv.slice(1)];
    this.child = spawn(file, args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (c: string) => (this.stderr += c));
    this.exited = new Promise((r) => this.child.once('exit', (code) => r(code)));
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Resolves when the NDJSON output holds the "started" status record (probes attached). */
  async ready(timeoutMs = 90_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    let gone = false;
    void this.exited.then(() => (gone = true));
    while (Date.now() < until) {
      if (gone) throw new Error(`srctrace exited before tracing started: ${this.stderr.trim()}`);
      const text = existsSync(this.output) ? readFileSync(this.output, 'utf8').slice(0, 65536) : '';
      for (const line of text.split('\n')) {
        if (!line.includes('"status"')) continue;
        const r = JSON.parse(line) as { state?: string; detail?: string; backend?: string };
        if (r.state !== 'started') continue;
        this.bpftracePid = Number(/bpftrace pid (\d+)/.exec(r.detail ?? '')?.[1] ?? 0);
        this.backend = r.backend ?? '';
        if (!this.bpftracePid) throw new Error(`cannot find the bpftrace pid in ${line}`);
        return;
      }
      await sleep(100);
    }
    throw new Error(`srctrace did not report "started" within ${timeoutMs} ms: ${this.stderr.trim()}`);
  }

  /** Waits until the output file stops growing (the agent caught up), at most maxMs. */
  async drained(quietMs = 1000, maxMs = 120_000): Promise<{ ms: number; caughtUp: boolean }> {
    const t0 = Date.now();
    let size = -1;
    let since = Date.now();
    while (Date.now() - t0 < maxMs) {
      const now = statSync(this.output).size;
      if (now !== size) {
        size = now;
        since = Date.now();
      } else if (Date.now() - since >= quietMs) {
        return { ms: since - t0, caughtUp: true };
      }
      await sleep(100);
    }
    return { ms: Date.now() - t0, caughtUp: false };
  }

  /** SIGINT, as Ctrl-C; SIGKILL only if it has not exited after graceMs. */
  async stop(graceMs = 30_000): Promise<{ code: number | null; killed: boolean; summary: AgentSummary | null; stderr: string }> {
    this.child.kill('SIGINT');
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      this.child.kill('SIGKILL');
    }, graceMs);
    const code = await this.exited;
    clearTimeout(timer);
    const m = /^srctrace: (\d+) connection\(s\); lost (\d+) in kernel, (\d+) in agent.*$/m.exec(this.stderr);
    const summary = m ? { connections: Number(m[1]), lostKernel: Number(m[2]), lostAgent: Number(m[3]), line: m[0] } : null;
    return { code, killed, summary, stderr: this.stderr.trim() };
  }
}
