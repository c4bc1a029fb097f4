// Headers on every response. There is deliberately no Access-Control-Allow-Origin:
// no other origin may read what a root process sees.
import type { ServerResponse } from 'node:http';

export function setCommonHeaders(res: ServerResponse): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  // Nobody may frame the dashboard (clickjacking); CSP frame-ancestors says the same to newer browsers.
  res.setHeader('X-Frame-Options', 'DENY');
}

/** For the HTML page. `host` is the validated Host header, so ws:// matches the page's own origin. */
export function setPageHeaders(res: ServerResponse, host: string): void {
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Security-Policy', contentSecurityPolicy(host));
}

export function contentSecurityPolicy(host: string): string {
  return [
    "default-src 'self'",
    `connect-src 'self' ws://${host}`,
    "img-src 'self' data:",
    "style-src 'self' 'unsafe-inline'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "object-src 'none'",
  ].join('; ');
}
