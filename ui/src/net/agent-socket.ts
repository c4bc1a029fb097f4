// The one WebSocket to the agent: validates every frame at the boundary,
// reconnects with capped, jittered back-off, and stops for good after `bye`.
import { PROTOCOL_VERSION, WS_PATH, type ClientMessage } from '../../../agent/model/messages.js';
import { parseServerMessage, type ParseResult } from '../model/validate.js';
import { backoffMs } from './backoff.js';
import type { LinkStatus } from './status.js';

export interface SocketEvents {
  status: (s: LinkStatus) => void;
  message: (r: ParseResult) => void;
}

const PING_EVERY_MS = 20_000;

export function agentSocketUrl(loc: Pick<Location, 'protocol' | 'host'>): string {
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}${WS_PATH}`;
}

export class AgentSocket {
  private ws: WebSocket | null = null;
  private attempt = 0;
  private stopped = false;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly url: string,
    private readonly events: SocketEvents,
    private readonly random: () => number = Math.random,
  ) {}

  start(): void {
    this.stopped = false;
    this.open();
  }

  /** Close and do not come back (page unload, tests). */
  stop(): void {
    this.stopped = true;
    this.clearTimers();
    this.ws?.close();
    this.ws = null;
  }

  /** Skip the remaining back-off (the "reconnect now" button). */
  reconnectNow(): void {
    this.stopped = false;
    this.clearTimers();
    this.ws?.close();
    this.attempt = 0;
    this.open();
  }

  private open(): void {
    this.events.status({ state: 'connecting' });
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.onopen = () => {
      this.pingTimer = setInterval(() => {
        const ping: ClientMessage = { v: PROTOCOL_VERSION, kind: 'ping' };
        if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(ping));
      }, PING_EVERY_MS);
    };
    ws.onmessage = (ev: MessageEvent) => {
      const result = parseServerMessage(ev.data);
      if (result.status === 'ok') {
        const m = result.message;
        if (m.kind === 'hello') {
          this.attempt = 0;
          this.events.status({ state: 'live', agentVersion: m.agentVersion, backend: m.backend, startedAt: m.startedAt });
        } else if (m.kind === 'bye') {
          this.stopped = true;
          this.events.status({ state: 'stopped', reason: m.reason });
        }
      }
      this.events.message(result);
    };
    ws.onclose = (ev: CloseEvent) => {
      if (this.ws !== ws) return;
      this.clearTimers();
      this.ws = null;
      if (this.stopped) return;
      const delay = backoffMs(this.attempt, this.random());
      this.attempt++;
      const reason = ev.reason || `closed (${ev.code})`;
      this.events.status({ state: 'reconnecting', attempt: this.attempt, retryAt: Date.now() + delay, reason });
      this.retryTimer = setTimeout(() => this.open(), delay);
    };
  }

  private clearTimers(): void {
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    if (this.pingTimer !== null) clearInterval(this.pingTimer);
    this.retryTimer = null;
    this.pingTimer = null;
  }
}
