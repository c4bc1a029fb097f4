// The page and its assets are only for whoever holds the token, only under a
// host name DNS cannot rebind, and never readable cross-origin.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_JS, INDEX_HTML, get, startFixture, type Fixture } from './helpers.js';

let fx: Fixture;
let port: number;
let token: string;
beforeAll(async () => {
  fx = await startFixture();
  port = fx.server.port;
  token = fx.server.token;
});
afterAll(() => fx.cleanup());

describe('dashboard HTTP auth', () => {
  it('prints a URL that carries a strong token', () => {
    expect(fx.server.url).toBe(`http://127.0.0.1:${port}/?token=${token}`);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/); // 256 bits
  });

  it('refuses the page without a token', async () => {
    const res = await get(port, '/');
    expect(res.status).toBe(401);
    expect(res.body).toContain('Open the URL printed by srctrace');
    expect(res.body).not.toContain(INDEX_HTML);
  });

  it('refuses the page and assets with a wrong token, in any carrier', async () => {
    const wrong = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    for (const [path, headers] of [
      [`/?token=${wrong}`, {}],
      ['/', { Cookie: `srctrace_token=${wrong}` }],
      ['/assets/app.js', { Authorization: `Bearer ${wrong}` }],
      ['/assets/app.js', {}],
    ] as const) {
      const res = await get(port, path, headers);
      expect(res.status, path).toBe(401);
      expect(res.body).not.toContain(APP_JS);
    }
  });

  it('trades ?token= for a cookie with a 303 to a token-free URL, and the cookie admits page and assets', async () => {
    const login = await get(port, `/?token=${token}`);
    expect(login.status).toBe(303);
    expect(login.headers.location).toBe('/');
    const setCookie = login.headers['set-cookie']?.[0] ?? '';
    expect(setCookie.split('; ').sort()).toEqual(['HttpOnly', 'Path=/', 'SameSite=Strict', `srctrace_token_${port}=${token}`].sort());

    const cookie = setCookie.split(';')[0]!;
    const page = await get(port, '/', { Cookie: `other=1; ${cookie}` });
    expect(page.status).toBe(200);
    expect(page.body).toBe(INDEX_HTML);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    const asset = await get(port, '/assets/app.js', { Cookie: cookie });
    expect(asset.status).toBe(200);
    expect(asset.body).toBe(APP_JS);
    expect(asset.headers['content-type']).toBe('text/javascript; charset=utf-8');
  });

  it('accepts its own cookie among another dashboard\'s (cookies ignore ports, so each is named per port)', async () => {
    const other = 'x'.repeat(43);
    const both = `srctrace_token_1=${other}; srctrace_token_${port}=${token}`;
    expect((await get(port, '/', { Cookie: both })).status).toBe(200);
    expect((await get(port, '/', { Cookie: `srctrace_token_1=${other}` })).status).toBe(401);
  });

  it('admits Authorization: Bearer', async () => {
    const res = await get(port, '/', { Authorization: `Bearer ${token}` });
    expect(res.status).toBe(200);
    expect(res.body).toBe(INDEX_HTML);
  });

  it('answers 403 to a foreign Host even with a valid token (DNS rebinding)', async () => {
    for (const host of ['evil.example', `evil.example:${port}`, 'localhost.evil.example', `evil@127.0.0.1:${port}`, '128.0.0.1']) {
      const res = await get(port, '/', { Host: host, Authorization: `Bearer ${token}` });
      expect(res.status, host).toBe(403);
      expect(res.body).not.toContain(INDEX_HTML);
    }
    const viaLogin = await get(port, `/?token=${token}`, { Host: 'evil.example' });
    expect(viaLogin.status).toBe(403);
    expect(viaLogin.headers['set-cookie']).toBeUndefined();
  });

  it('accepts loopback names and addresses as Host', async () => {
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `127.1.2.3:${port}`, `[::1]:${port}`, 'localhost']) {
      const res = await get(port, '/', { Host: host, Authorization: `Bearer ${token}` });
      expect(res.status, host).toBe(200);
    }
  });

  it('sets the security headers and a CSP that allows only its own WebSocket', async () => {
    const res = await get(port, '/', { Authorization: `Bearer ${token}` });
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['cache-control']).toBe('no-store');
    const csp = res.headers['content-security-policy'] ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain(`connect-src 'self' ws://127.0.0.1:${port}`);
    expect(csp).toContain("img-src 'self' data:");
    expect(csp).toContain("style-src 'self' 'unsafe-inline'");
  });

  it('never sends Access-Control-Allow-Origin, whatever the request', async () => {
    const requests: [string, Record<string, string>, string][] = [
      ['/', { Origin: 'http://evil.example' }, 'GET'],
      ['/', { Origin: 'http://evil.example', Authorization: `Bearer ${token}` }, 'GET'],
      ['/assets/app.js', { Origin: 'http://evil.example', Authorization: `Bearer ${token}` }, 'GET'],
      ['/', { Origin: 'http://evil.example', 'Access-Control-Request-Method': 'GET' }, 'OPTIONS'],
      [`/?token=${token}`, { Origin: 'http://evil.example' }, 'GET'],
      ['/missing.js', { Authorization: `Bearer ${token}` }, 'GET'],
    ];
    for (const [path, headers, method] of requests) {
      const res = await get(port, path, headers, method);
      expect(res.status, `${method} ${path}`).toBeGreaterThan(0);
      expect(Object.keys(res.headers).filter((h) => h.startsWith('access-control-')), `${method} ${path}`).toEqual([]);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    }
  });

  it('allows only GET and HEAD', async () => {
    const post = await get(port, '/', { Authorization: `Bearer ${token}` }, 'POST');
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    const head = await get(port, '/assets/app.js', { Authorization: `Bearer ${token}` }, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe(String(Buffer.byteLength(APP_JS)));
    expect(head.body).toBe('');
  });
});
