// Dashboard memory under a stalled client: one client completes the WebSocket
// handshake and never reads, one keeps up, and 1,000,000 realistic connection
// records are published as fast as the event loop allows. The server must stay
// bounded (target: peak RSS under 200 MB) and the live client keep receiving.
//
//   node --import tsx bench/dashboard-memory.ts [records]
//
// Both clients run in this process, so the RSS figure includes the live
// client's JSON parsing: it is an upper bound for the agent alone.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import type { ServerMessage } from '../agent/model/messages.js';
import type { ConnectionRecord } from '../agent/model/record.js';
import { startDashboardServer, type DashboardServer } from '../agent/sinks/dashboard/server.js';

const TOTAL = Number(process.argv[2] ?? 1_000_000);
const CHUNK = 1000; // records published between event-loop turns, like one read of bpftrace output
const COMMANDS = [
  'curl -sS https://api.github.com/repos/iovisor/bpftrace/releases/latest',
  '/usr/lib/firefox/firefox -contentproc -childID 12 -isForBrowser -prefsLen 31337 tab',
  'ssh -o BatchMode=yes deploy@10.20.30.40 uptime',
  'python3 -m pip download --no-deps requests==2.32.3',
  null,
];

function record(i: number): ConnectionRecord {
  const failed = i % 17 === 0;
  return {
    type: 'connection',
    ts: new Date(1_700_000_000_000 + i).toISOString(),
    pid: 1000 + (i % 5000),
    tid: 1000 + (i % 5000),
    ppid: 1,
    uid: i % 3 === 0 ? 0 : 1000,
    comm: 'curl',
    commHex: '6375726c',
    cmdline: COMMANDS[i % COMMANDS.length] ?? null,
    netns: 4026531840,
    netnsName: null,
    proto: 'tcp',
    family: i % 4 === 0 ? 6 : 4,
    saddr: i % 4 === 0 ? '2001:db8::23' : '192.168.1.23',
    sport: 32768 + (i % 28232),
    daddr: i % 4 === 0 ? '2606:2800:220:1:248:1893:25c8:1946' : '93.184.216.34',
    dport: 443,
    outcome: failed ? 'refused' : 'established',
    errno: failed ? 111 : null,
    error: failed ? 'ECONNREFUSED' : null,
    latencyMs: failed ? 0.21 : 12.5,
    sourceReason: i % 9 === 0 ? 'bind' : 'route',
    dev: i % 2 === 0 ? 'eth0' : 'eth1',
    gateway: i % 4 === 0 ? 'fe80::1' : '192.168.1.1',
    routeSrc: i % 3 === 0 ? null : i % 3 === 1,
    mark: 0,
    stateRaw: failed ? 7 : 1,
  };
}

/** Completes the handshake, then never reads again. */
async function stalledClient(server: DashboardServer): Promise<Socket> {
  const socket = connect(server.port, '127.0.0.1');
  socket.on('error', () => {});
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write([
    'GET /ws HTTP/1.1', `Host: 127.0.0.1:${server.port}`, 'Upgrade: websocket', 'Connection: Upgrade',
    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`, 'Sec-WebSocket-Version: 13',
    `Authorization: Bearer ${server.token}`, '', '',
  ].join('\r\n'));
  await new Promise<void>((resolve) => socket.once('data', () => {
    socket.pause();
    resolve();
  }));
  return socket;
}

interface LiveClient {
  received: number;
  dropped: number;
  sawClients: number[];
}

async function liveClient(server: DashboardServer): Promise<LiveClient> {
  const live: LiveClient = { received: 0, dropped: 0, sawClients: [] };
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws`, {
    origin: `http://127.0.0.1:${server.port}`, headers: { Authorization: `Bearer ${server.token}` },
  });
  ws.on('message', (data) => {
    const msg = JSON.parse(String(data)) as ServerMessage;
    if (msg.kind === 'records') live.received += msg.records.length;
    else if (msg.kind === 'gap') live.dropped += msg.dropped;
    else if (msg.kind === 'stats') live.sawClients.push(msg.clients);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return live;
}

/** Bytes the stalled client had been sent, read once it resumes, as a count of records. */
function drainStalled(socket: Socket): Promise<number> {
  return new Promise((resolve) => {
    const marker = '"type":"connection"';
    let count = 0;
    let carry = '';
    socket.on('data', (chunk: Buffer) => {
      const text = carry + chunk.toString('latin1');
      count += text.split(marker).length - 1;
      carry = text.slice(-(marker.length - 1));
    });
    socket.on('close', () => resolve(count));
    socket.resume();
    setTimeout(() => socket.destroy(), 5000).unref();
  });
}

const until = async (cond: () => boolean, ms: number): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
};

const root = await mkdtemp(join(tmpdir(), 'srctrace-bench-'));
await writeFile(join(root, 'index.html'), '<!doctype html><title>bench</title>');
const server = await startDashboardServer({ host: '127.0.0.1', port: 0, staticDir: root, agentVersion: 'bench', backend: 'tracepoint' });
const stalled = await stalledClient(server);
const live = await liveClient(server);

const rssStart = process.memoryUsage().rss;
let rssPeak = rssStart;
let memAtPeak = process.memoryUsage();
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  if (m.rss <= rssPeak) return;
  rssPeak = m.rss;
  memAtPeak = m;
}, 50);

const t0 = process.hrtime.bigint();
let publishNs = 0n;
for (let i = 0; i < TOTAL; i += CHUNK) {
  const p0 = process.hrtime.bigint();
  for (let j = i; j < Math.min(TOTAL, i + CHUNK); j++) server.publish(record(j));
  publishNs += process.hrtime.bigint() - p0;
  await new Promise((r) => setImmediate(r));
}
const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
await until(() => live.received + live.dropped >= TOTAL, 30_000);
// A stats tick shows whether the stalled client is still connected.
await new Promise((r) => setTimeout(r, 1100));
clearInterval(sampler);
rssPeak = Math.max(rssPeak, process.memoryUsage().rss);

const stalledReceived = await drainStalled(stalled);
await server.close('bench done');
await rm(root, { recursive: true, force: true });

const result = {
  records: TOTAL,
  peakRssMb: Math.round(rssPeak / 2 ** 20),
  startRssMb: Math.round(rssStart / 2 ** 20),
  publishedPerSec: Math.round(TOTAL / wallS),
  publishCallsPerSec: Math.round(TOTAL / (Number(publishNs) / 1e9)),
  liveReceived: live.received,
  liveDropped: live.dropped,
  stalledReceived,
  stalledDropped: TOTAL - stalledReceived,
  stalledDisconnected: live.sawClients.at(-1) === 1,
};
console.log(`published ${TOTAL} records in ${wallS.toFixed(2)} s (${result.publishedPerSec}/s with yields; publish() alone ${result.publishCallsPerSec}/s)`);
console.log(`peak RSS ${result.peakRssMb} MB (start ${result.startRssMb} MB, target < 200 MB) - ${result.peakRssMb < 200 ? 'OK' : 'OVER'}`);
console.log(`live client: ${result.liveReceived} received, ${result.liveDropped} dropped`);
console.log(`stalled client: ${result.stalledReceived} received, ${result.stalledDropped} dropped or undelivered, disconnected: ${result.stalledDisconnected}`);
// DEBUG_MEM=1 shows where the peak sat (heap vs buffers).
if (process.env.DEBUG_MEM) console.log(memAtPeak);
console.log(JSON.stringify(result));
