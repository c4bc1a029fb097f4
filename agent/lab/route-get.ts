// `ip route get` from inside a namespace: the route and source the kernel would
// pick for an unbound connect, which is what the lab exists to show.
import { LabError } from './errors.js';
import { ipJson } from './ip.js';

export type RouteGetResult =
  | { ok: true; dev: string | null; via: string | null; src: string | null }
  | { ok: false; error: string };

export async function routeGet(ns: string, daddr: string): Promise<RouteGetResult> {
  const family = daddr.includes(':') ? 6 : 4;
  try {
    const rows = await ipJson<{ dev?: string; gateway?: string; prefsrc?: string }>([`-${family}`, 'route', 'get', daddr], { ns });
    const r = rows?.[0];
    return { ok: true, dev: r?.dev ?? null, via: r?.gateway ?? null, src: r?.prefsrc ?? null };
  } catch (error) {
    if (!(error instanceof LabError) || error.code !== 'command-failed') throw error;
    const stderr = (error.cause as { stderr?: unknown } | undefined)?.stderr;
    return { ok: false, error: typeof stderr === 'string' && stderr.trim() ? stderr.trim() : error.message };
  }
}
