// The gate in front of the WebSocket: same host rules as the page, the page's
// own Origin (browsers always send one, so a cross-site page is refused even
// though the cookie would ride along), and the token.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import { WS_PATH } from '../../model/messages.js';
import { allowedHost, isOwnOrigin } from './host-check.js';
import { FORBIDDEN_HOST_TEXT, UNAUTHORIZED_TEXT, refuseUpgrade } from './http-responses.js';
import { isAuthorized } from './token.js';

export interface UpgradeContext {
  token: string;
  listenHost: string;
  wss: WebSocketServer;
  /** False once the server is closing: new sockets are refused. */
  accepting: () => boolean;
  onConnection: (ws: WebSocket) => void;
}

export function createUpgradeHandler(ctx: UpgradeContext): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  return (req, socket, head) => {
    // A peer resetting mid-handshake must not become an uncaught exception.
    socket.on('error', () => socket.destroy());
    const host = allowedHost(req.headers.host, ctx.listenHost);
    if (host === null) return refuseUpgrade(socket, 403, FORBIDDEN_HOST_TEXT);
    const url = new URL(req.url?.startsWith('/') ? req.url : '/', 'http://dashboard.invalid');
    if (url.pathname !== WS_PATH) return refuseUpgrade(socket, 404, 'srctrace dashboard: not found\n');
    const origin = req.headers.origin;
    // No Origin means a non-browser client; it still needs the token below.
    if (origin !== undefined && !isOwnOrigin(origin, host)) {
      return refuseUpgrade(socket, 403, 'srctrace dashboard: cross-origin WebSocket refused\n');
    }
    if (!isAuthorized(req, url, ctx.token)) return refuseUpgrade(socket, 401, UNAUTHORIZED_TEXT);
    if (!ctx.accepting()) return refuseUpgrade(socket, 503, 'srctrace dashboard: shutting down\n');
    ctx.wss.handleUpgrade(req, socket, head, ctx.onConnection);
  };
}
