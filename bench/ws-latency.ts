// Kernel event to browser latency of `srctrace ui` at a paced connection rate:
// a small C client connects to its own listener on 127.0.0.1 at RATE connects/s
// and notes the wall-clock time just before each connect() next to the local
// port it got; headless Chromium shows the dashboard, with window.WebSocket
// wrapped so each message is stamped with Date.now() on arrival. Latency is
// arrival minus connect() per port (same machine, same clock). Traffic stays on
// loopback. Run: node --import tsx bench/ws-latency.ts [--rate 1000] [--seconds 10]
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { execa } from 'execa';
import type { Browser, Page } from 'playwright-core';
import type { SrcRecord } from '../agent/model/record.js';
import { ensureUiBuilt, launchChromium, startDashboard, type RunningDashboard } from '../test/helpers/browser.js';

const args = process.argv.slice(2);
const flag = (name: string, dflt: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const RATE = flag('--rate', 1000);
const SECONDS = flag('--seconds', 10);
// Ephemeral ports stay in TIME_WAIT for 60 s; beyond ~28k connects the ports (the keys here) run out.
if (!(RATE > 0 && SECONDS > 0 && RATE * SECONDS <= 25_000)) throw new Error('--rate and --seconds must be positive, with rate * seconds <= 25000');

// One thread accepts and closes; the main thread connects on a fixed schedule
// (absolute deadlines, so a slow connect does not shift the ones after it).
// Prints {"pid","port"}, waits for a line on stdin, then one line per connect.
const CLIENT_C = String.raw`
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int lfd;
static void *acceptor(void *arg) {
  (void)arg;
  for (;;) { int c = accept(lfd, NULL, NULL); if (c >= 0) close(c); }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 3) return 2;
  long rate = atol(argv[1]);
  long n = (long)(rate * atof(argv[2]));
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  socklen_t al = sizeof a;
  lfd = socket(AF_INET, SOCK_STREAM, 0);
  if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof a) || listen(lfd, 4096) || getsockname(lfd, (struct sockaddr *)&a, &al)) { perror("listen"); return 1; }
  pthread_t t;
  pthread_create(&t, NULL, acceptor, NULL);
  printf("{\"pid\":%d,\"port\":%d}\n", getpid(), ntohs(a.sin_port));
  fflush(stdout);
  char go[8];
  if (!fgets(go, sizeof go, stdin)) return 1;
  double *when = calloc(n, sizeof *when);
  int *sport = calloc(n, sizeof *sport), *err = calloc(n, sizeof *err);
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (long i = 0; i < n; i++) {
    long long ns = (long long)start.tv_nsec + i * 1000000000LL / rate;
    struct timespec due = { start.tv_sec + ns / 1000000000LL, ns % 1000000000LL };
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &due, NULL);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct timespec w;
    clock_gettime(CLOCK_REALTIME, &w);
    err[i] = connect(fd, (struct sockaddr *)&a, sizeof a) == 0 ? 0 : errno;
    struct sockaddr_in me; socklen_t ml = sizeof me;
    sport[i] = getsockname(fd, (struct sockaddr *)&me, &ml) == 0 ? ntohs(me.sin_port) : 0;
    when[i] = w.tv_sec * 1e3 + w.tv_nsec / 1e6;
    close(fd);
  }
  for (long i = 0; i < n; i++) printf("{\"sport\":%d,\"t\":%.3f,\"errno\":%d}\n", sport[i], when[i], err[i]);
  return 0;
}
`;

// Stamps every message before the app's own handler sees it; keeps only frames
// that mention the client's pid (set once it is known). A string, so no
// bundler helper leaks into the page.
const HOOK = `(() => {
  const Native = window.WebSocket;
  const frames = [];
  window.__bench = { pid: 0, frames, messages: 0 };
  window.WebSocket = class extends Native {
    constructor(url, protocols) {
      super(url, protocols);
      this.addEventListener('message', (ev) => {
        const t = Date.now();
        window.__bench.messages++;
        const pid = window.__bench.pid;
        if (pid && typeof ev.data === 'string' && ev.data.includes('"pid":' + pid + ',')) frames.push(t, ev.data);
      });
    }
  };
})()`;

interface Conn { sport: number; t: number; errno: number }

function stats(xs: number[]): { min: number; p50: number; p99: number; max: number } {
  const s = xs.slice().sort((a, b) => a - b);
  const q = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN;
  const r = (v: number): number => Math.round(v * 10) / 10;
  return { min: r(s[0] ?? NaN), p50: r(q(0.5)), p99: r(q(0.99)), max: r(s[s.length - 1] ?? NaN) };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'srctrace-ws-latency-'));
  let dash: RunningDashboard | undefined;
  let browser: Browser | undefined;
  let client: ReturnType<typeof execa> | undefined;
  let pid = 0;
  try {
    await execa('gcc', ['-O2', '-Wall', '-pthread', '-x', 'c', '-o', join(dir, 'client'), '-'], { input: CLIENT_C });
    await ensureUiBuilt();
    const load = loadavg()[0]!;
    // The agent's own stdout for the client: tells agent-side loss from dashboard-side loss.
    // Other processes' connections and reported loss say whether the machine was quiet.
    let agentRecords = 0;
    let foreignRecords = 0;
    let lostReported = 0;
    const onRecord = (r: SrcRecord): void => {
      if (r.type === 'connection') {
        if (r.pid === pid) agentRecords++;
        else if (pid !== 0) foreignRecords++;
      } else if (r.type === 'lost') lostReported += r.count;
    };
    dash = await startDashboard({ keepLines: false, onRecord });
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.addInitScript(HOOK);
    await page.goto(dash.url);
    await page.waitForFunction(() => document.body.dataset.status === 'live', undefined, { timeout: 60_000 });

    client = execa(join(dir, 'client'), [String(RATE), String(SECONDS)], { stdin: 'pipe', buffer: false, reject: false });
    const lines = createInterface({ input: client.stdout! });
    const conns: Conn[] = [];
    let go: () => void = () => {};
    const ready = new Promise<void>((resolve) => (go = resolve));
    lines.on('line', (l) => {
      const v = JSON.parse(l) as Conn & { pid?: number };
      if (v.pid !== undefined) {
        pid = v.pid;
        go();
      } else conns.push(v);
    });
    await ready;
    await page.evaluate((p) => { (window as unknown as { __bench: { pid: number } }).__bench.pid = p; }, pid);
    console.log(`client pid ${pid}: ${RATE} connects/s for ${SECONDS} s to 127.0.0.1 (load average ${load.toFixed(2)})`);
    client.stdin!.write('go\n');
    await client;
    const established = conns.filter((c) => c.errno === 0);

    // Wait until every connection has reached the page and the agent's stdout, or nothing new has for 5 s.
    const deadline = Date.now() + 60_000;
    let got = await arrivals(page, pid);
    let since = Date.now();
    let seen = agentRecords;
    while ((got.length < established.length || agentRecords < established.length) && Date.now() - since < 5000 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      const now = await arrivals(page, pid);
      if (now.length !== got.length || agentRecords !== seen) since = Date.now();
      got = now;
      seen = agentRecords;
    }
    const latencies = match(established, got);
    const s = stats(latencies);
    const offered = conns.length ? (conns.length / ((conns.at(-1)!.t - conns[0]!.t) / 1000)) : 0;
    console.log(`connects ${conns.length} (${established.length} established, ${Math.round(offered)}/s achieved)`);
    console.log(`records  ${agentRecords} on the agent's stdout, ${latencies.length} in the page (${established.length - latencies.length} missing), ${lostReported} reported lost; ${foreignRecords} other connections meanwhile`);
    console.log(`latency  connect() -> page: min ${s.min} ms  p50 ${s.p50} ms  p99 ${s.p99} ms  max ${s.max} ms`);
    console.log(JSON.stringify({
      bench: 'ws-latency', rate: RATE, seconds: SECONDS, loadAvg1: Math.round(load * 100) / 100, connects: conns.length, established: established.length,
      agentRecords, received: latencies.length, missing: established.length - latencies.length, lostReported, foreignRecords,
      minMs: s.min, p50Ms: s.p50, p99Ms: s.p99, maxMs: s.max,
    }));
  } finally {
    if (client && client.exitCode === null) client.kill('SIGKILL');
    await browser?.close().catch(() => undefined);
    await dash?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Arrival { sport: number; ts: number; at: number }

/** The client's connection records as the page received them: port, record ts, arrival time. */
function arrivals(page: Page, pid: number): Promise<Arrival[]> {
  return page.evaluate((p) => {
    const frames = (window as unknown as { __bench: { frames: (number | string)[] } }).__bench.frames;
    const out: { sport: number; ts: number; at: number }[] = [];
    for (let i = 0; i < frames.length; i += 2) {
      const m = JSON.parse(frames[i + 1] as string) as { kind: string; records?: { type: string; pid: number; sport: number | null; ts: string }[] };
      if (m.kind !== 'records') continue;
      for (const r of m.records ?? []) {
        if (r.type === 'connection' && r.pid === p && r.sport !== null) out.push({ sport: r.sport, ts: Date.parse(r.ts), at: frames[i] as number });
      }
    }
    return out;
  }, pid);
}

// The kernel hands out a local port again once its previous connection is fully
// closed (here within seconds), so the port alone is not a key: each connect
// takes the unused record of its port whose own timestamp is nearest (within 1 s).
function match(conns: Conn[], got: Arrival[]): number[] {
  const byPort = new Map<number, Arrival[]>();
  for (const a of got) {
    const list = byPort.get(a.sport);
    if (list) list.push(a);
    else byPort.set(a.sport, [a]);
  }
  const latencies: number[] = [];
  for (const c of conns) {
    const list = byPort.get(c.sport) ?? [];
    let best = -1;
    for (let i = 0; i < list.length; i++) {
      if (Math.abs(list[i]!.ts - c.t) < 1000 && (best < 0 || Math.abs(list[i]!.ts - c.t) < Math.abs(list[best]!.ts - c.t))) best = i;
    }
    if (best >= 0) latencies.push(list.splice(best, 1)[0]!.at - c.t);
  }
  return latencies;
}

await main();
