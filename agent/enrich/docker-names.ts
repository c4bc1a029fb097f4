// Docker container names for Docker's network namespaces. Docker keeps a
// container's namespace at /run/docker/netns/SANDBOX and records that path
// as NetworkSettings.SandboxKey in the container's config.v2.json under its
// data root (/var/lib/docker unless daemon.json's "data-root" says
// otherwise), next to its "Name" ("/web"). Reading those files needs no
// Docker CLI and no daemon socket. They are read again only when a sandbox
// appears that the last read did not know (a new container), not per record.
// A container that joined another's namespace (--network container:X) has
// no SandboxKey of its own, so the namespace is named after the one that
// made it; several names for one sandbox (not seen with Docker) are joined
// with ",".
import { readdirSync, readFileSync } from 'node:fs';

/** The data root: daemon.json's "data-root" when it sets one, else Docker's default. */
export function dockerDataRoot(daemonJson = '/etc/docker/daemon.json'): string {
  try {
    const root = (JSON.parse(readFileSync(daemonJson, 'utf8')) as { 'data-root'?: unknown })['data-root'];
    if (typeof root === 'string' && root.startsWith('/')) return root.replace(/\/+$/, '');
  } catch {
    // no daemon.json (the usual case), or one that is not JSON: the default
  }
  return '/var/lib/docker';
}

/** sandbox id -> container name, from the configs under `dataRoot`/containers. */
export function readDockerNames(dataRoot: string): Map<string, string> {
  const names = new Map<string, string[]>();
  let ids: string[];
  try {
    ids = readdirSync(`${dataRoot}/containers`);
  } catch {
    return new Map(); // no Docker here
  }
  for (const id of ids) {
    try {
      const c = JSON.parse(readFileSync(`${dataRoot}/containers/${id}/config.v2.json`, 'utf8')) as {
        Name?: unknown; NetworkSettings?: { SandboxKey?: unknown };
      };
      const key = c.NetworkSettings?.SandboxKey;
      if (typeof c.Name !== 'string' || typeof key !== 'string' || key === '') continue;
      const sandbox = key.slice(key.lastIndexOf('/') + 1);
      const list = names.get(sandbox) ?? [];
      list.push(c.Name.replace(/^\//, ''));
      names.set(sandbox, list);
    } catch {
      // removed while we looked, or not a container's directory
    }
  }
  return new Map([...names].map(([sandbox, list]) => [sandbox, list.sort().join(',')]));
}

/**
 * A resolver for NetnsNames: the container name of sandbox `id`, or the id
 * itself when no container config names it (Docker's data root elsewhere,
 * a container still being created). An unknown id makes it read the
 * configs again, at most once every 2 s (`nowMs`), so a namespace whose
 * config comes late gets its name, and unnamed ones cost no read per record.
 */
export function dockerNamer(dataRoot?: string, read = readDockerNames, nowMs = () => performance.now()): (sandbox: string) => string {
  let names = new Map<string, string>();
  let readAtMs = Number.NEGATIVE_INFINITY;
  return (sandbox) => {
    let name = names.get(sandbox);
    if (name === undefined && nowMs() - readAtMs >= 2000) {
      names = read((dataRoot ??= dockerDataRoot())); // daemon.json on first use: not at import, not without Docker namespaces
      readAtMs = nowMs();
      name = names.get(sandbox);
    }
    return name ?? sandbox;
  };
}
