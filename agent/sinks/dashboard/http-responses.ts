// Short plain-text answers shared by the page handler and the upgrade gate.
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';

export const UNAUTHORIZED_TEXT = 'srctrace dashboard: missing or wrong token. Open the URL printed by srctrace (it ends in ?token=...).\n';
export const FORBIDDEN_HOST_TEXT = 'srctrace dashboard: this host name is not allowed. Open the URL printed by srctrace.\n';

export function sendText(res: ServerResponse, status: number, body: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.setHeader('Cache-Control', 'no-store');
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

/** Refuses a WebSocket upgrade on the raw socket (there is no ServerResponse for upgrades). */
export function refuseUpgrade(socket: Duplex, status: number, body: string): void {
  const head = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
    'Connection: close',
    'Content-Type: text/plain; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'X-Content-Type-Options: nosniff',
    'Cache-Control: no-store',
  ].join('\r\n');
  socket.end(`${head}\r\n\r\n${body}`);
}
