// close(): every client hears `bye` and a normal close, the port is released,
// and nothing the server started is left running.
import { execFile } from 'node:child_process';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CLOSE_CODE } from '../../../agent/model/messages.js';
import { connectClient, connectionRecord, startFixture } from './helpers.js';

/** Sockets, servers and timers currently keeping the event loop alive. */
function handleCounts(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) {
    if (r === 'TCPSocketWrap' || r === 'TCPServerWrap' || r === 'Timeout' || r === 'Immediate') counts[r] = (counts[r] ?? 0) + 1;
  }
  return counts;
}

describe('dashboard close()', () => {
  it('says bye to every client, closes them with 1001 and leaves no handles behind', async () => {
    const before = handleCounts();
    const fx = await startFixture({ heartbeatMs: 50 });
    const { server } = fx;
    const a = await connectClient(server);
    const b = await connectClient(server);
    // A browser keeps idle HTTP connections open; close() must not wait for them.
    const agent = new Agent({ keepAlive: true });
    await new Promise<void>((resolve, reject) => {
      request({ host: '127.0.0.1', port: server.port, path: '/', agent, headers: { Authorization: `Bearer ${server.token}` } }, (res) => {
        res.resume();
        res.on('end', () => resolve());
      }).on('error', reject).end();
    });
    server.publish(connectionRecord(1)); // leaves a flush timer pending

    await fx.cleanup(); // close('test over')
    for (const c of [a, b]) {
      expect(await c.closed).toEqual({ code: CLOSE_CODE.goingAway, reason: 'test over' });
      expect(c.messages.at(-1)).toEqual({ v: 1, kind: 'bye', reason: 'test over' });
    }
    agent.destroy();

    const refused = await new Promise<string>((resolve) => {
      const s = connect(server.port, '127.0.0.1');
      s.on('connect', () => { s.destroy(); resolve('connected'); });
      s.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
    // Client-side sockets finish closing a tick or two after their 'close' events.
    for (let i = 0; i < 50 && (handleCounts().TCPSocketWrap ?? 0) > (before.TCPSocketWrap ?? 0); i++) await new Promise((r) => setTimeout(r, 10));
    const after = handleCounts();
    expect(after.TCPServerWrap ?? 0).toBe(before.TCPServerWrap ?? 0);
    expect(after.TCPSocketWrap ?? 0).toBe(before.TCPSocketWrap ?? 0);
    // The runner has timers of its own, so only check that none of ours (heartbeat, stats, flush) remain.
    expect(after.Timeout ?? 0).toBeLessThanOrEqual(before.Timeout ?? 0);
    expect(after.Immediate ?? 0).toBeLessThanOrEqual(before.Immediate ?? 0);

    // Calls after close are harmless: publish is a no-op, close resolves again.
    expect(() => server.publish(connectionRecord(2))).not.toThrow();
    await expect(server.close('again')).resolves.toBeUndefined();
  });

  it('leaves nothing that keeps the process alive', async () => {
    const fixture = fileURLToPath(new URL('./fixtures/close-then-exit.ts', import.meta.url));
    const result = await new Promise<{ code: number | null; signal: string | null; stdout: string }>((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', fixture], { timeout: 15_000 }, (err, stdout) => {
        const e = err as (NodeJS.ErrnoException & { code?: number | string; signal?: string }) | null;
        resolve({ code: e === null ? 0 : typeof e.code === 'number' ? e.code : null, signal: e?.signal ?? null, stdout });
      });
    });
    // Killed by the timeout (signal set) means something was still running after close().
    expect(result).toEqual({ code: 0, signal: null, stdout: 'closed\n' });
  });
});
