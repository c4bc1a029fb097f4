// Failures a user can act on come out as their own error classes, with a
// message that says what to do.
import { afterEach, describe, expect, it } from 'vitest';
import { DashboardListenError, DashboardTokenError } from '../../../agent/sinks/dashboard/errors.js';
import { startDashboardServer } from '../../../agent/sinks/dashboard/server.js';
import { startFixture, type Fixture } from './helpers.js';

const fixtures: Fixture[] = [];
afterEach(async () => {
  for (const f of fixtures.splice(0)) await f.cleanup();
});

describe('dashboard start-up errors', () => {
  it('reports a taken port as DashboardListenError with a hint', async () => {
    const first = await startFixture();
    fixtures.push(first);
    const second = startDashboardServer({
      host: '127.0.0.1', port: first.server.port, staticDir: first.staticDir, agentVersion: 't', backend: null,
    });
    await expect(second).rejects.toBeInstanceOf(DashboardListenError);
    await expect(second).rejects.toThrow(/in use.*--listen/);
  });

  it('rejects a weak or cookie-unsafe token', async () => {
    for (const token of ['short', `${'a'.repeat(30)};Path=/x`]) {
      await expect(startFixture({ token })).rejects.toBeInstanceOf(DashboardTokenError);
    }
    const ok = await startFixture({ token: 'a'.repeat(22) });
    fixtures.push(ok);
    expect(ok.server.token).toBe('a'.repeat(22));
  });

  it('gives every server its own random token', async () => {
    const a = await startFixture();
    const b = await startFixture();
    fixtures.push(a, b);
    expect(a.server.token).not.toBe(b.server.token);
  });
});
