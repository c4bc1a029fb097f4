// Thin wrapper over iproute2 so every `ip` call fails the same way: a LabError
// that names the command and carries its exit code and stderr.
import { execa } from 'execa';
import { LabError, describeProcessFailure } from './errors.js';

export interface IpOptions {
  /** run inside this namespace (`ip -n NS ...`) */
  ns?: string;
  /** resolve to null instead of throwing when the command fails */
  allowFailure?: boolean;
}

let ipBinary = 'ip';

/** Which `ip` to run; tests point it at a missing path to check the error. */
export function setIpBinary(path: string): void {
  ipBinary = path;
}

export async function ip(args: string[], options: IpOptions = {}): Promise<string | null> {
  const argv = options.ns ? ['-n', options.ns, ...args] : args;
  try {
    const result = await execa(ipBinary, argv, { stdin: 'ignore' });
    return result.stdout;
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') throw ipMissing(error);
    if (options.allowFailure) return null;
    throw new LabError('command-failed', `\`ip ${argv.join(' ')}\` failed: ${describeProcessFailure(error)}`, { cause: error });
  }
}

/** `ip -j ...` parsed; an empty output (some iproute2 versions) is []. */
export async function ipJson<T>(args: string[], options: IpOptions = {}): Promise<T[] | null> {
  const out = await ip(['-j', ...args], options);
  if (out === null) return null;
  if (out.trim() === '') return [];
  return JSON.parse(out) as T[];
}

function ipMissing(cause: unknown): LabError {
  return new LabError('ip-missing', `\`${ipBinary}\` was not found: install iproute2 (e.g. apt-get install iproute2) and make sure \`ip\` is on PATH`, { cause });
}

/** Refuse early, with a message that says what to do, when the lab cannot work here. */
export async function assertLabPrerequisites(getuid: (() => number) | undefined = process.getuid): Promise<void> {
  const uid = getuid?.();
  if (uid !== 0) {
    throw new LabError('not-root', `the lab creates network namespaces and needs root (uid is ${uid ?? 'unknown'}): run it with sudo`);
  }
  try {
    await execa(ipBinary, ['-V'], { stdin: 'ignore' });
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') throw ipMissing(error);
    throw new LabError('ip-missing', `\`${ipBinary} -V\` failed (${describeProcessFailure(error)}): install a working iproute2`, { cause: error });
  }
}

/** Names of all network namespaces (`ip netns list`). */
export async function listNamespaces(): Promise<string[]> {
  const rows = await ipJson<{ name: string }>(['netns', 'list']);
  return (rows ?? []).map((r) => r.name);
}
