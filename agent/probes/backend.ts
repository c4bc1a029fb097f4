// Picks the probe set: kprobes where the kernel offers them (tcp_connect sees
// the final source port directly); else the raw tracepoint where bpftrace
// can attach one (much cheaper per TCP state change); else the stable
// tracepoint, which every bpftrace since 0.14 and every kernel since 4.16 has
// (and the only set bpftrace 0.14 runs: legacy-bpftrace.ts).
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { execa } from 'execa';
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

/**
 * Whether this bpftrace can attach the raw tracepoint: asks it to list the
 * probe (bpftrace 0.19 and later list raw tracepoints; 0.17 rejects the probe
 * type), which checks the kernel's side too, in a fraction of a second.
 */
export async function rawTracepointSupported(bpftrace: string): Promise<boolean> {
  try {
    const { stdout, exitCode } = await execa(bpftrace, ['-l', 'rawtracepoint:inet_sock_set_state'], { timeout: 15_000, reject: false, stdin: 'ignore' });
    return exitCode === 0 && /^rawtracepoint:(vmlinux:)?inet_sock_set_state$/m.test(stdout);
  } catch {
    return false;
  }
}

/**
 * Why a bpftrace that should know raw tracepoints did not list this one.
 * bpftrace 0.27 (unlike 0.23; releases between were not checked) looks raw
 * tracepoints up in tracefs's available_filter_functions, which some kernels
 * (this project's CI VMs among them) do not let even root read; without it
 * it finds none.
 */
function rawTracepointHint(): string {
  const unreadable = TRACEFS.every((d) => {
    try {
      closeSync(openSync(`${d}/available_filter_functions`, 'r'));
      return false;
    } catch {
      return true;
    }
  });
  return unreadable
    ? 'bpftrace 0.19 or newer is needed, and newer releases such as 0.27 find raw tracepoints only through tracefs available_filter_functions, which this kernel does not let them read'
    : 'bpftrace 0.19 or newer needed';
}

/** legacy: a bpftrace older than 0.15, which runs only the tracepoint set's 0.14 program. */
export async function chooseBackend(choice: BackendChoice, bpftrace: string, legacy = false): Promise<Backend> {
  if (legacy && choice !== 'auto' && choice !== 'tracepoint') {
    throw new KernelSupportError(`--backend ${choice} needs bpftrace 0.15 or newer (this one runs only the tracepoint set): use --backend tracepoint, or a newer bpftrace`);
  }
  if (choice === 'kprobe') {
    if (!kprobesAvailable()) throw new KernelSupportError('--backend kprobe: this kernel offers no kprobes (CONFIG_KPROBES); use --backend tracepoint');
    return 'kprobe';
  }
  if (!tracepointsAvailable()) {
    throw new KernelSupportError('the tracepoint sock:inet_sock_set_state is missing: srctrace needs Linux 4.16 or newer');
  }
  if (choice === 'tracepoint' || legacy) return 'tracepoint';
  if (choice === 'rawtracepoint') {
    if (!(await rawTracepointSupported(bpftrace))) {
      throw new KernelSupportError(`--backend rawtracepoint: ${bpftrace} cannot attach rawtracepoint:inet_sock_set_state (${rawTracepointHint()}); use --backend tracepoint`);
    }
    return 'rawtracepoint';
  }
  if (kprobesAvailable()) return 'kprobe';
  return (await rawTracepointSupported(bpftrace)) ? 'rawtracepoint' : 'tracepoint';
}
