// Builds the lab from the topology: namespaces, veths created directly inside
// them (never in the root namespace), addresses, then routes.
import { LabError } from './errors.js';
import { ip, assertLabPrerequisites } from './ip.js';
import { labDown } from './down.js';
import { labStatus, type LabStatus } from './status.js';
import { labNamespaces, labTopology, DEFAULT_PREFIX, type LabTopology } from './topology.js';

/** Idempotent: whatever exists under this prefix (complete or half-built) is removed first. */
export async function labUp(options: { prefix?: string } = {}): Promise<LabStatus> {
  const topo = labTopology(options.prefix ?? DEFAULT_PREFIX);
  await assertLabPrerequisites();
  await labDown({ prefix: topo.prefix });
  try {
    await build(topo);
  } catch (error) {
    await labDown({ prefix: topo.prefix }).catch(() => undefined);
    throw error;
  }
  const status = await labStatus({ prefix: topo.prefix });
  if (!status.complete) {
    await labDown({ prefix: topo.prefix }).catch(() => undefined);
    throw new LabError('command-failed', `lab ${topo.prefix} was built but is incomplete (${status.missing.join('; ')}); it was removed again`);
  }
  return status;
}

async function build(topo: LabTopology): Promise<void> {
  const namespaces = labNamespaces(topo);
  for (const ns of namespaces) await ip(['netns', 'add', ns]);
  for (const ns of namespaces) await ip(['link', 'set', 'lo', 'up'], { ns });

  for (const up of [topo.uplinks.a, topo.uplinks.b]) {
    await ip(['link', 'add', up.hostDev, 'type', 'veth', 'peer', 'name', up.routerDev, 'netns', up.routerNs], { ns: topo.namespaces.host });
  }
  for (const a of topo.addresses) {
    // nodad: an address still in duplicate detection cannot be a route src or be bound.
    const extra = a.family === 6 ? ['nodad'] : [];
    await ip([`-${a.family}`, 'addr', 'add', `${a.address}/${a.prefixLen}`, 'dev', a.dev, ...extra], { ns: a.ns });
  }
  for (const up of [topo.uplinks.a, topo.uplinks.b]) {
    await ip(['link', 'set', up.hostDev, 'up'], { ns: topo.namespaces.host });
    await ip(['link', 'set', up.routerDev, 'up'], { ns: up.routerNs });
  }
  for (const r of topo.routes) {
    const src = r.src ? ['src', r.src] : [];
    await ip([`-${r.family}`, 'route', 'add', r.dst, 'via', r.via, 'dev', r.dev, ...src], { ns: r.ns });
  }
}
