// The built UI is served with the right types, as a single-page app, and no
// request path reaches a file outside the UI directory.
import { symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DashboardUiMissingError } from '../../../agent/sinks/dashboard/errors.js';
import { startDashboardServer } from '../../../agent/sinks/dashboard/server.js';
import { INDEX_HTML, SECRET, get, startFixture, type Fixture } from './helpers.js';

let fx: Fixture;
let auth: Record<string, string>;
beforeAll(async () => {
  fx = await startFixture();
  auth = { Authorization: `Bearer ${fx.server.token}` };
  // A symlink inside the UI dir pointing out of it must not be followed out.
  await symlink(join(dirname(fx.staticDir), 'secret.txt'), join(fx.staticDir, 'assets', 'link.txt'));
});
afterAll(() => fx.cleanup());

describe('dashboard static files', () => {
  it('does not leak files outside the UI directory', async () => {
    const attempts = [
      '/../secret.txt',
      '/../../secret.txt',
      '/%2e%2e/secret.txt',
      '/%2E%2E/secret.txt',
      '/..%2fsecret.txt',
      '/%2e%2e%2fsecret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/assets/%2e%2e/%2e%2e/secret.txt',
      '/..%5csecret.txt',
      '/assets/link.txt',
      '/../package.json',
      '/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
      '/secret.txt%00.js',
    ];
    for (const path of attempts) {
      const res = await get(fx.server.port, path, auth);
      expect(res.body, path).not.toContain(SECRET);
      expect(res.body, path).not.toContain('root:x:0:0');
      expect([200, 404], path).toContain(res.status);
      // A 200 here can only be the SPA page itself.
      if (res.status === 200) expect(res.body, path).toBe(INDEX_HTML);
    }
  });

  it('serves each asset with its content type and nosniff', async () => {
    const css = await get(fx.server.port, '/assets/app.css', auth);
    expect(css.status).toBe(200);
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(css.body).toBe('body{margin:0}');
  });

  it('falls back to index.html for page routes but 404s missing assets', async () => {
    const route = await get(fx.server.port, '/connections/123', auth);
    expect(route.status).toBe(200);
    expect(route.body).toBe(INDEX_HTML);
    expect(route.headers['cache-control']).toBe('no-store');
    expect(route.headers['content-security-policy']).toContain("default-src 'self'");
    for (const path of ['/assets/nope.js', '/favicon.ico', '/assets/']) {
      const res = await get(fx.server.port, path, auth);
      expect(res.status, path).toBe(404);
    }
  });

  it('refuses to start without a built UI, saying how to build it', async () => {
    const start = startDashboardServer({ host: '127.0.0.1', port: 0, staticDir: '/nonexistent/ui', agentVersion: 't', backend: null });
    await expect(start).rejects.toBeInstanceOf(DashboardUiMissingError);
    await expect(start).rejects.toThrow(/npm run build/);
  });
});
