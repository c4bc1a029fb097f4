// Dashboard smoothness at 100k connections: builds the UI, serves it with a fake
// agent WebSocket that streams 100k realistic records, and measures in Debian's
// Chromium how long loading takes and how long frames take while panning and
// zooming. Run: node --import tsx bench/ui-frames.ts [--no-build] [--records N] [--serve-only]
import { createReadStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ServerMessage } from '../agent/model/messages.js';
import type { ConnectionRecord, Outcome } from '../agent/model/record.js';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const dist = join(root, 'ui', 'dist');
const args = process.argv.slice(2);
const N = Number(args[args.indexOf('--records') + 1]) || 100_000;
const BATCH = 1000;
const INTERACT_MS = 5000;

// --- synthetic but realistic records -------------------------------------------------

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(42);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

const SOURCES4 = ['10.0.0.5', '10.0.1.17', '192.168.1.23', '172.16.4.2', '100.64.0.9'];
const SOURCES6 = ['2001:db8:0:1::5', '2001:db8:0:2::17', 'fd00:1::23'];
const DESTS4 = ['93.184.216.34', '151.101.1.69', '140.82.121.4', '104.16.132.229', '8.8.8.8', '1.1.1.1', '10.0.0.1', '192.168.1.1'];
const DESTS6 = ['2606:4700::6810:84e5', '2a04:4e42::69', '2001:4860:4860::8888'];
const PORTS = [443, 443, 443, 80, 22, 5432, 6379, 8080, 53];
const COMMS = ['curl', 'wget', 'python3', 'node', 'apt-get', 'git', 'ssh', 'chrome', 'postgres', 'redis-cli', 'java', 'go'];

interface Proc { pid: number; comm: string; uid: number; ppid: number; netns: number; bind: string | null }
const procs: Proc[] = [];
for (let i = 0; i < 250; i++) {
  const comm = pick(COMMS);
  procs.push({ pid: 1000 + i * 37, comm, uid: rand() < 0.3 ? 0 : 1000, ppid: 900, netns: 4026531840, bind: rand() < 0.1 ? pick(SOURCES4) : null });
}

function makeRecord(tsMs: number): ConnectionRecord {
  const p = procs[Math.floor(Math.pow(rand(), 1.7) * procs.length)]!; // a few busy processes, a long tail
  const v6 = rand() < 0.25;
  const u = rand();
  const outcome: Outcome = u < 0.92 ? 'established' : u < 0.955 ? 'refused' : u < 0.975 ? 'timeout' : u < 0.99 ? 'unreachable' : 'error';
  const noRoute = outcome === 'unreachable' && rand() < 0.5;
  const saddr = noRoute ? null : p.bind && !v6 ? p.bind : v6 ? pick(SOURCES6) : pick(SOURCES4);
  const errs: Record<Outcome, [number | null, string | null]> = {
    established: [null, null], refused: [111, 'ECONNREFUSED'], timeout: [110, 'ETIMEDOUT'], unreachable: [101, 'ENETUNREACH'], error: [104, 'ECONNRESET'],
  };
  const [errno, error] = errs[outcome];
  const latencyMs = noRoute ? null
    : outcome === 'timeout' ? 3000 + Math.round(rand() * 18_000)
    : Math.round(Math.exp(rand() * 6 - 1.5) * 1000) / 1000;
  const comm = p.comm;
  return {
    type: 'connection', ts: new Date(tsMs).toISOString(), pid: p.pid, tid: p.pid + (rand() < 0.2 ? 1 : 0), ppid: p.ppid, uid: p.uid,
    comm, commHex: Buffer.from(comm).toString('hex'), cmdline: `${comm} --synthetic`, netns: p.netns, netnsName: null, proto: 'tcp', family: v6 ? 6 : 4,
    saddr, sport: saddr === null ? null : 32768 + Math.floor(rand() * 28000), daddr: v6 ? pick(DESTS6) : pick(DESTS4), dport: pick(PORTS),
    outcome, errno, error, latencyMs, sourceReason: saddr === null ? null : p.bind ? 'bind' : 'route',
    dev: saddr === null ? null : v6 ? 'uplink-b' : 'uplink-a', gateway: saddr === null ? null : v6 ? '2001:db8:b::1' : '198.51.100.1',
    routeSrc: saddr === null || p.bind ? null : !v6,
    mark: saddr === null ? null : 0,
    stateRaw: outcome === 'established' ? 1 : outcome === 'timeout' || outcome === 'refused' ? 7 : null,
  };
}

// --- build and serve -----------------------------------------------------------------

async function buildUi(): Promise<void> {
  if (args.includes('--no-build') && existsSync(join(dist, 'index.html'))) return;
  const { build } = await import('vite');
  await build({ configFile: join(root, 'ui', 'vite.config.ts'), logLevel: 'warn' });
}

const MIME: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png' };

function serve(): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    let file = join(dist, path);
    if (!file.startsWith(dist) || !existsSync(file) || statSync(file).isDirectory()) file = join(dist, 'index.html');
    res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  const wss = new WebSocketServer({ server, path: '/ws' });
  wss.on('connection', (ws) => void stream(ws));
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok({ server, port: (server.address() as { port: number }).port })));
}

const send = (ws: WebSocket, m: ServerMessage): Promise<void> =>
  new Promise((ok, fail) => ws.send(JSON.stringify(m), (err) => (err ? fail(err) : ok())));

// The backlog is generated (and serialised) once before the browser starts, so
// the load time measures the dashboard, not this generator.
const startedAt = Date.now();
const SPAN_MS = 10 * 60_000;
let backlogFrames: string[] = [];

function prepareBacklog(): void {
  const times: number[] = [];
  // ts in increasing order over the last ten minutes, busier towards the end
  for (let i = 0; i < N; i++) times.push(startedAt - SPAN_MS + Math.pow(rand(), 0.9) * SPAN_MS);
  times.sort((a, b) => a - b);
  backlogFrames = [];
  for (let i = 0; i < N; i += BATCH) {
    const m: ServerMessage = { v: 1, kind: 'records', records: times.slice(i, i + BATCH).map(makeRecord), backlog: true };
    backlogFrames.push(JSON.stringify(m));
  }
}

const sendRaw = (ws: WebSocket, text: string): Promise<void> =>
  new Promise((ok, fail) => ws.send(text, (err) => (err ? fail(err) : ok())));

async function stream(ws: WebSocket): Promise<void> {
  await send(ws, { v: 1, kind: 'hello', agentVersion: 'bench', backend: 'tracepoint', backlog: N, startedAt: new Date(startedAt - SPAN_MS).toISOString() });
  for (const frame of backlogFrames) await sendRaw(ws, frame);
  await send(ws, { v: 1, kind: 'stats', connections: N, lostKernel: 0, lostAgent: 0, clients: 1 });
  // then a live trickle, as a busy host would produce
  const live = setInterval(() => {
    if (ws.readyState !== ws.OPEN) return clearInterval(live);
    const records = Array.from({ length: 20 }, () => {
      const r = makeRecord(Date.now() - rand() * 200);
      // a record is emitted when its outcome is known: shift ts back by its latency
      return { ...r, ts: new Date(Date.parse(r.ts) - (r.latencyMs ?? 0)).toISOString() };
    });
    void send(ws, { v: 1, kind: 'records', records, backlog: false }).catch(() => clearInterval(live));
  }, 100);
  ws.on('close', () => clearInterval(live));
}

// --- measure ---------------------------------------------------------------------------

function stats(xs: number[]): { p50: number; p95: number; max: number; n: number } {
  const s = xs.slice().sort((a, b) => a - b);
  const q = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN;
  const r = (v: number): number => Math.round(v * 100) / 100;
  return { p50: r(q(0.5)), p95: r(q(0.95)), max: r(s[s.length - 1] ?? NaN), n: s.length };
}

async function interact(page: Page, box: { x: number; y: number; width: number; height: number }): Promise<void> {
  const cx = box.x + box.width * 0.6;
  const cy = box.y + box.height * 0.5;
  const end = Date.now() + INTERACT_MS;
  let phase = 0;
  while (Date.now() < end) {
    if (phase % 2 === 0) {
      // drag-pan left and right, with a little vertical lane scroll
      await page.mouse.move(cx, cy);
      await page.mouse.down();
      for (let i = 1; i <= 30; i++) await page.mouse.move(cx - i * 12, cy + Math.sin(i / 5) * 40);
      for (let i = 30; i >= 0; i--) await page.mouse.move(cx - i * 12, cy);
      await page.mouse.up();
    } else {
      // wheel zoom in, then out
      await page.mouse.move(cx, cy);
      for (let i = 0; i < 12; i++) await page.mouse.wheel(0, -120);
      for (let i = 0; i < 12; i++) await page.mouse.wheel(0, 120);
    }
    phase++;
  }
}

async function main(): Promise<void> {
  await buildUi();
  prepareBacklog();
  const { server, port } = await serve();
  if (args.includes('--serve-only')) {
    console.log(`serving http://127.0.0.1:${port}/ (Ctrl-C to stop)`);
    return;
  }
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const t0 = Date.now();
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction((n) => ((window as unknown as { __srctrace?: { loaded?: number } }).__srctrace?.loaded ?? 0) >= n, N, { polling: 20, timeout: 120_000 });
    const loadMs = Date.now() - t0;
    const shown = await page.getByTestId('counter-in-view').getAttribute('data-value');
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('HeapProfiler.collectGarbage');
    const heapMb = Math.round((await cdp.send('Runtime.getHeapUsage')).usedSize / 1e6);

    // worst case for drawing: every connection in the window
    await page.getByTestId('zoom-fit').click();
    await page.waitForTimeout(300);
    const canvas = await page.getByTestId('timeline-canvas').boundingBox();
    if (!canvas) throw new Error('timeline canvas not found');

    // a string, so the bundler's helpers (tsx adds __name) do not leak into the page
    await page.evaluate(`(() => {
      window.__srctrace.drawTimes = [];
      window.__frames = [];
      let last = performance.now();
      const tick = (t) => {
        window.__frames.push(t - last);
        last = t;
        if (window.__frames.length < 100000) requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    })()`);
    await interact(page, canvas);
    const { frames, draws } = await page.evaluate(() => {
      const w = window as unknown as { __srctrace: { drawTimes?: number[] }; __frames: number[] };
      const out = { frames: w.__frames.slice(1), draws: w.__srctrace.drawTimes ?? [] };
      w.__frames.length = 100_000;
      return out;
    });

    // a realistic resting view for the screenshot: fit, then select a failure
    await page.getByTestId('zoom-fit').click();
    await page.getByTestId('sort-outcome').click();
    await page.getByTestId('table-row').first().click();
    await page.waitForTimeout(300);
    mkdirSync(join(root, 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: join(root, 'test-artifacts', 'ui-100k.png') });

    const frame = stats(frames);
    const draw = stats(draws);
    console.log(`records              ${N} (counter shows ${shown})`);
    console.log(`load to counter      ${loadMs} ms`);
    console.log(`JS heap after load   ${heapMb} MB`);
    console.log(`frame interval (rAF) p50 ${frame.p50} ms  p95 ${frame.p95} ms  max ${frame.max} ms  (${frame.n} frames)`);
    console.log(`timeline paint       p50 ${draw.p50} ms  p95 ${draw.p95} ms  max ${draw.max} ms  (${draw.n} paints)`);
    if (errors.length) console.log(`page errors: ${errors.join('; ')}`);
    // At 60 Hz a frame interval is 16.7 ms, so the interval p95 can only reach the
    // target as "within one vsync" (no dropped frames); the paint p95 is the work itself.
    const pass = frame.p95 <= 17.5 && draw.p95 < 16;
    console.log(`target               p95 frame within one 60 Hz vsync, p95 paint < 16 ms: ${pass ? 'met' : 'NOT met'}`);
    console.log(JSON.stringify({ bench: 'ui-frames', records: N, loadMs, heapMb, frame, paint: draw, pass, pageErrors: errors.length }));
  } finally {
    await browser.close();
    server.closeAllConnections();
    server.close();
  }
}

await main();
