// The bpftrace program for a backend: its start probes plus the shared
// connect() error path and exec() command lines, concatenated (bpftrace has no
// include for .bt files).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Backend } from '../model/record.js';
import { repoRoot } from '../probes/backend.js';

export function programFor(backend: Backend, root = repoRoot()): string {
  const read = (name: string) => readFileSync(join(root, 'bpf', name), 'utf8');
  return [`srctrace-${backend}.bt`, 'outcome-common.bt', 'process-exec.bt'].map(read).join('\n');
}
