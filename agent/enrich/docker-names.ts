// Docker container names for Docker's network namespaces. Docker keeps a
// container's namespace at /run/docker/netns/SANDBOX and records that path
// as NetworkSettings.SandboxKey in the container's config.v2.json under its
// data root (/var/lib/docker unless daemon.json's "data-root" says
// otherwise), next to its "Name" ("/web"). Reading those files needs no
// Docker CLI and no daemon socket. They are looked at again at most every
// 2 s, and only a config whose file changed since is parsed again (a new
// container, or `docker rename`, which rewrites it), so a rename shows within
// seconds and a host with many containers costs a stat of each per 2 s.
// A container that joined another's namespace (--network container:X) has
// no SandboxKey of its own, so the namespace is named after the one that
// made it; several names for one sandbox (not seen with Docker) are joined
// with ",".
import { readdirSync, readFileSync, statSync } from 'node:fs';

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

/** What one container's config says: its sandbox and name (null: none of its own), as of the file's inode, mtime and size. */
interface ConfigEntry { ino: number; mtimeMs: number; size: number; sandbox: string | null; name: string }

function parseConfig(file: string): { sandbox: string | null; name: string } {
  const c = JSON.parse(readFileSync(file, 'utf8')) as { Name?: unknown; NetworkSettings?: { SandboxKey?: unknown } };
  const key = c.NetworkSettings?.SandboxKey;
  if (typeof c.Name !== 'string' || typeof key !== 'string' || key === '') return { sandbox: null, name: '' };
  return { sandbox: key.slice(key.lastIndexOf('/') + 1), name: c.Name.replace(/^\//, '') };
}

/**
 * A reader of sandbox id -> container name from the configs under
 * `dataRoot`/containers that parses a config again only when its file
 * changed (inode, mtime or size) since its last call.
 */
export function dockerNamesReader(): (dataRoot: string) => Map<string, string> {
  let known = new Map<string, ConfigEntry>();
  return (dataRoot) => {
    let ids: string[];
    try {
      ids = readdirSync(`${dataRoot}/containers`);
    } catch {
      known = new Map();
      return new Map(); // no Docker here
    }
    const next = new Map<string, ConfigEntry>();
    const names = new Map<string, string[]>();
    for (const id of ids) {
      const file = `${dataRoot}/containers/${id}/config.v2.json`;
      try {
        const st = statSync(file);
        let e = known.get(id);
        // Docker replaces the file (write, then rename): a new inode; mtime and size catch an edit in place.
        if (!e || e.ino !== st.ino || e.mtimeMs !== st.mtimeMs || e.size !== st.size) e = { ino: st.ino, mtimeMs: st.mtimeMs, size: st.size, ...parseConfig(file) };
        next.set(id, e);
        if (e.sandbox === null) continue;
        const list = names.get(e.sandbox) ?? [];
        list.push(e.name);
        names.set(e.sandbox, list);
      } catch {
        // removed while we looked, half written (read again next time), or not a container's directory
      }
    }
    known = next;
    return new Map([...names].map(([sandbox, list]) => [sandbox, list.sort().join(',')]));
  };
}

/**
 * A resolver for NetnsNames: the container name of sandbox `id`, or the id
 * itself when no container config names it (Docker's data root elsewhere,
 * a container still being created). It looks at the configs again at most
 * once every 2 s (`nowMs`), whatever the id, so a namespace whose config
 * comes late gets its name and a renamed container its new one; calls in
 * between (a record, or NetnsNames's read of each namespace) cost no read.
 */
export function dockerNamer(dataRoot?: string, read = dockerNamesReader(), nowMs = () => performance.now()): (sandbox: string) => string {
  let names = new Map<string, string>();
  let readAtMs = Number.NEGATIVE_INFINITY;
  return (sandbox) => {
    if (nowMs() - readAtMs >= 2000) {
      names = read((dataRoot ??= dockerDataRoot())); // daemon.json on first use: not at import, not without Docker namespaces
      readAtMs = nowMs();
    }
    return names.get(sandbox) ?? sandbox;
  };
}
