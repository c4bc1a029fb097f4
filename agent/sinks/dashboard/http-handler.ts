// Plain HTTP requests: host check, method check, token (query -> cookie +
// redirect, cookie, Bearer), then the built UI.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { allowedHost } from './host-check.js';
import { FORBIDDEN_HOST_TEXT, UNAUTHORIZED_TEXT, sendText } from './http-responses.js';
import { setCommonHeaders, setPageHeaders } from './security-headers.js';
import { sendFile, type StaticFiles } from './static-files.js';
import { TOKEN_QUERY_PARAM, isAuthorized, tokenCookie, tokensEqual } from './token.js';

export interface RequestContext {
  token: string;
  listenHost: string;
  files: StaticFiles;
}

export function createRequestHandler(ctx: RequestContext): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handle(ctx, req, res).catch(() => {
      if (!res.headersSent) sendText(res, 500, 'srctrace dashboard: internal error\n');
      else res.destroy();
    });
  };
}

async function handle(ctx: RequestContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  setCommonHeaders(res);
  const host = allowedHost(req.headers.host, ctx.listenHost);
  if (host === null) return sendText(res, 403, FORBIDDEN_HOST_TEXT);
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return sendText(res, 405, 'srctrace dashboard: only GET and HEAD\n');
  }
  const rawUrl = req.url ?? '/';
  if (!rawUrl.startsWith('/')) return sendText(res, 400, 'srctrace dashboard: bad request target\n');
  const url = new URL(rawUrl, 'http://dashboard.invalid');

  const queryToken = url.searchParams.get(TOKEN_QUERY_PARAM);
  if (queryToken !== null) {
    if (!tokensEqual(queryToken, ctx.token)) return sendText(res, 401, UNAUTHORIZED_TEXT);
    // Trade the URL token for a cookie so it leaves the address bar and history.
    url.searchParams.delete(TOKEN_QUERY_PARAM);
    res.setHeader('Set-Cookie', tokenCookie(ctx.token, req.socket.localPort ?? 0));
    res.setHeader('Location', `${url.pathname}${url.search}`);
    return sendText(res, 303, 'See Other\n');
  }
  if (!isAuthorized(req, url, ctx.token)) return sendText(res, 401, UNAUTHORIZED_TEXT);

  const file = await ctx.files.lookup(url.pathname);
  if (file === null) return sendText(res, 404, 'srctrace dashboard: not found\n');
  if (file.isPage) setPageHeaders(res, host);
  await sendFile(res, file, req.method === 'HEAD');
}
