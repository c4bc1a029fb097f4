// Runs the real srctrace CLI (from source through tsx, so tests never see a
// stale build) and collects its NDJSON records.
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { execa, execaSync, type ResultPromise } from 'execa';
import type { SrcRecord } from '../../agent/model/record.js';
import { isLegacyBpftrace } from '../../agent/probes/legacy-bpftrace.js';
import { bpftracePath, parseBpftraceVersion } from '../../agent/probes/preflight.js';

export const ROOT = join(import.meta.dirname, '..', '..');
export const CLI = [process.execPath, '--import', 'tsx', join(ROOT, 'agent', 'cli', 'main.ts')];

export interface RunningSrctrace {
  records: SrcRecord[];
  proc: ResultPromise;
  /** Resolves when a record matching `pred` has arrived (rejects after `ms`). */
  waitFor(pred: (r: SrcRecord) => boolean, ms?: number): Promise<SrcRecord>;
  /** SIGINT, then the exit code and everything printed. */
  stop(): Promise<{ exitCode: number | undefined; records: SrcRecord[]; stderr: string }>;
}

/**
 * SRCTRACE_TEST_BACKEND=B runs every test's srctrace with --backend B (the
 * compat script runs the end-to-end tests once per probe set), and checks
 * that B is what srctrace says it started.
 */
const TEST_BACKEND = process.env.SRCTRACE_TEST_BACKEND || null;

/**
 * The bpftrace under test (SRCTRACE_BPFTRACE, else the one on PATH) is older
 * than 0.15, so srctrace runs its 0.14 program: no join in the kernel, no
 * @done, no drain helper. The compat run tests Ubuntu 22.04's 0.14 this way.
 */
export const LEGACY_BPFTRACE = (() => {
  try {
    const version = parseBpftraceVersion(execaSync(bpftracePath(), ['--version'], { timeout: 30_000 }).stdout);
    return version !== null && isLegacyBpftrace(version);
  } catch {
    return false;
  }
})();

export async function startSrctrace(args: string[], env: Record<string, string> = {}): Promise<RunningSrctrace> {
  if (TEST_BACKEND && !args.includes('--backend')) args = [...args, '--backend', TEST_BACKEND];
  const proc = execa(CLI[0]!, [...CLI.slice(1), ...args], { cwd: ROOT, env: { SRCTRACE_RAW_LOG: process.env.SRCTRACE_RAW_LOG ?? '', ...env }, reject: false, buffer: { stdout: false, stderr: true }, stdin: 'ignore' });
  const records: SrcRecord[] = [];
  const waiters: { pred: (r: SrcRecord) => boolean; resolve: (r: SrcRecord) => void }[] = [];
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    const r = JSON.parse(line) as SrcRecord;
    records.push(r);
    for (const w of [...waiters]) {
      if (w.pred(r)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(r);
      }
    }
  });
  const waitFor = (pred: (r: SrcRecord) => boolean, ms = 30_000) =>
    new Promise<SrcRecord>((resolve, reject) => {
      const hit = records.find(pred);
      if (hit) return resolve(hit);
      const timer = setTimeout(() => reject(new Error(`no matching record within ${ms} ms; got ${records.length} records`)), ms);
      waiters.push({ pred, resolve: (r) => { clearTimeout(timer); resolve(r); } });
      void proc.then((res) => { clearTimeout(timer); reject(new Error(`srctrace exited (${res.exitCode}) before a matching record: ${String(res.stderr)}`)); });
    });
  const running: RunningSrctrace = {
    records,
    proc,
    waitFor,
    async stop() {
      proc.kill('SIGINT');
      const res = await proc;
      return { exitCode: res.exitCode, records, stderr: String(res.stderr) };
    },
  };
  const started = await waitFor((r) => r.type === 'status' && r.state === 'started', 60_000);
  if (TEST_BACKEND && started.type === 'status' && started.backend !== TEST_BACKEND) {
    await running.stop();
    throw new Error(`SRCTRACE_TEST_BACKEND=${TEST_BACKEND}, but srctrace started ${started.backend}`);
  }
  return running;
}
