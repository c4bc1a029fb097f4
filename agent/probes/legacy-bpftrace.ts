// bpftrace 0.14 (Ubuntu 22.04's) runs a program of its own
// (bpf/srctrace-tracepoint-0.14.bt) and reads the kernel's BTF through a
// rewritten copy: its libbpf 0.5 cannot parse the BTF of kernels from 5.16
// on (Ubuntu 22.04's HWE kernels among them), and without BTF bpftrace knows
// none of the kernel structs the probes read.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KernelSupportError } from '../errors.js';
import { downgradeBtf } from './btf-downgrade.js';
import { versionAtLeast } from './preflight.js';

/** bpftrace before this release gets the 0.14 program. */
export const FULL_PROGRAMS_FROM: [number, number] = [0, 15];

export function isLegacyBpftrace(version: string): boolean {
  return !versionAtLeast(version, FULL_PROGRAMS_FROM);
}

export interface LegacyBtf {
  /** For bpftrace's environment: BPFTRACE_BTF, unless the user set it already. */
  env: Record<string, string>;
  /** Removes the copy (safe to call twice). */
  remove: () => void;
}

/**
 * Writes the kernel's BTF, rewritten for libbpf 0.5 (btf-downgrade.ts), to a
 * private directory and points BPFTRACE_BTF at it. On kernels older than
 * 5.16 the rewrite changes nothing, so it is always done rather than guessed
 * from the kernel version. A BPFTRACE_BTF the user set is left alone.
 */
export function legacyBtf(env: NodeJS.ProcessEnv = process.env, vmlinux = '/sys/kernel/btf/vmlinux', tmp = tmpdir()): LegacyBtf {
  if (env.BPFTRACE_BTF) return { env: {}, remove: () => {} };
  removeStaleBtf(tmp);
  const dir = mkdtempSync(join(tmp, `srctrace-btf-${process.pid}-`));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  try {
    const file = join(dir, 'vmlinux');
    writeFileSync(file, downgradeBtf(readFileSync(vmlinux)).btf, { mode: 0o600 });
    return { env: { BPFTRACE_BTF: file }, remove };
  } catch (cause) {
    remove();
    throw new KernelSupportError(`bpftrace older than 0.15 cannot read this kernel's BTF, and rewriting it for that bpftrace failed (${(cause as Error).message}): use bpftrace 0.15 or newer, or set BPFTRACE_BTF`, { cause });
  }
}

const BTF_DIR = /^srctrace-btf-(\d+)-/;

/**
 * Removes the copies of srctrace runs that are gone: one killed with SIGKILL
 * had no chance to remove its own (about 5 MB each). Each directory names its
 * run's pid; a directory whose pid still runs is left alone (even if the pid
 * was reused: it costs only disk).
 */
export function removeStaleBtf(tmp = tmpdir()): void {
  let names: string[];
  try {
    names = readdirSync(tmp);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(BTF_DIR.exec(name)?.[1] ?? 0);
    if (!pid || pid === process.pid || alive(pid)) continue;
    rmSync(join(tmp, name), { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, not ours to signal
  }
}
