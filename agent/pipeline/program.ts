// The bpftrace program for a backend: its start probes plus the shared
// connect() error path and exec() command lines, concatenated (bpftrace has no
// include for .bt files). bpftrace 0.14 gets a program of its own
// (bpf/srctrace-tracepoint-0.14.bt says why).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Backend } from '../model/record.js';
import { repoRoot } from '../probes/backend.js';
import { envSeconds } from './env-seconds.js';

export interface ProgramOptions {
  root?: string;
  /** Seconds between dumps of @pend (bpf/pend-dump.bt), default 10. */
  pendDumpSeconds?: number;
  /** The bpftrace is older than 0.15 (legacy-bpftrace.ts): only the tracepoint set exists for it. */
  legacy?: boolean;
  /** --children: add bpf/process-fork.bt (a line per fork). */
  children?: boolean;
}

export function programFiles(backend: Backend, legacy = false, children = false): string[] {
  const forks = children ? ['process-fork.bt'] : [];
  // pend-dump.bt: only the sets that keep pending connects in the kernel (@pend).
  if (!legacy) return [`srctrace-${backend}.bt`, 'outcome-common.bt', 'process-exec.bt', ...forks, ...(backend === 'kprobe' ? [] : ['pend-dump.bt'])];
  if (backend !== 'tracepoint') throw new Error(`bpftrace 0.14 runs only the tracepoint set, not ${backend}`);
  // READY last: it fires only once everything above it is attached.
  return ['srctrace-tracepoint-0.14.bt', 'process-exec.bt', ...forks, 'ready-0.14.bt'];
}

export function programFor(backend: Backend, { root = repoRoot(), legacy = false, pendDumpSeconds = PEND_DUMP_SECONDS, children = false }: ProgramOptions = {}): string {
  const read = (name: string) => {
    const text = readFileSync(join(root, 'bpf', name), 'utf8');
    return name === 'pend-dump.bt' ? text.replace(/^interval:s:\d+$/m, `interval:s:${pendDumpSeconds}`) : text;
  };
  return programFiles(backend, legacy, children).map(read).join('\n');
}

export const PEND_DUMP_SECONDS = 10;

/**
 * SRCTRACE_PEND_DUMP_S: seconds between dumps of @pend (how soon an outcome
 * the probes missed is found; the tests shorten it). Default 10.
 */
export function pendDumpSeconds(env: NodeJS.ProcessEnv = process.env): number {
  return envSeconds(env, 'SRCTRACE_PEND_DUMP_S', PEND_DUMP_SECONDS, 3600);
}
