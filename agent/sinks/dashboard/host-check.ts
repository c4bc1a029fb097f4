// DNS-rebinding defence: a page on evil.example whose name is re-pointed at
// 127.0.0.1 reaches this server with `Host: evil.example` and, for WebSockets,
// `Origin: http://evil.example`. Only names that cannot be rebound (loopback
// names and addresses, IP literals) or the configured listen host get through.
import { isIP } from 'node:net';

// Rejects userinfo, paths and other URL syntax before the URL parser could
// read `evil@127.0.0.1` as host 127.0.0.1.
const HOST_HEADER = /^(?:[A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * The Host header normalised (`127.0.0.1:8080`, `[::1]:8080`) when it names this
 * server in a way DNS cannot rebind, else null. The port is not checked: ssh -L
 * and similar forwards change it, and rebinding is about names, not ports.
 */
export function allowedHost(hostHeader: string | undefined, listenHost: string): string | null {
  if (hostHeader === undefined || !HOST_HEADER.test(hostHeader)) return null;
  let url: URL;
  try {
    url = new URL(`http://${hostHeader}`);
  } catch {
    return null;
  }
  const name = url.hostname.toLowerCase();
  if (isLoopbackName(name) || name === normaliseHostname(listenHost)) return url.host;
  // Listening on every interface: any address literal is safe (no DNS involved).
  if (isWildcard(listenHost) && isIP(unbracket(name)) !== 0) return url.host;
  return null;
}

/** Whether a WebSocket's Origin is the page this server served under `host`. */
export function isOwnOrigin(origin: string, host: string): boolean {
  try {
    return new URL(origin).origin === new URL(`http://${host}`).origin;
  } catch {
    return false; // includes the opaque origin "null" of sandboxed frames and file: pages
  }
}

function isLoopbackName(name: string): boolean {
  return name === 'localhost' || name === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

function normaliseHostname(host: string): string {
  const bracketed = isIP(host) === 6 ? `[${host}]` : host;
  try {
    return new URL(`http://${bracketed}`).hostname.toLowerCase();
  } catch {
    return host.toLowerCase();
  }
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '[::]';
}

function unbracket(name: string): string {
  return name.startsWith('[') ? name.slice(1, -1) : name;
}
