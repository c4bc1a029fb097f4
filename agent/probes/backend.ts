// Picks the probe set: kprobes where the kernel offers them (tcp_connect sees
// the final source port directly), the stable tracepoints everywhere else.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Backend } from '../model/record.js';
import { KernelSupportError } from '../errors.js';

export type BackendChoice = Backend | 'auto';

const TRACEFS = ['/sys/kernel/tracing', '/sys/kernel/debug/tracing'];

/** The repository root (holds package.json and bpf/), from source or from dist/. */
export function repoRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'bpf'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find the srctrace root above ${from}`);
    dir = up;
  }
  return dir;
}

export function scriptFor(backend: Backend): string {
  return join(repoRoot(), 'bpf', `srctrace-${backend}.bt`);
}

export function kprobesAvailable(): boolean {
  const base = TRACEFS.find((d) => existsSync(`${d}/kprobe_events`));
  if (!base) return false;
  try {
    return /\btcp_connect\b/.test(readFileSync('/proc/kallsyms', 'utf8'));
  } catch {
    return false;
  }
}

export function tracepointsAvailable(): boolean {
  return TRACEFS.some((d) => existsSync(`${d}/events/sock/inet_sock_set_state`));
}

export function chooseBackend(choice: BackendChoice): Backend {
  if (choice === 'kprobe') {
    if (!kprobesAvailable()) throw new KernelSupportError('--backend kprobe: this kernel offers no kprobes (CONFIG_KPROBES); use --backend tracepoint');
    return 'kprobe';
  }
  if (!tracepointsAvailable()) {
    throw new KernelSupportError('the tracepoint sock:inet_sock_set_state is missing: srctrace needs Linux 4.16 or newer');
  }
  if (choice === 'tracepoint') return 'tracepoint';
  return kprobesAvailable() ? 'kprobe' : 'tracepoint';
}
