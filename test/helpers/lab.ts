// A lab per test file, with a random prefix so a run never touches another
// lab, removed in afterAll and also when the worker exits, is interrupted or
// hits an uncaught error (synchronously, since nothing async runs then).
import { randomBytes } from 'node:crypto';
import { execa } from 'execa';
import { afterAll, beforeAll } from 'vitest';
import { labDown, labDownSync, labTopology, labUp, type LabTopology } from '../../agent/lab/index.js';

export const isRoot = process.getuid?.() === 0;
export const NOT_ROOT_REASON = 'lab tests need root (network namespaces): run the suite as root, as CI does';

/** "st" + 6 random base-36 characters: a valid prefix, unique per call. */
export function randomLabPrefix(): string {
  const n = randomBytes(5).readUIntBE(0, 5);
  return `st${n.toString(36).padStart(8, '0').slice(-6)}`;
}

const guarded = new Set<string>();
let handlersInstalled = false;

function cleanupAll(): void {
  for (const prefix of guarded) labDownSync(prefix);
  guarded.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  cleanupAll();
  process.off(signal, onSignal);
  // Without another handler the default action (termination) must still happen.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

/** Remove this lab whatever way the process ends; `release` stops guarding it. */
export function guardLab(prefix: string): () => void {
  guarded.add(prefix);
  if (!handlersInstalled) {
    handlersInstalled = true;
    process.on('exit', cleanupAll);
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.on('uncaughtExceptionMonitor', cleanupAll);
    process.on('unhandledRejection', cleanupAll);
  }
  return () => guarded.delete(prefix);
}

export interface LabHandle {
  prefix: string;
  topology: LabTopology;
}

/**
 * Registers beforeAll (lab up) and afterAll (lab down) in the calling describe.
 * With `up: false` the lab is only guarded: the tests bring it up themselves.
 */
export function withLab(options: { prefix?: string; up?: boolean } = {}): LabHandle {
  const prefix = options.prefix ?? randomLabPrefix();
  const handle = { prefix, topology: labTopology(prefix) };
  let release = (): void => undefined;
  beforeAll(async () => {
    release = guardLab(prefix);
    if (options.up !== false) await labUp({ prefix });
  });
  afterAll(async () => {
    // If this throws the guard stays, and the exit handler tries again.
    await labDown({ prefix });
    release();
  });
  return handle;
}

/**
 * Two namespaces of a test's own, "host" and "router", for topologies the
 * lab does not build (BGP unnumbered, policy routing): made by create() in
 * beforeAll, removed by remove() in afterAll (which runs after a failure too).
 */
export function hostAndRouter() {
  const p = randomLabPrefix();
  const host = `${p}-h`;
  const rtr = `${p}-r`;
  return {
    p, host, rtr,
    ip: (ns: string, ...args: string[]) => execa('ip', ['-n', ns, ...args]),
    /** A veth pair: `hostDev` in host, `rtrDev` in router. */
    veth: (hostDev: string, rtrDev: string) => execa('ip', ['link', 'add', hostDev, 'netns', host, 'type', 'veth', 'peer', 'name', rtrDev, 'netns', rtr]),
    async create(): Promise<void> {
      await execa('ip', ['netns', 'add', host]);
      await execa('ip', ['netns', 'add', rtr]);
    },
    async remove(): Promise<void> {
      for (const ns of [host, rtr]) await execa('ip', ['netns', 'del', ns], { reject: false });
    },
  };
}
