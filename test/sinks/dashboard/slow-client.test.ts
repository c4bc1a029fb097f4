// A client that stops reading loses records (and is told how many), is
// eventually cut off, and costs the agent bounded memory, while a client that
// keeps up gets every record.
import { afterEach, describe, expect, it } from 'vitest';
import { CLOSE_CODE } from '../../../agent/model/messages.js';
import { connectClient, connectionRecord, openStalledClient, retainedMb, startFixture, tcpOf, tick, type Fixture } from './helpers.js';

let fx: Fixture | undefined;
afterEach(async () => {
  await fx?.cleanup();
  fx = undefined;
});

// Every test record carries this much command line, so the published total
// (300k x ~1.7 kB = ~500 MB) would dwarf the memory bound if it were buffered.
const PAD = 1500;

describe('dashboard slow clients', () => {
  it('drops and disconnects a stalled client while a live client gets every record, in bounded memory', async () => {
    // Heartbeats off the table: the stalled client must be cut off for being slow.
    fx = await startFixture({ backlogLimit: 1000, clientQueueLimit: 5000, disconnectAfterDropped: 100_000, heartbeatMs: 600_000 });
    const { server } = fx;
    const stalled = await openStalledClient(server);
    const live = await connectClient(server, false);
    await live.until(() => live.kinds().includes('hello'), 'hello');

    const total = 300_000;
    const retainedBefore = retainedMb();
    let retainedPeak = retainedBefore;
    for (let i = 0; i < total; i++) {
      server.publish(connectionRecord(i, PAD));
      if (i % 25_000 === 24_999) retainedPeak = Math.max(retainedPeak, retainedMb());
      if (i % 1000 === 999) {
        // Publish as fast as the live client reads; the stalled one must not slow this down.
        await live.until(() => live.recordCount >= i + 1 - 3000, `live client to reach ${i - 3000}`);
      }
    }
    await live.until(() => live.recordCount === total, 'every record on the live client');
    expect(live.orderErrors).toEqual([]);
    expect(live.droppedByGaps).toBe(0);
    expect(live.kinds()).not.toContain('gap');

    // The stalled client is gone: the next stats tick counts only the live client.
    await live.until(() => live.messages.some((m) => m.kind === 'stats' && m.clients === 1), 'stats with clients: 1', 5000);
    // Once it reads again it finds only what was in flight, then the end of the stream.
    const stalledGot = await stalled.drainAndCount();
    expect(stalledGot).toBeLessThan(total - 100_000);

    // The ring holds 6000 records (~10 MiB); buffering for the stalled client would hold ~500 MiB.
    expect(retainedPeak - retainedBefore).toBeLessThan(64);
  });

  it('tells a client that fell behind exactly what it missed, then carries on', async () => {
    fx = await startFixture({ backlogLimit: 0, clientQueueLimit: 2000, disconnectAfterDropped: 1_000_000, heartbeatMs: 600_000 });
    const { server } = fx;
    const slow = await connectClient(server, false);
    await slow.until(() => slow.kinds().includes('hello'), 'hello');
    tcpOf(slow.ws).pause();

    const total = 60_000;
    for (let i = 0; i < total; i++) {
      server.publish(connectionRecord(i, PAD));
      if (i % 500 === 499) await tick();
    }
    await tick(100);
    tcpOf(slow.ws).resume();
    await slow.until(() => slow.recordCount + slow.droppedByGaps === total, 'records + gaps to cover everything');

    // Every hole was announced by a gap of exactly its size, before the records after it.
    expect(slow.orderErrors).toEqual([]);
    expect(slow.droppedByGaps).toBeGreaterThan(0);
    const gaps = slow.messages.filter((m) => m.kind === 'gap');
    expect(gaps.at(-1)).toMatchObject({ totalDropped: slow.droppedByGaps });
    // It kept its last clientQueueLimit records at least: the newest ones arrive.
    expect(slow.recordCount).toBeGreaterThanOrEqual(2000);
    expect(slow.ws.readyState).toBe(slow.ws.OPEN);
  });

  it('closes a client with 1013 "too slow" once it has dropped disconnectAfterDropped in a row', async () => {
    fx = await startFixture({ backlogLimit: 0, clientQueueLimit: 1000, disconnectAfterDropped: 20_000, heartbeatMs: 600_000 });
    const { server } = fx;
    const slow = await connectClient(server, false);
    await slow.until(() => slow.kinds().includes('hello'), 'hello');
    tcpOf(slow.ws).pause();
    for (let i = 0; i < 60_000; i++) {
      server.publish(connectionRecord(i, PAD));
      if (i % 500 === 499) await tick();
    }
    tcpOf(slow.ws).resume();
    const closed = await slow.closed;
    // A paused reader may never see the close frame before the grace period ends: 1006 then.
    expect([CLOSE_CODE.tooSlow, 1006]).toContain(closed.code);
    if (closed.code === CLOSE_CODE.tooSlow) expect(closed.reason).toBe('too slow');
    expect(slow.recordCount).toBeLessThan(60_000 - 20_000);
  });
});
