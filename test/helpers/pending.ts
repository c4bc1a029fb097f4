// Many connects pending at once inside the lab: the connector opens N
// non-blocking connects to an address rtr-a blackholes; once all are in
// SYN_SENT, the blackhole goes and rtr-a takes the address, so the next
// retransmitted SYN of each is answered with RST (ECONNREFUSED).
import { createInterface } from 'node:readline';
import { execa } from 'execa';
import { afterAll, beforeAll } from 'vitest';
import { buildConnector, netnsInode, type ClientLine } from './connector.js';
import { withLab, type LabHandle } from './lab.js';
import type { LabTopology } from '../../agent/lab/index.js';

/** Adds the blackhole (call before the test; pair with unblackhole in afterAll). */
export async function blackhole(t: LabTopology, addr: string): Promise<void> {
  await execa('ip', ['-n', t.namespaces.rtrA, 'route', 'add', 'blackhole', `${addr}/32`]);
}

export async function unblackhole(t: LabTopology, addr: string): Promise<void> {
  await execa('ip', ['-n', t.namespaces.rtrA, 'route', 'del', 'blackhole', `${addr}/32`], { reject: false });
}

/** Runs the connector from the host namespace; resolves with its per-socket lines once it exits. */
export async function pendingThenRefused(t: LabTopology, addr: string, n: number): Promise<ClientLine[]> {
  const bin = await buildConnector();
  const client = execa('ip', ['netns', 'exec', t.namespaces.host, bin, '-d', addr, '-p', '9', '-P', String(n), '-w', '9000'], { buffer: false, reject: false });
  const lines: ClientLine[] = [];
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: client.stdout! }).on('line', (l) => {
      const line = JSON.parse(l) as ClientLine;
      if (line.phase === 'all-pending') {
        void unblackhole(t, addr)
          .then(() => execa('ip', ['-n', t.namespaces.rtrA, 'addr', 'add', `${addr}/32`, 'dev', 'lo']))
          .then(() => resolve(), reject);
      } else {
        lines.push(line);
      }
    });
    void client.then((r) => r.exitCode !== 0 && reject(new Error(`connector failed: ${String(r.stderr)}`)));
  });
  await client;
  return lines;
}

/**
 * Starts the connector in namespace `ns` with `n` non-blocking connects to
 * `addr`:`port` (held for `waitMs`); resolves once all are in SYN_SENT, with
 * the client (kill it when done), its per-socket lines, and the lines it
 * prints once `waitMs` is over (each socket's final errno: -1 still pending).
 */
export async function startPending(ns: string, addr: string, port: number, n: number, waitMs: number) {
  const bin = await buildConnector();
  const client = execa('ip', ['netns', 'exec', ns, bin, '-d', addr, '-p', String(port), '-P', String(n), '-w', String(waitMs)], { buffer: false, reject: false });
  const pending: ClientLine[] = [];
  const finals: ClientLine[] = [];
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: client.stdout! }).on('line', (l) => {
      const line = JSON.parse(l) as ClientLine;
      if (line.phase === 'all-pending') resolve();
      else if (line.phase === 'pending') pending.push(line);
      else if (line.phase === 'final') finals.push(line);
    });
    void client.then((r) => reject(new Error(`connector ended early: ${String(r.stderr)}`)));
  }).catch((e: unknown) => {
    client.kill('SIGKILL');
    throw e;
  });
  return { client, pending, finals };
}

/**
 * A lab for one describe block with `addr` blackholed at rtr-a (added before
 * the tests, removed after, also on failure) and the connector built.
 * `hostNetns()` is the host namespace's inode once set up.
 */
export function withBlackholedLab(addr: string): { lab: LabHandle; hostNetns: () => number } {
  const lab = withLab();
  let netns = 0;
  beforeAll(async () => {
    await buildConnector();
    netns = await netnsInode(lab.topology.namespaces.host);
    await blackhole(lab.topology, addr);
  });
  afterAll(async () => {
    await unblackhole(lab.topology, addr);
  });
  return { lab, hostNetns: () => netns };
}
