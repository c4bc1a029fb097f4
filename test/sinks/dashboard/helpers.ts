// Fixtures for the dashboard tests: a built-UI directory with a secret next to
// it, a real server on 127.0.0.1:0, raw HTTP requests (no URL normalisation,
// any Host header), WebSocket clients that record what they get, and a raw TCP
// client that completes the handshake and then never reads.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import WebSocket from 'ws';
import type { ServerMessage } from '../../../agent/model/messages.js';
import { record } from '../../ui/fixtures.js';
import type { ConnectionRecord } from '../../../agent/model/record.js';
import { startDashboardServer, type DashboardOptions, type DashboardServer } from '../../../agent/sinks/dashboard/server.js';

export const INDEX_HTML = '<!doctype html><title>srctrace</title><script type="module" src="/assets/app.js"></script>';
export const APP_JS = 'console.log("srctrace ui");';
export const SECRET = 'TOP-SECRET-must-not-be-served';

export interface Fixture {
  server: DashboardServer;
  staticDir: string;
  cleanup: () => Promise<void>;
}

/** A UI directory (index.html, assets/app.js, assets/app.css) inside a temp dir that also holds secret.txt. */
export async function makeStaticDir(): Promise<{ root: string; staticDir: string }> {
  const root = await mkdtemp(join(tmpdir(), 'srctrace-dash-'));
  const staticDir = join(root, 'ui');
  await mkdir(join(staticDir, 'assets'), { recursive: true });
  await writeFile(join(staticDir, 'index.html'), INDEX_HTML);
  await writeFile(join(staticDir, 'assets', 'app.js'), APP_JS);
  await writeFile(join(staticDir, 'assets', 'app.css'), 'body{margin:0}');
  await writeFile(join(root, 'secret.txt'), SECRET);
  return { root, staticDir };
}

export async function startFixture(overrides: Partial<DashboardOptions> = {}): Promise<Fixture> {
  const { root, staticDir } = await makeStaticDir();
  const server = await startDashboardServer({
    host: '127.0.0.1', port: 0, staticDir, agentVersion: '0.1.0-test', backend: 'tracepoint', ...overrides,
  });
  return {
    server,
    staticDir,
    cleanup: async () => {
      await server.close('test over');
      await rm(root, { recursive: true, force: true });
    },
  };
}

export interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A raw request: `path` goes on the wire as given, and `Host` can be anything. */
export function get(port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

export function ownOrigin(server: DashboardServer): string {
  return `http://127.0.0.1:${server.port}`;
}

export function wsUrl(server: DashboardServer): string {
  return `ws://127.0.0.1:${server.port}/ws`;
}

/** Status code of a refused WebSocket upgrade, or 101 if it was accepted. */
export function upgradeStatus(url: string, options: WebSocket.ClientOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.on('open', () => {
      resolve(101);
      ws.terminate();
    });
    ws.on('error', (err) => reject(err));
  });
}

/**
 * A dashboard WebSocket client that checks the stream as it arrives: records
 * (pid = publish index) must come in order, and a hole must be announced by a
 * `gap` of exactly its size. Records are counted, not kept, unless asked.
 */
export class Collector {
  readonly messages: ServerMessage[] = [];
  readonly records: ConnectionRecord[] = [];
  recordCount = 0;
  droppedByGaps = 0;
  readonly orderErrors: string[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private expectedPid: number | undefined;
  private readonly waiters = new Set<() => void>();

  constructor(readonly ws: WebSocket, private readonly keepRecords: boolean) {
    ws.on('message', (data) => this.onMessage(JSON.parse(String(data)) as ServerMessage));
    ws.on('error', () => {});
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => {
      resolve({ code, reason: reason.toString() });
      this.wake();
    }));
  }

  private onMessage(msg: ServerMessage): void {
    if (msg.kind === 'records') {
      for (const r of msg.records) {
        if (r.type !== 'connection') continue;
        if (this.expectedPid !== undefined && r.pid !== this.expectedPid) this.orderErrors.push(`expected pid ${this.expectedPid}, got ${r.pid}`);
        this.expectedPid = r.pid + 1;
      }
      this.recordCount += msg.records.length;
      if (this.keepRecords) this.records.push(...(msg.records as ConnectionRecord[]));
      this.messages.push(this.keepRecords ? msg : { ...msg, records: [] });
    } else {
      if (msg.kind === 'gap') {
        this.droppedByGaps += msg.dropped;
        if (this.expectedPid !== undefined) this.expectedPid += msg.dropped;
      }
      this.messages.push(msg);
    }
    this.wake();
  }

  private wake(): void {
    for (const w of this.waiters) w();
  }

  /** Resolves once `cond` holds; rejects after `timeoutMs` with `what` in the message. */
  until(cond: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!cond()) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for ${what}; got kinds ${this.messages.map((m) => m.kind).join(',')}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
    });
  }

  kinds(): string[] {
    return this.messages.map((m) => m.kind);
  }
}

/** Opens an authorised same-origin WebSocket and waits for it to be open. */
export async function connectClient(server: DashboardServer, keepRecords = true): Promise<Collector> {
  const ws = new WebSocket(wsUrl(server), { origin: ownOrigin(server), headers: { Authorization: `Bearer ${server.token}` } });
  const collector = new Collector(ws, keepRecords);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return collector;
}

/** The underlying TCP socket of a ws client (private in ws), to stop reading from it. */
export function tcpOf(ws: WebSocket): Socket {
  return (ws as unknown as { _socket: Socket })._socket;
}

/**
 * A client that completes the WebSocket handshake and then stops reading, like a
 * frozen browser tab. Counts the records that did arrive once resumed.
 */
export async function openStalledClient(server: DashboardServer): Promise<{ socket: Socket; drainAndCount: () => Promise<number> }> {
  const socket = connect(server.port, '127.0.0.1');
  socket.on('error', () => {});
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write([
    'GET /ws HTTP/1.1',
    `Host: 127.0.0.1:${server.port}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
    'Sec-WebSocket-Version: 13',
    `Authorization: Bearer ${server.token}`,
    '', '',
  ].join('\r\n'));
  let seen = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString('latin1');
      if (!seen.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      socket.pause();
      if (seen.startsWith('HTTP/1.1 101')) resolve();
      else reject(new Error(`handshake refused: ${seen.split('\r\n')[0]}`));
    };
    socket.on('data', onData);
  });
  const marker = '"type":"connection"';
  const drainAndCount = (): Promise<number> => new Promise((resolve) => {
    let count = 0;
    let carry = seen.slice(seen.indexOf('\r\n\r\n') + 4);
    socket.on('data', (chunk: Buffer) => {
      const text = carry + chunk.toString('latin1');
      count += text.split(marker).length - 1;
      carry = text.slice(-(marker.length - 1));
    });
    socket.on('close', () => resolve(count));
    socket.resume();
  });
  return { socket, drainAndCount };
}

/** A realistic connection record; `pid` carries the publish index so order can be checked. */
export function connectionRecord(i: number, cmdlinePad = 0): ConnectionRecord {
  return record({
    ts: new Date(1_700_000_000_000 + i).toISOString(),
    pid: i,
    tid: i,
    cmdline: `curl -sS https://example.com/api/v1/items?page=${i} ${'x'.repeat(cmdlinePad)}`.trimEnd(),
    sport: 32768 + (i % 28232),
  });
}

/** Lets timers, immediates and socket I/O run. */
export function tick(ms = 0): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

let gcFn: (() => void) | undefined;
/**
 * Memory still reachable after a full GC (heap + buffers), in MiB: what the
 * server actually holds on to, without the garbage a fast test produces.
 */
export function retainedMb(): number {
  if (gcFn === undefined) {
    setFlagsFromString('--expose-gc');
    gcFn = runInNewContext('gc') as () => void;
  }
  gcFn();
  const m = process.memoryUsage();
  return (m.heapUsed + m.external) / 2 ** 20;
}
