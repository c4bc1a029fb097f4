// Checks that must pass before bpftrace can run, each failing with the fix.
import { existsSync, readFileSync } from 'node:fs';
import { execa } from 'execa';
import { BpftraceMissingError, BpftraceTooOldError, KernelSupportError, NotRootError, TracefsError } from '../errors.js';

// 0.14 runs a program of its own (legacy-bpftrace.ts); nothing older was tried
// (Ubuntu 20.04's 0.9.4 is the next one shipped).
export const MIN_BPFTRACE: [number, number] = [0, 14];

export function requireRoot(uid = process.getuid?.() ?? 0): void {
  if (uid !== 0) {
    throw new NotRootError('srctrace must run as root to load BPF programs: run it with sudo (sudo srctrace ...)');
  }
}

/** The bpftrace to run: $SRCTRACE_BPFTRACE (another release, a stand-in in tests), else the one on PATH. */
export function bpftracePath(env: NodeJS.ProcessEnv = process.env): string {
  return env.SRCTRACE_BPFTRACE ?? 'bpftrace';
}

/** The version in what `bpftrace --version` printed ("bpftrace v0.17.0" -> "0.17.0"), or null. */
export function parseBpftraceVersion(text: string): string | null {
  return /v?(\d+\.\d+(?:\.\d+)?)/.exec(text)?.[1] ?? null;
}

/** Whether a parsed bpftrace version is at least major.minor. */
export function versionAtLeast(version: string, [major, minor]: readonly [number, number]): boolean {
  const [ma = 0, mi = 0] = version.split('.').map(Number);
  return ma > major || (ma === major && mi >= minor);
}

/** Finds bpftrace (bpftracePath) and checks its version. */
export async function findBpftrace(env: NodeJS.ProcessEnv = process.env): Promise<{ path: string; version: string }> {
  const path = bpftracePath(env);
  let stdout: string;
  try {
    ({ stdout } = await execa(path, ['--version'], { env, timeout: 10_000 }));
  } catch (cause) {
    throw new BpftraceMissingError(
      `bpftrace not found (${path}): install it with "apt-get install bpftrace" (Debian/Ubuntu) or "dnf install bpftrace" (Fedora/RHEL)`,
      { cause },
    );
  }
  const version = parseBpftraceVersion(stdout);
  if (!version) throw new BpftraceMissingError(`could not read the bpftrace version from "${stdout.trim()}"`);
  if (!versionAtLeast(version, MIN_BPFTRACE)) {
    throw new BpftraceTooOldError(
      `bpftrace ${version} is too old: srctrace needs ${MIN_BPFTRACE.join('.')} or newer (Ubuntu 22.04 ships 0.14, Debian 12 0.17, Ubuntu 24.04 0.20)`,
    );
  }
  return { path, version };
}

const TRACEFS_DIRS = ['/sys/kernel/tracing', '/sys/kernel/debug/tracing'];

/** bpftrace (0.17 reads /sys/kernel/debug/tracing) needs tracefs; mount it if root and missing. */
export async function ensureTracefs(): Promise<void> {
  const mounts = () => readFileSync('/proc/mounts', 'utf8');
  if (!/ tracefs /.test(mounts())) {
    await mount('tracefs', '/sys/kernel/tracing');
  }
  if (!/ debugfs /.test(mounts())) {
    await mount('debugfs', '/sys/kernel/debug');
  }
  if (!TRACEFS_DIRS.some((d) => existsSync(`${d}/events`))) {
    throw new TracefsError(
      'tracefs is not available at /sys/kernel/tracing or /sys/kernel/debug/tracing: run "mount -t tracefs nodev /sys/kernel/tracing" (the kernel needs CONFIG_FTRACE)',
    );
  }
}

async function mount(fs: string, dir: string): Promise<void> {
  try {
    await execa('mount', ['-t', fs, 'nodev', dir], { timeout: 10_000 });
  } catch (cause) {
    // debugfs is optional when tracefs is reachable elsewhere; the final check decides.
    if (fs === 'tracefs' && !existsSync('/sys/kernel/debug/tracing/events')) {
      throw new TracefsError(`${fs} is not mounted and mounting it failed: run "mount -t ${fs} nodev ${dir}" as root`, { cause });
    }
  }
}

export function requireBtf(): void {
  if (!existsSync('/sys/kernel/btf/vmlinux')) {
    throw new KernelSupportError(
      'this kernel has no BTF (/sys/kernel/btf/vmlinux): srctrace needs CONFIG_DEBUG_INFO_BTF=y (standard on Debian 11+, Ubuntu 20.10+, Fedora, RHEL 8.2+)',
    );
  }
}
