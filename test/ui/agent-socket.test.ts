import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AgentSocket, agentSocketUrl } from '../../ui/src/net/agent-socket.js';
import type { LinkStatus } from '../../ui/src/net/status.js';
import type { ParseResult } from '../../ui/src/model/validate.js';

/** Just enough of the browser WebSocket for the client: the test drives its events. */
class FakeSocket {
  static OPEN = 1;
  static all: FakeSocket[] = [];
  readyState = 0;
  sent: string[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  send(text: string): void {
    this.sent.push(text);
  }
  close(): void {
    this.readyState = 3;
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.();
  }
  receive(m: unknown): void {
    this.onmessage?.({ data: typeof m === 'string' ? m : JSON.stringify(m) });
  }
  drop(code = 1006, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
}

const hello = { v: 1, kind: 'hello', agentVersion: '0.1.0', backend: 'tracepoint', backlog: 0, startedAt: '2025-03-01T12:00:00.000Z' };

describe('AgentSocket', () => {
  let statuses: LinkStatus[];
  let messages: ParseResult[];
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(1_000_000);
    vi.stubGlobal('WebSocket', FakeSocket);
    FakeSocket.all = [];
    statuses = [];
    messages = [];
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  const make = () => new AgentSocket('ws://host/ws', { status: (s) => statuses.push(s), message: (m) => messages.push(m) }, () => 0.5);

  it('uses the same origin, ws or wss', () => {
    expect(agentSocketUrl({ protocol: 'http:', host: '127.0.0.1:8080' })).toBe('ws://127.0.0.1:8080/ws');
    expect(agentSocketUrl({ protocol: 'https:', host: 'box' })).toBe('wss://box/ws');
  });

  it('is live after hello, passes every validated frame on, and pings', () => {
    const s = make();
    s.start();
    const ws = FakeSocket.all[0]!;
    ws.open();
    ws.receive(hello);
    ws.receive('{broken');
    vi.advanceTimersByTime(20_000);
    expect(statuses).toEqual([{ state: 'connecting' }, { state: 'live', agentVersion: '0.1.0', backend: 'tracepoint', startedAt: '2025-03-01T12:00:00.000Z' }]);
    expect(messages).toEqual([
      { status: 'ok', message: hello, unknownRecords: 0, malformedRecords: 0 },
      { status: 'malformed', reason: 'not JSON' },
    ]);
    expect(ws.sent).toEqual(['{"v":1,"kind":"ping"}']);
    s.stop();
  });

  it('reconnects with growing, capped back-off and resets it after a hello', () => {
    const s = make();
    s.start();
    FakeSocket.all[0]!.drop(1006);
    expect(statuses.at(-1)).toEqual({ state: 'reconnecting', attempt: 1, retryAt: 1_000_375, reason: 'closed (1006)' });
    vi.advanceTimersByTime(374);
    expect(FakeSocket.all.length).toBe(1);
    vi.advanceTimersByTime(1);
    expect(FakeSocket.all.length).toBe(2);
    FakeSocket.all[1]!.drop(1011, 'restarting');
    expect(statuses.at(-1)).toEqual({ state: 'reconnecting', attempt: 2, retryAt: 1_000_375 + 750, reason: 'restarting' });
    for (let i = 0; i < 10; i++) {
      vi.runOnlyPendingTimers();
      FakeSocket.all.at(-1)!.drop();
    }
    const last = statuses.at(-1) as Extract<LinkStatus, { state: 'reconnecting' }>;
    expect(last.retryAt - Date.now()).toBe(11_250); // capped at 15 s, jitter 0.5
    vi.runOnlyPendingTimers();
    FakeSocket.all.at(-1)!.receive(hello);
    FakeSocket.all.at(-1)!.drop();
    expect(statuses.at(-1)).toMatchObject({ state: 'reconnecting', attempt: 1 });
    s.stop();
  });

  it('stops for good after bye', () => {
    const s = make();
    s.start();
    const ws = FakeSocket.all[0]!;
    ws.receive(hello);
    ws.receive({ v: 1, kind: 'bye', reason: 'SIGTERM' });
    ws.drop(1000);
    vi.advanceTimersByTime(60_000);
    expect(statuses.at(-1)).toEqual({ state: 'stopped', reason: 'SIGTERM' });
    expect(FakeSocket.all.length).toBe(1);
    s.reconnectNow();
    expect([FakeSocket.all.length, statuses.at(-1)]).toEqual([2, { state: 'connecting' }]);
    s.stop();
  });
});
