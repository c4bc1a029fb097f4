// The bpftrace program for a backend: its start probes plus the shared
// connect() error path and exec() command lines, concatenated (bpftrace has no
// include for .bt files). bpftrace 0.14 gets a program of its own
// (bpf/srctrace-tracepoint-0.14.bt says why).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Backend } from '../model/record.js';
import { repoRoot } from '../probes/backend.js';

export interface ProgramOptions {
  root?: string;
  /** The bpftrace is older than 0.15 (legacy-bpftrace.ts): only the tracepoint set exists for it. */
  legacy?: boolean;
}

export function programFiles(backend: Backend, legacy = false): string[] {
  if (!legacy) return [`srctrace-${backend}.bt`, 'outcome-common.bt', 'process-exec.bt'];
  if (backend !== 'tracepoint') throw new Error(`bpftrace 0.14 runs only the tracepoint set, not ${backend}`);
  // READY last: it fires only once everything above it is attached.
  return ['srctrace-tracepoint-0.14.bt', 'process-exec.bt', 'ready-0.14.bt'];
}

export function programFor(backend: Backend, { root = repoRoot(), legacy = false }: ProgramOptions = {}): string {
  const read = (name: string) => readFileSync(join(root, 'bpf', name), 'utf8');
  return programFiles(backend, legacy).map(read).join('\n');
}
