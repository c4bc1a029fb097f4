// The WebSocket: who may open it, what a client receives and in which order,
// and that a misbehaving client is cut off without disturbing the others.
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { CLOSE_CODE, MAX_CLIENT_MESSAGE_BYTES, type ServerMessage } from '../../../agent/model/messages.js';
import type { LostRecord, SrcRecord, StatusRecord } from '../../../agent/model/record.js';
import { hostileRecord } from '../../helpers/sample-record.js';
import { Collector, connectClient, connectionRecord, ownOrigin, startFixture, upgradeStatus, wsUrl, type Fixture } from './helpers.js';

let fx: Fixture | undefined;
afterEach(async () => {
  await fx?.cleanup();
  fx = undefined;
});

const status: StatusRecord = { type: 'status', ts: '2024-01-01T00:00:00.000Z', state: 'started', backend: 'tracepoint', detail: 'ok' };
const lost: LostRecord = { type: 'lost', ts: '2024-01-01T00:00:01.000Z', count: 3, where: 'kernel', detail: 'perf buffer' };

describe('dashboard WebSocket access', () => {
  it('refuses a foreign Origin with 403 even with a valid token', async () => {
    fx = await startFixture();
    const { server } = fx;
    const auth = { Authorization: `Bearer ${server.token}` };
    for (const origin of ['http://evil.example', `http://evil.example:${server.port}`, 'http://127.0.0.1:1', 'null', `https://127.0.0.1:${server.port}`]) {
      expect(await upgradeStatus(wsUrl(server), { origin, headers: auth }), origin).toBe(403);
    }
    expect(await upgradeStatus(wsUrl(server), { origin: ownOrigin(server), headers: auth })).toBe(101);
  });

  it('refuses a foreign Host with 403', async () => {
    fx = await startFixture();
    const { server } = fx;
    const status = await upgradeStatus(wsUrl(server), {
      headers: { Host: 'evil.example', Authorization: `Bearer ${server.token}` }, origin: 'http://evil.example',
    });
    expect(status).toBe(403);
    // Without an Origin (a non-browser client) the Host rule alone must refuse it.
    expect(await upgradeStatus(wsUrl(server), { headers: { Host: 'evil.example', Authorization: `Bearer ${server.token}` } })).toBe(403);
  });

  it('refuses a socket without the token, with or without the own Origin', async () => {
    fx = await startFixture();
    const { server } = fx;
    expect(await upgradeStatus(wsUrl(server), { origin: ownOrigin(server) })).toBe(401);
    expect(await upgradeStatus(wsUrl(server), {})).toBe(401);
    expect(await upgradeStatus(wsUrl(server), { headers: { Cookie: 'srctrace_token=wrong' } })).toBe(401);
  });

  it('admits the token as cookie (the browser path), Bearer without Origin, and ?token=', async () => {
    fx = await startFixture();
    const { server } = fx;
    expect(await upgradeStatus(wsUrl(server), { origin: ownOrigin(server), headers: { Cookie: `srctrace_token=${server.token}` } })).toBe(101);
    expect(await upgradeStatus(wsUrl(server), { headers: { Authorization: `Bearer ${server.token}` } })).toBe(101);
    expect(await upgradeStatus(`${wsUrl(server)}?token=${server.token}`, {})).toBe(101);
  });

  it('answers 404 to an upgrade on another path', async () => {
    fx = await startFixture();
    const { server } = fx;
    expect(await upgradeStatus(`ws://127.0.0.1:${server.port}/other`, { headers: { Authorization: `Bearer ${server.token}` } })).toBe(404);
  });
});

describe('dashboard WebSocket stream', () => {
  it('sends hello, then the backlog (every record type, capped), then live records in order', async () => {
    fx = await startFixture({ backlogLimit: 3, agentVersion: '9.9.9', backend: 'kprobe' });
    const { server } = fx;
    server.publish(connectionRecord(100)); // pushed out of the backlog by the next three
    server.publish(status);
    server.publish(lost);
    server.publish(connectionRecord(0));
    const c = await connectClient(server);
    await c.until(() => c.recordCount >= 3, 'backlog');

    server.publish(connectionRecord(1));
    server.publish(connectionRecord(2));
    await c.until(() => c.recordCount >= 5, 'live records');

    const [hello, ...rest] = c.messages;
    expect(hello).toEqual({ v: 1, kind: 'hello', agentVersion: '9.9.9', backend: 'kprobe', backlog: 3, startedAt: expect.any(String) });
    expect(Number.isNaN(Date.parse((hello as { startedAt: string }).startedAt))).toBe(false);
    const batches = rest.filter((m): m is Extract<ServerMessage, { kind: 'records' }> => m.kind === 'records');
    expect(batches.map((b) => b.backlog)).toEqual([true, false]);
    expect(batches[0]!.records).toEqual([status, lost, connectionRecord(0)]);
    expect(batches[1]!.records).toEqual([connectionRecord(1), connectionRecord(2)]);
    expect(c.orderErrors).toEqual([]);
  });

  it('batches live records: 1200 published at once arrive in at most 3 messages, in order', async () => {
    fx = await startFixture();
    const c = await connectClient(fx.server);
    await c.until(() => c.kinds().includes('hello'), 'hello');
    for (let i = 0; i < 1200; i++) fx.server.publish(connectionRecord(i));
    await c.until(() => c.recordCount === 1200, 'all records');
    const batches = c.messages.filter((m) => m.kind === 'records');
    expect(batches.length).toBeLessThanOrEqual(3);
    expect(c.records.map((r) => r.pid)).toEqual(Array.from({ length: 1200 }, (_, i) => i));
  });

  it('sends each record as exactly the JSON that JSON.stringify makes of it, hostile strings included', async () => {
    fx = await startFixture();
    const c = await connectClient(fx.server);
    const raw: string[] = [];
    c.ws.on('message', (d) => raw.push(String(d)));
    await c.until(() => c.kinds().includes('hello'), 'hello');
    // Connection records are written from fragments reused while fields repeat: vary them one at a time.
    const base = { ...hostileRecord, pid: 0 };
    const published: SrcRecord[] = [
      base, { ...base, comm: 'plain', commHex: '706c61696e' }, { ...base, cmdline: null, saddr: null, sport: null, latencyMs: null },
      status, { ...base, tid: 99, daddr: '2001:db8::1', dev: 'e"\\\n' }, lost, { ...base, latencyMs: 0.125, error: 'x\u2028y', gateway: '192.0.2.1' }, base,
    ];
    for (const r of published) fx.server.publish(r);
    await c.until(() => c.recordCount === published.length, 'all records');
    const runs = raw.filter((m) => m.startsWith('{"v":1,"kind":"records"')).map((m) => m.slice(m.indexOf('[') + 1, m.lastIndexOf(']')));
    expect(runs.join(',')).toBe(published.map((r) => JSON.stringify(r)).join(','));
  });

  it('sends stats every second with the latest counters and the client count', async () => {
    fx = await startFixture();
    const c = await connectClient(fx.server);
    fx.server.setStats({ connections: 42, lostKernel: 1, lostAgent: 2 });
    await c.until(() => c.kinds().includes('stats'), 'stats', 5000);
    expect(c.messages.find((m) => m.kind === 'stats')).toEqual({ v: 1, kind: 'stats', connections: 42, lostKernel: 1, lostAgent: 2, clients: 1 });
  });

  it('accepts a valid ping and keeps the connection open', async () => {
    fx = await startFixture();
    const c = await connectClient(fx.server);
    c.ws.send(JSON.stringify({ v: 1, kind: 'ping' }));
    fx.server.publish(connectionRecord(7));
    await c.until(() => c.recordCount === 1, 'a record after the ping');
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('closes a client that sends a malformed message with 1008, and keeps serving another', async () => {
    fx = await startFixture();
    const bad = await connectClient(fx.server);
    const good = await connectClient(fx.server);
    bad.ws.send('{"v":1,"kind":');
    expect(await bad.closed).toEqual({ code: CLOSE_CODE.policyViolation, reason: 'message is not JSON' });

    for (const msg of ['{"v":1,"kind":"subscribe"}', '{"v":2,"kind":"ping"}', '{"v":1,"kind":"ping","x":1}', '[]']) {
      const other = await connectClient(fx.server);
      other.ws.send(msg);
      expect((await other.closed).code, msg).toBe(CLOSE_CODE.policyViolation);
    }

    fx.server.publish(connectionRecord(1));
    await good.until(() => good.recordCount === 1, 'record on the good client');
    const third = await connectClient(fx.server);
    await third.until(() => third.recordCount === 1, 'backlog on a new client');
    expect(good.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('closes a client whose message exceeds the size limit with 1009', async () => {
    fx = await startFixture();
    const big = await connectClient(fx.server);
    const good = await connectClient(fx.server);
    big.ws.send(JSON.stringify({ v: 1, kind: 'ping', pad: 'x'.repeat(MAX_CLIENT_MESSAGE_BYTES) }));
    expect((await big.closed).code).toBe(CLOSE_CODE.messageTooBig);
    fx.server.publish(connectionRecord(1));
    await good.until(() => good.recordCount === 1, 'record on the good client');
  });

  it('terminates a client that stops answering heartbeat pings', async () => {
    fx = await startFixture({ heartbeatMs: 100 });
    const ws = new WebSocket(wsUrl(fx.server), { origin: ownOrigin(fx.server), headers: { Authorization: `Bearer ${fx.server.token}` }, autoPong: false });
    const c = new Collector(ws, false);
    const responsive = await connectClient(fx.server);
    const { code } = await c.closed;
    expect(code).toBe(1006); // terminated, no close frame
    expect(responsive.ws.readyState).toBe(WebSocket.OPEN);
  });
});
