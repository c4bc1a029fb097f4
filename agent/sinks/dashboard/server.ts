// The dashboard sink: one HTTP server for the built UI and the WebSocket that
// streams records to it. Wires the parts; each lives in its own file.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isIP } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { MAX_CLIENT_MESSAGE_BYTES, PROTOCOL_VERSION } from '../../model/messages.js';
import type { SrcRecord } from '../../model/record.js';
import { DashboardClient } from './client-connection.js';
import { ClientQueue } from './client-queue.js';
import { DashboardListenError } from './errors.js';
import { FlushSchedule } from './flush-schedule.js';
import { createRequestHandler } from './http-handler.js';
import { resolveOptions, type DashboardOptions, type DashboardServer } from './options.js';
import { RecordRing } from './record-ring.js';
import { StaticFiles } from './static-files.js';
import { TOKEN_QUERY_PARAM } from './token.js';
import { createUpgradeHandler } from './upgrade.js';
import { encodeMessage } from './wire.js';
import { ConnectionBytes } from '../connection-bytes.js';

export type { DashboardOptions, DashboardServer } from './options.js';

const STATS_INTERVAL_MS = 1000;
// About 100k typical records (~450 bytes of JSON each); keeps the agent well under 200 MB.
const RING_BYTES = 48 * 1024 * 1024;

export async function startDashboardServer(opts: DashboardOptions): Promise<DashboardServer> {
  const o = resolveOptions(opts);
  const files = await StaticFiles.open(o.staticDir);
  const startedAt = new Date().toISOString();
  // Room for a full backlog plus a full live queue, so a new client's backlog
  // survives while its live queue is within limits; RING_BYTES caps it when
  // records are unusually large (long command lines).
  const ring = new RecordRing(o.backlogLimit + o.clientQueueLimit, RING_BYTES);
  const clients = new Set<DashboardClient>();
  let stats = { connections: 0, lostKernel: 0, lostAgent: 0 };
  let closing: Promise<void> | undefined;
  // Live records below this sequence number have been through the flush schedule.
  let released = 0;

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_MESSAGE_BYTES, perMessageDeflate: false, clientTracking: false });
  const onConnection = (ws: WebSocket): void => {
    const queue = new ClientQueue(ring, o.backlogLimit, o.clientQueueLimit);
    const client = new DashboardClient(ws, ring, queue, { disconnectAfterDropped: o.disconnectAfterDropped, released: () => released });
    clients.add(client);
    void client.closed.then(() => clients.delete(client));
    client.start(encodeMessage({
      v: PROTOCOL_VERSION, kind: 'hello', agentVersion: o.agentVersion, backend: o.backend, backlog: queue.backlogSize, startedAt,
    }));
  };

  const http = createServer(createRequestHandler({ token: o.token, listenHost: o.host, files }));
  http.on('upgrade', createUpgradeHandler({
    token: o.token, listenHost: o.host, wss, onConnection, accepting: () => closing === undefined,
  }));
  await listen(http, o.host, o.port);
  const port = (http.address() as AddressInfo).port;

  const flushes = new FlushSchedule(() => {
    released = ring.head;
    for (const c of clients) c.pump();
  });
  const heartbeat = setInterval(() => {
    for (const c of clients) c.heartbeat();
  }, o.heartbeatMs);
  const statsTimer = setInterval(() => {
    const msg = encodeMessage({ v: PROTOCOL_VERSION, kind: 'stats', ...stats, clients: clients.size });
    for (const c of clients) c.sendIfKeepingUp(msg);
  }, STATS_INTERVAL_MS);

  // Connection records are written as bytes (connection-bytes.ts, as the
  // NDJSON sink does: the generic JSON.stringify cost four times as much).
  const connectionBytes = new ConnectionBytes();
  let scratch = Buffer.allocUnsafe(64 * 1024);
  const publish = (record: SrcRecord): void => {
    if (closing !== undefined) return;
    try {
      // Serialised once here (a snapshot, shared by every client); the record
      // types hold only JSON values, so this cannot fail short of a bug upstream.
      let added: boolean;
      if (record.type === 'connection') {
        const most = connectionBytes.prepare(record);
        if (most > scratch.length) scratch = Buffer.allocUnsafe(most);
        added = ring.pushBytes(scratch.subarray(0, connectionBytes.write(record, scratch, 0)));
      } else {
        added = ring.push(JSON.stringify(record));
      }
      if (added) flushes.recordAdded();
    } catch {
      // publish() is called from the pipeline's hot path and must never throw.
    }
  };

  const close = (reason: string): Promise<void> => {
    closing ??= (async () => {
      flushes.stop();
      clearInterval(heartbeat);
      clearInterval(statsTimer);
      const bye = encodeMessage({ v: PROTOCOL_VERSION, kind: 'bye', reason });
      const serverClosed = new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeAllConnections();
      await Promise.all([...clients].map((c) => c.shutdown(bye, reason)));
      wss.close();
      await serverClosed;
    })();
    return closing;
  };

  return {
    url: `http://${urlHost(o.host)}:${port}/?${TOKEN_QUERY_PARAM}=${o.token}`,
    port,
    host: o.host,
    token: o.token,
    publish,
    setStats: (s) => { stats = { connections: s.connections, lostKernel: s.lostKernel, lostAgent: s.lostAgent }; },
    close,
  };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => reject(new DashboardListenError(host, port, err));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

// A wildcard listen address is not something a browser can open.
function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '[::1]';
  return isIP(host) === 6 ? `[${host}]` : host;
}
