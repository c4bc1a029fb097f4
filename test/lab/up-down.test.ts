// Privileged: builds real namespaces. Each check reads the kernel's state back
// (ip netns list, ip -j addr/route), not what labUp says it did.
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { labDown, labStatus, labUp, labNamespaces, type LabStatus } from '../../agent/lab/index.js';
import { isRoot, NOT_ROOT_REASON, withLab } from '../helpers/lab.js';

async function netnsList(): Promise<string[]> {
  const { stdout } = await execa('ip', ['-j', 'netns', 'list']);
  return (JSON.parse(stdout || '[]') as { name: string }[]).map((n) => n.name);
}

const byAddress = (a: { address: string }, b: { address: string }) => a.address.localeCompare(b.address);
const byDst = (a: { dst: string }, b: { dst: string }) => a.dst.localeCompare(b.dst);

describe.skipIf(!isRoot)(`lab up/down (${isRoot ? 'root' : NOT_ROOT_REASON})`, () => {
  const lab = withLab({ up: false });
  const topo = lab.topology;
  const ours = () => netnsList().then((all) => all.filter((n) => n.startsWith(`${lab.prefix}-`)).sort());

  function expectMatchesTopology(status: LabStatus): void {
    expect(status.missing).toEqual([]);
    expect(status.complete).toBe(true);
    for (const ns of status.namespaces) {
      expect(ns.exists).toBe(true);
      const addresses = topo.addresses.filter((a) => a.ns === ns.name).map(({ dev, family, address, prefixLen }) => ({ dev, family, address, prefixLen }));
      expect([...ns.addresses].sort(byAddress)).toEqual(addresses.sort(byAddress));
      const routes = topo.routes.filter((r) => r.ns === ns.name).map(({ family, dst, via, dev, src }) => ({ family, dst, via, dev, src }));
      expect(ns.routes.filter((r) => r.via !== null).sort(byDst)).toEqual(routes.sort(byDst));
      expect(ns.routes.some((r) => r.dst === 'default')).toBe(false);
    }
  }

  it('up creates the complete topology, with veths only inside the lab namespaces', async () => {
    const status = await labUp({ prefix: lab.prefix });
    expectMatchesTopology(status);
    expectMatchesTopology(await labStatus({ prefix: lab.prefix }));
    expect(await ours()).toEqual([...labNamespaces(topo)].sort());
    const { stdout: rootLinks } = await execa('ip', ['-o', 'link', 'show']);
    expect(rootLinks).not.toContain(`${lab.prefix}-`);
  });

  it('status reports a damaged lab as incomplete and says what is missing', async () => {
    const route = topo.routes.find((r) => r.ns === topo.namespaces.host && r.src !== null && r.family === 4)!;
    await execa('ip', ['-n', route.ns, 'route', 'del', route.dst]);
    const status = await labStatus({ prefix: lab.prefix });
    expect(status.complete).toBe(false);
    expect(status.missing).toEqual([`route ${route.dst} via ${route.via} dev ${route.dev} src ${route.src} missing in ${route.ns}`]);
  });

  it('status flags a default route in the host namespace', async () => {
    const up = topo.uplinks.b;
    await execa('ip', ['-n', topo.namespaces.host, 'route', 'add', 'default', 'via', up.router.v4, 'dev', up.hostDev]);
    const status = await labStatus({ prefix: lab.prefix });
    expect(status.missing.some((m) => m.startsWith('host namespace has a default route'))).toBe(true);
  });

  it('up over a damaged lab rebuilds it, and up twice leaves one complete lab', async () => {
    expectMatchesTopology(await labUp({ prefix: lab.prefix }));
    expectMatchesTopology(await labUp({ prefix: lab.prefix }));
    expect(await ours()).toEqual([...labNamespaces(topo)].sort());
  });

  it('down removes every namespace, and down twice is a no-op', async () => {
    const first = await labDown({ prefix: lab.prefix });
    expect(first.removedNamespaces.sort()).toEqual([...labNamespaces(topo)].sort());
    expect(await ours()).toEqual([]);
    const second = await labDown({ prefix: lab.prefix });
    expect(second).toEqual({ prefix: lab.prefix, removedNamespaces: [], removedRootLinks: [], killedPids: [] });
    const status = await labStatus({ prefix: lab.prefix });
    expect(status.complete).toBe(false);
    expect(status.namespaces.map((n) => n.exists)).toEqual([false, false, false]);
  });

  it('down removes a half-built lab, and up completes one', async () => {
    await execa('ip', ['netns', 'add', topo.namespaces.host]);
    await execa('ip', ['netns', 'add', topo.namespaces.rtrA]);
    await execa('ip', ['-n', topo.namespaces.host, 'link', 'add', topo.uplinks.a.hostDev, 'type', 'veth', 'peer', 'name', topo.uplinks.a.routerDev, 'netns', topo.namespaces.rtrA]);
    expect((await labStatus({ prefix: lab.prefix })).complete).toBe(false);
    expect((await labDown({ prefix: lab.prefix })).removedNamespaces.sort()).toEqual([topo.namespaces.host, topo.namespaces.rtrA].sort());
    expect(await ours()).toEqual([]);

    await execa('ip', ['netns', 'add', topo.namespaces.rtrB]);
    expectMatchesTopology(await labUp({ prefix: lab.prefix }));
  });

  it('down ends a process left inside a lab namespace, so the namespace really goes', async () => {
    const sleeper = execa('ip', ['netns', 'exec', topo.namespaces.rtrB, 'sleep', '60'], { reject: false });
    await expect.poll(async () => (await execa('ip', ['netns', 'pids', topo.namespaces.rtrB])).stdout.trim()).toBe(String(sleeper.pid));
    const result = await labDown({ prefix: lab.prefix });
    expect(result.killedPids).toEqual([sleeper.pid]);
    expect((await sleeper).signal).toBe('SIGKILL');
    expect(await ours()).toEqual([]);
  });

  it('two tear-downs at once (a test worker exit guard racing afterAll) both succeed, and each namespace is reported once', async () => {
    await labUp({ prefix: lab.prefix });
    const [a, b] = await Promise.all([labDown({ prefix: lab.prefix }), labDown({ prefix: lab.prefix })]);
    expect([...a.removedNamespaces, ...b.removedNamespaces].sort()).toEqual([...labNamespaces(topo)].sort());
    expect(await ours()).toEqual([]);
  });
});
