// Real Chromium against the real `srctrace ui`: builds the UI when ui/dist is
// missing or older than its sources, starts the CLI on a free loopback port
// (from source through tsx, like helpers/srctrace.ts) and launches Debian's
// Chromium through playwright-core. No vitest imports: the benchmarks use it too.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { execa, type ResultPromise } from 'execa';
import { chromium, type Browser } from 'playwright-core';
import type { SrcRecord } from '../../agent/model/record.js';
import { CLI, ROOT } from './srctrace.js';

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

const DIST_INDEX = join(ROOT, 'ui', 'dist', 'index.html');
// Everything the bundle is built from (the UI imports the shared model from agent/model).
const UI_SOURCES = [join(ROOT, 'ui', 'src'), join(ROOT, 'ui', 'index.html'), join(ROOT, 'ui', 'vite.config.ts'), join(ROOT, 'agent', 'model')];

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const name of readdirSync(path, { recursive: true, encoding: 'utf8' })) newest = Math.max(newest, statSync(join(path, name)).mtimeMs);
  return newest;
}

/** Builds ui/dist when it is missing or stale, so a browser test never runs yesterday's bundle. */
export async function ensureUiBuilt(): Promise<void> {
  if (existsSync(DIST_INDEX) && statSync(DIST_INDEX).mtimeMs >= Math.max(...UI_SOURCES.map(newestMtime))) return;
  await execa('npx', ['vite', 'build', '--config', 'ui/vite.config.ts'], { cwd: ROOT, timeout: 240_000 });
}

/** Headless Chromium with a fresh temporary profile (playwright's default launch). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true, timeout: 60_000 });
}

export interface RunningDashboard {
  /** The URL srctrace printed, token included. */
  url: string;
  /** http://127.0.0.1:PORT */
  origin: string;
  port: number;
  token: string;
  /** Every NDJSON line srctrace wrote to stdout so far, verbatim (when kept). */
  lines: string[];
  proc: ResultPromise;
  /** Resolves with the first stdout record matching `pred` and its line (rejects after `ms` or when srctrace exits). */
  waitFor(pred: (r: SrcRecord) => boolean, ms?: number): Promise<{ record: SrcRecord; line: string }>;
  /** SIGINT (SIGKILL if it is still there after 20 s); the exit code and stderr. */
  stop(): Promise<{ exitCode: number | undefined; stderr: string }>;
}

const URL_LINE = /^srctrace: dashboard at (http:\/\/\S+)$/;

/**
 * `srctrace ui --listen 127.0.0.1:0 --format ndjson`: resolves once the dashboard
 * URL is printed and bpftrace has started. `keepLines: false` keeps no lines
 * (for benchmarks that make thousands of connections); `onRecord` sees each record.
 */
export async function startDashboard(opts: { args?: string[]; keepLines?: boolean; onRecord?: (r: SrcRecord) => void } = {}): Promise<RunningDashboard> {
  const keep = opts.keepLines ?? true;
  const proc = execa(CLI[0]!, [...CLI.slice(1), 'ui', '--listen', '127.0.0.1:0', '--format', 'ndjson', ...(opts.args ?? [])], {
    cwd: ROOT, env: { SRCTRACE_RAW_LOG: '' }, reject: false, buffer: false, stdin: 'ignore',
  });
  const stderr: string[] = [];
  const lines: string[] = [];
  const waiters: { pred: (r: SrcRecord) => boolean; resolve: (hit: { record: SrcRecord; line: string }) => void }[] = [];
  let url = '';
  let gotUrl: () => void = () => {};
  const urlSeen = new Promise<void>((resolve) => (gotUrl = resolve));
  createInterface({ input: proc.stderr! }).on('line', (line) => {
    stderr.push(line);
    const m = URL_LINE.exec(line);
    if (m && !url) {
      url = m[1]!;
      gotUrl();
    }
  });
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    if (!keep && waiters.length === 0 && !opts.onRecord) return;
    if (keep) lines.push(line);
    const r = JSON.parse(line) as SrcRecord;
    opts.onRecord?.(r);
    for (const w of [...waiters]) {
      if (w.pred(r)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve({ record: r, line });
      }
    }
  });
  const exited = proc.then((res) => res);
  const waitFor = (pred: (r: SrcRecord) => boolean, ms = 30_000): Promise<{ record: SrcRecord; line: string }> =>
    new Promise((resolve, reject) => {
      for (const line of lines) {
        const record = JSON.parse(line) as SrcRecord;
        if (pred(record)) return resolve({ record, line });
      }
      const timer = setTimeout(() => reject(new Error(`srctrace ui: no matching record within ${ms} ms; stderr:\n${stderr.join('\n')}`)), ms);
      waiters.push({ pred, resolve: (hit) => { clearTimeout(timer); resolve(hit); } });
      void exited.then((res) => { clearTimeout(timer); reject(new Error(`srctrace ui exited (${res.exitCode}):\n${stderr.join('\n')}`)); });
    });
  const stop = async (): Promise<{ exitCode: number | undefined; stderr: string }> => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGINT');
    const killer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
    const res = await exited;
    clearTimeout(killer);
    return { exitCode: res.exitCode, stderr: stderr.join('\n') };
  };
  try {
    // The URL is printed before bpftrace starts; the started record says tracing is on.
    await waitFor((r) => r.type === 'status' && r.state === 'started', 90_000);
    // stderr and stdout are separate pipes: give the URL line a moment to be read.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([urlSeen, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`srctrace ui printed no dashboard URL:\n${stderr.join('\n')}`)), 10_000)))]);
    clearTimeout(timer);
  } catch (err) {
    await stop();
    throw err;
  }
  const parsed = new URL(url);
  return {
    url, origin: parsed.origin, port: Number(parsed.port), token: parsed.searchParams.get('token') ?? '', lines, proc, waitFor, stop,
  };
}
