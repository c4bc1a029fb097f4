// The shared secret that stands between a browser tab and a root process that
// sees every connection on the machine: where a request may carry it, and how
// it is compared.
import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

// Browsers share cookies across ports of one host, so each dashboard names its
// cookie after its port (srctrace_token_7420): two dashboards on one machine
// must not log each other out. Every srctrace_token* cookie is a candidate.
export const TOKEN_COOKIE = 'srctrace_token';
export const TOKEN_QUERY_PARAM = 'token';

/** 256 random bits, base64url (43 characters). */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

// Hashing both sides first gives equal-length inputs, so timingSafeEqual never
// throws and the comparison time does not reveal the token's length.
export function tokensEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The token a request presents: Authorization: Bearer, then cookie, then ?token=. */
export function presentedTokens(req: IncomingMessage, url: URL): string[] {
  const found: string[] = [];
  const auth = req.headers.authorization;
  if (auth !== undefined) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m?.[1] !== undefined) found.push(m[1]);
  }
  found.push(...cookieValues(req.headers.cookie, TOKEN_COOKIE));
  const query = url.searchParams.get(TOKEN_QUERY_PARAM);
  if (query !== null) found.push(query);
  return found;
}

/** Whether any token the request carries is the right one. */
export function isAuthorized(req: IncomingMessage, url: URL, expected: string): boolean {
  // Check all candidates so a stale cookie does not hide a fresh ?token=.
  let ok = false;
  for (const t of presentedTokens(req, url)) ok = tokensEqual(t, expected) || ok;
  return ok;
}

export function tokenCookie(token: string, port: number): string {
  return `${TOKEN_COOKIE}_${port}=${token}; HttpOnly; SameSite=Strict; Path=/`;
}

/** Values of the cookies named `prefix` or `prefix_<anything>`. */
function cookieValues(header: string | undefined, prefix: string): string[] {
  if (header === undefined) return [];
  const out: string[] = [];
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (name === prefix || name.startsWith(`${prefix}_`)) out.push(part.slice(eq + 1).trim());
  }
  return out;
}
