// Builds bench/storm.c with gcc into a temp dir and runs it: one connect
// storm on 127.0.0.1, parsed from the single JSON line it prints.
import { execFile } from 'node:child_process';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface StormResult {
  connects: number;
  failed: number;
  seconds: number;
  perSecond: number;
  pid: number;
  port: number;
  threads: number;
  cpuUserS: number;
  cpuSysS: number;
  firstErrno: number;
}

/** Builds a benchmark's C program into `dir`, named after its source (storm.c -> storm). */
export async function compileStorm(source: string, dir: string): Promise<string> {
  const bin = join(dir, basename(source, '.c'));
  try {
    await run('gcc', ['-O2', '-Wall', '-pthread', '-o', bin, source], { timeout: 60_000 });
  } catch (cause) {
    throw new Error(`cannot compile ${source} with gcc (apt-get install gcc): ${(cause as { stderr?: string }).stderr ?? String(cause)}`, { cause });
  }
  return bin;
}

export async function runStorm(bin: string, seconds: number, threads: number): Promise<StormResult> {
  const { stdout } = await run(bin, [String(seconds), String(threads)], { timeout: (seconds + 30) * 1000 });
  const r = JSON.parse(stdout.trim().split('\n').pop() ?? '') as StormResult;
  if (typeof r.connects !== 'number' || typeof r.pid !== 'number') throw new Error(`storm printed no result: ${stdout}`);
  return r;
}
