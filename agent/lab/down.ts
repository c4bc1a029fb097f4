// Tear-down touches only the exact names the topology derives from the prefix,
// so it is safe on a half-built lab and never removes anything else.
import { execaSync } from 'execa';
import { ip, assertLabPrerequisites, listNamespaces } from './ip.js';
import { labNamespaces, labTopology, type LabTopology, DEFAULT_PREFIX } from './topology.js';

export interface LabDownResult {
  prefix: string;
  /** namespaces that existed and were deleted */
  removedNamespaces: string[];
  /** veth ends found in the root namespace (left over by a crashed build) and deleted */
  removedRootLinks: string[];
  /** pids still inside the lab namespaces that were killed so the namespaces really go away */
  killedPids: number[];
}

function vethNames(topo: LabTopology): string[] {
  const { a, b } = topo.uplinks;
  return [a.hostDev, a.routerDev, b.hostDev, b.routerDev];
}

export async function labDown(options: { prefix?: string } = {}): Promise<LabDownResult> {
  const topo = labTopology(options.prefix ?? DEFAULT_PREFIX);
  await assertLabPrerequisites();
  const existing = new Set(await listNamespaces());
  const result: LabDownResult = { prefix: topo.prefix, removedNamespaces: [], removedRootLinks: [], killedPids: [] };
  for (const ns of labNamespaces(topo)) {
    if (!existing.has(ns)) continue;
    // A process left inside (a listener of a killed run) would keep the namespace
    // and its veths alive after `netns del`; it lives in our namespace, so end it.
    const pids = parsePids(await ip(['netns', 'pids', ns], { allowFailure: true }));
    for (const pid of pids) {
      if (killQuietly(pid)) result.killedPids.push(pid);
    }
    if (await removeUnlessGone(['netns', 'del', ns], async () => (await listNamespaces()).includes(ns))) result.removedNamespaces.push(ns);
  }
  // The lab creates veths inside its namespaces, but a build interrupted by an
  // older version or by hand may have left one in the root namespace.
  const linkExists = async (dev: string) => (await ip(['link', 'show', 'dev', dev], { allowFailure: true })) !== null;
  for (const dev of vethNames(topo)) {
    if (!(await linkExists(dev))) continue;
    if (await removeUnlessGone(['link', 'del', 'dev', dev], () => linkExists(dev))) result.removedRootLinks.push(dev);
  }
  return result;
}

/**
 * Runs `ip DELETE...`; true when it removed the object. Another tear-down (a
 * test worker's exit guard, a second `lab down`) may have removed it since it
 * was listed: that is the state wanted, so false. If it is still there,
 * deleting it again fails with the real reason.
 */
async function removeUnlessGone(del: string[], stillThere: () => Promise<boolean>): Promise<boolean> {
  if ((await ip(del, { allowFailure: true })) !== null) return true;
  if (!(await stillThere())) return false;
  await ip(del);
  return true;
}

/**
 * Synchronous tear-down for `process.on('exit')` and signal handlers, where
 * nothing asynchronous runs any more. Never throws.
 */
export function labDownSync(prefix: string): void {
  let topo: LabTopology;
  try {
    topo = labTopology(prefix);
  } catch {
    return;
  }
  for (const ns of labNamespaces(topo)) {
    try {
      const pids = execaSync('ip', ['netns', 'pids', ns], { reject: false, stdin: 'ignore' });
      if (pids.exitCode !== 0) continue;
      for (const pid of parsePids(pids.stdout)) killQuietly(pid);
      execaSync('ip', ['netns', 'del', ns], { reject: false, stdin: 'ignore' });
    } catch {
      // best effort: keep going with the other namespaces
    }
  }
}

function parsePids(out: string | null): number[] {
  if (!out) return [];
  return out.split('\n').map((l) => Number(l.trim())).filter((n) => Number.isInteger(n) && n > 0 && n !== process.pid);
}

function killQuietly(pid: number): boolean {
  try {
    process.kill(pid, 'SIGKILL');
    return true;
  } catch {
    return false;
  }
}
