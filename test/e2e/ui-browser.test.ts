// The dashboard in real Chromium against the real `srctrace ui` and real
// bpftrace: lab clients connect, and what each client saw itself must show up
// live in the table and on the timeline, through the filters (and the URL), in
// the details panel and in the NDJSON/CSV exports. Also the security basics end
// to end: no token, no page; the URL token becomes an HttpOnly cookie, and the
// WebSocket works only because of that cookie.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { destinationFor, type DestinationKind, type LabDestination, type LabFamily } from '../../agent/lab/index.js';
import { CSV_HEADER, toCsvRow } from '../../agent/model/format.js';
import { CONNECTION_FIELDS, type ConnectionRecord } from '../../agent/model/record.js';
import { ensureUiBuilt, launchChromium, startDashboard, type RunningDashboard } from '../helpers/browser.js';
import { buildConnector, runConnector, type ClientLine } from '../helpers/connector.js';
import { isRoot, NOT_ROOT_REASON, withLab } from '../helpers/lab.js';
import { startListener } from '../helpers/listener.js';
import { ROOT } from '../helpers/srctrace.js';
import { labRoute } from '../helpers/lab-route.js';

const SCREENSHOT = join(ROOT, 'test-artifacts', 'ui-e2e.png');
const KINDS: readonly DestinationKind[] = ['with-src', 'without-src', 'closed-port', 'unroutable'];
const CLIENT_ERRNO: Record<string, number> = { established: 0, refused: 111, unreachable: 101 };
const UI_WAIT = { timeout: 60_000, interval: 250 };
// The clients' task name, unique per run: the comm filter keeps every other
// connection on this shared host (benchmarks, other labs) out of the view.
const TAG = `uie2e${randomBytes(4).toString('hex').slice(0, 6)}`;

/** What one table row shows, as text. */
interface RowText {
  pid: string;
  source: string;
  destination: string;
  outcome: string;
}

interface Attempt {
  kind: DestinationKind;
  family: LabFamily;
  dest: LabDestination;
  line: ClientLine;
  row: RowText;
}

describe.skipIf(!isRoot)(`dashboard in Chromium against the real agent${isRoot ? '' : ` (skipped: ${NOT_ROOT_REASON})`}`, () => {
  const lab = withLab();
  const listeners: { stop(): Promise<void> }[] = [];
  let dash: RunningDashboard | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  let page: Page;
  const pageErrors: string[] = [];
  let attempts: Attempt[] = [];

  beforeAll(async () => {
    await Promise.all([ensureUiBuilt(), buildConnector()]);
    const t = lab.topology;
    listeners.push(await startListener(t.namespaces.rtrA, t.listenPort, [t.targets.withSrc.v4, t.targets.withSrc.v6]));
    listeners.push(await startListener(t.namespaces.rtrB, t.listenPort, [t.targets.withoutSrc.v4, t.targets.withoutSrc.v6]));
    dash = await startDashboard();
    browser = await launchChromium();
  }, 360_000);

  afterAll(async () => {
    // Each step on its own, so one failure does not leave the others running.
    await browser?.close().catch(() => undefined);
    let stopped: Awaited<ReturnType<RunningDashboard['stop']>> | undefined;
    try {
      stopped = await dash?.stop();
    } finally {
      await Promise.all(listeners.map((l) => l.stop()));
    }
    // SIGINT is a clean stop.
    if (stopped) expect(stopped.exitCode, stopped.stderr).toBe(0);
  }, 60_000);

  it('answers 401 without the token and trades the URL token for an HttpOnly cookie that the WebSocket relies on', async () => {
    const d = dash!;
    // No token, or a wrong one: no page, in the browser as for any client.
    const anon = await browser!.newContext();
    try {
      const anonPage = await anon.newPage();
      const bare = await anonPage.goto(`${d.origin}/`);
      expect(bare?.status()).toBe(401);
      expect(await anonPage.textContent('body')).toMatch(/missing or wrong token/);
      expect((await anonPage.goto(`${d.origin}/?token=${'A'.repeat(43)}`))?.status()).toBe(401);
      // The WebSocket refuses a page of the right origin that has no cookie.
      expect(await probeWebSocket(anonPage, wsUrl(d))).toBe('closed:1006');
    } finally {
      await anon.close();
    }

    const ctx = await browser!.newContext();
    try {
      const p = await ctx.newPage();
      const sockets: string[] = [];
      p.on('websocket', (ws) => sockets.push(ws.url()));
      const res = await p.goto(d.url);
      // 303 with Set-Cookie, then the page itself: the token is gone from the address bar.
      expect(res?.status()).toBe(200);
      expect(res?.request().redirectedFrom()?.url()).toBe(d.url);
      expect(p.url()).toBe(`${d.origin}/`);
      await expect.poll(() => p.getByTestId('status').getAttribute('data-state'), UI_WAIT).toBe('live');
      // The page's own socket carries no token: the cookie is what authenticated it.
      expect([...new Set(sockets)]).toEqual([wsUrl(d)]);
      const cookies = await ctx.cookies();
      expect(cookies.map(({ name, value, httpOnly, sameSite, path }) => ({ name, value, httpOnly, sameSite, path })))
        .toEqual([{ name: `srctrace_token_${d.port}`, value: d.token, httpOnly: true, sameSite: 'Strict', path: '/' }]);
      expect(await p.evaluate(() => document.cookie)).not.toContain(d.token);
      // Same page, same origin: a socket opens with the cookie and is refused without it.
      expect(await probeWebSocket(p, wsUrl(d))).toBe('message:hello');
      await ctx.clearCookies();
      expect(await probeWebSocket(p, wsUrl(d))).toBe('closed:1006');
      expect((await p.reload())?.status()).toBe(401);
    } finally {
      await ctx.close();
    }
  }, 120_000);

  it('shows lab connections live in the table, with the pid, source and destination each client saw, and on the timeline', async () => {
    const d = dash!;
    const t = lab.topology;
    context = await browser!.newContext({ viewport: { width: 1600, height: 1100 } });
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(m.text()); });
    await page.goto(d.url);
    await expect.poll(() => page.getByTestId('status').getAttribute('data-state'), UI_WAIT).toBe('live');
    expect(await page.evaluate(() => (window as unknown as { __srctrace: { status: string } }).__srctrace.status)).toBe('live');
    await page.getByTestId('filter-comm').fill(TAG);
    await expect.poll(() => query(page), UI_WAIT).toEqual({ comm: TAG });
    expect(await readRows(page)).toEqual([]);

    // The clients run after the page is live: their rows can only arrive over the live stream.
    attempts = [];
    for (const family of [4, 6] as const) {
      for (const kind of KINDS) {
        const dest = destinationFor(t, kind, family);
        const [line] = await runConnector(t.namespaces.host, ['-d', dest.daddr, '-p', String(dest.dport), '-n', '1', '-N', Buffer.from(TAG).toString('hex')]);
        expect(line!.errno, `client errno for ${kind}/IPv${family}`).toBe(CLIENT_ERRNO[dest.expectedOutcome]);
        attempts.push({ kind, family, dest, line: line!, row: expectedRow(dest, line!) });
      }
    }

    await expect.poll(async () => missingRows(await readRows(page), attempts.map((a) => a.row)), UI_WAIT).toEqual([])
      .catch(async (err: Error) => {
        const cli = d.lines.filter((l) => l.includes('"type":"lost"') || attempts.some((a) => l.includes(`"pid":${a.line.pid},`)));
        throw new Error(`${err.message}\nrows shown: ${JSON.stringify(await readRows(page))}\nthe agent's stdout for these pids, and loss:\n${cli.join('\n')}`);
      });
    expect(await page.getByTestId('status').getAttribute('data-state')).toBe('live');

    // The timeline has lanes, and the mark of an established connection is painted
    // in the source colour its table row shows.
    expect(await page.evaluate(() => (window as unknown as { __srctrace: { timeline: { lanes: number } } }).__srctrace.timeline.lanes)).toBeGreaterThan(0);
    for (const a of attempts.filter((x) => x.kind === 'with-src' || x.kind === 'without-src')) {
      const row = await rowFor(page, a.row);
      const swatch = await row.el.locator('.swatch').evaluate((el) => getComputedStyle(el).backgroundColor);
      expect(swatch).toMatch(/^rgb\(/);
      await expect.poll(() => markPixel(page, Number(row.dataId)), UI_WAIT).toBe(swatch);
    }

    // Per route: one lane per egress device and gateway the lab's routes name, and one for connects that got none.
    const laneLabels = () => page.evaluate(() => (window as unknown as { __srctrace: { timeline: { laneLabels: string[] } } }).__srctrace.timeline.laneLabels);
    await page.getByTestId('lanes-route').click();
    const expectedLanes = [...new Set(attempts.map((a) => {
      if (a.dest.expectedOutcome === 'unreachable') return '(no route)';
      const r = labRoute(t, a.dest.daddr);
      return `${r.dev} via ${r.gateway}`;
    }))].sort();
    await expect.poll(async () => [...(await laneLabels())].sort(), UI_WAIT).toEqual(expectedLanes);
    expect(expectedLanes.length).toBeGreaterThanOrEqual(5); // two uplinks x two families, and none
    // Per namespace: every client ran in the lab's host namespace, named by ip netns.
    await page.getByTestId('lanes-netns').click();
    await expect.poll(() => laneLabels(), UI_WAIT).toEqual([t.namespaces.host]);
    await page.getByTestId('lanes-process').click();
  }, 180_000);

  it('filters by destination CIDR and by outcome: exactly the matching rows, and the filter lives in the URL', async () => {
    const dst = page.getByTestId('filter-dst');
    const outcome = page.getByTestId('filter-outcome');
    const shows = async (want: Attempt[]): Promise<void> => {
      const expected = sortRows(want.map((a) => a.row));
      await expect.poll(async () => sortRows(await readRows(page)), UI_WAIT).toEqual(expected);
      expect(Number(await page.getByTestId('table').getAttribute('data-rows'))).toBe(want.length);
    };

    await dst.fill('198.18.1.0/24');
    await shows(attempts.filter((a) => a.family === 4 && (a.kind === 'with-src' || a.kind === 'closed-port')));
    expect(query(page)).toEqual({ comm: TAG, dst: '198.18.1.0/24' });

    await dst.fill('2001:db8:2::/64');
    await shows(attempts.filter((a) => a.family === 6 && a.kind === 'without-src'));
    expect(query(page)).toEqual({ comm: TAG, dst: '2001:db8:2::/64' });

    await dst.fill('');
    await outcome.selectOption('unreachable');
    await shows(attempts.filter((a) => a.kind === 'unroutable'));
    expect(query(page)).toEqual({ comm: TAG, outcome: 'unreachable' });

    await dst.fill('198.18.0.0/16');
    await outcome.selectOption('refused');
    await shows(attempts.filter((a) => a.family === 4 && a.kind === 'closed-port'));
    expect(query(page)).toEqual({ comm: TAG, dst: '198.18.0.0/16', outcome: 'refused' });

    // The URL is the view: a reload (same cookie) restores the inputs and the rows.
    await page.reload();
    await expect.poll(() => page.getByTestId('status').getAttribute('data-state'), UI_WAIT).toBe('live');
    expect(await page.getByTestId('filter-comm').inputValue()).toBe(TAG);
    expect(await dst.inputValue()).toBe('198.18.0.0/16');
    expect(await outcome.inputValue()).toBe('refused');
    await shows(attempts.filter((a) => a.family === 4 && a.kind === 'closed-port'));
    expect(page.url()).not.toContain('token');
  }, 180_000);

  it('shows every field of the selected connection in the details panel', async () => {
    const a = attempts.find((x) => x.family === 4 && x.kind === 'closed-port')!;
    const row = await rowFor(page, a.row);
    await row.el.click();
    await expect.poll(() => page.getByTestId('details').getAttribute('data-id'), UI_WAIT).toBe(row.dataId);
    expect(await row.el.getAttribute('aria-selected')).toBe('true');

    const shown = await page.getByTestId('details').locator('[data-testid^="detail-"]').evaluateAll((els) =>
      Object.fromEntries(els.map((el) => [el.getAttribute('data-testid')!.slice('detail-'.length), el.querySelector('dd')?.textContent ?? ''])));
    // What the client saw, field by field...
    expect({ pid: shown.pid, saddr: shown.saddr, sport: shown.sport, daddr: shown.daddr, dport: shown.dport, outcome: shown.outcome, errno: shown.errno, error: shown.error })
      .toEqual({ pid: String(a.line.pid), saddr: a.dest.expectedSource, sport: String(a.line.sport), daddr: a.dest.daddr, dport: String(a.dest.dport), outcome: 'refused', errno: '111', error: 'ECONNREFUSED' });
    // ...and every field equal to the record the same agent wrote to stdout.
    const rec = await cliRecord(a);
    expect(shown).toEqual(Object.fromEntries([['type', 'connection'], ...CONNECTION_FIELDS.map((f) => [f, show(rec[f])])]));
    // ...and above them, why that source: no bind(), and the route the record names (via rtr-a) has it as its src.
    expect(rec.gateway).not.toBeNull();
    expect(rec.routeSrc).toBe(true);
    expect(await page.getByTestId('why').textContent())
      .toContain(`No bind(): the route to ${a.dest.daddr}, out ${rec.dev} via ${rec.gateway}, has src ${a.dest.expectedSource}, and the kernel used it.`);

    // The selection survives a filter change: a screenshot with all of this run's connections in view.
    await page.getByTestId('filter-dst').fill('');
    await page.getByTestId('filter-outcome').selectOption('');
    await expect.poll(async () => sortRows(await readRows(page)), UI_WAIT).toEqual(sortRows(attempts.map((x) => x.row)));
    expect(await page.getByTestId('details').getAttribute('data-id')).toBe(row.dataId);
    expect(query(page)).toEqual({ comm: TAG });
    mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
  }, 120_000);

  it('exports the filtered view as NDJSON and CSV: the records the agent wrote, byte for byte', async () => {
    await page.getByTestId('filter-dst').fill('198.18.0.0/16');
    const v4 = attempts.filter((a) => a.family === 4);
    await expect.poll(async () => sortRows(await readRows(page)), UI_WAIT).toEqual(sortRows(v4.map((a) => a.row)));
    // The agent's own stdout lines for the same connections, in the same (arrival) order.
    const want = await Promise.all(v4.map(cliLine));
    want.sort((x, y) => dash!.lines.indexOf(x) - dash!.lines.indexOf(y));

    const ndjson = await download(page, 'export-ndjson');
    expect(ndjson.name).toMatch(/^srctrace-\d{4}-\d{2}-\d{2}T\d{6}Z\.ndjson$/);
    expect(ndjson.text).toBe(`${want.join('\n')}\n`);
    const exported = ndjson.text.trim().split('\n').map((l) => JSON.parse(l) as ConnectionRecord);
    expect(exported.map((r) => [r.pid, r.sport, r.daddr, r.dport]).sort()).toEqual(v4.map((a) => [a.line.pid, a.line.errno === 101 ? null : a.line.sport, a.dest.daddr, a.dest.dport]).sort());

    const csv = await download(page, 'export-csv');
    expect(csv.name).toMatch(/^srctrace-\d{4}-\d{2}-\d{2}T\d{6}Z\.csv$/);
    const [header, ...rows] = csv.text.trimEnd().split('\n');
    expect(header).toBe(CSV_HEADER);
    expect(rows).toEqual(want.map((l) => toCsvRow(JSON.parse(l) as ConnectionRecord)));
    const pidCol = CSV_HEADER.split(',').indexOf('pid');
    expect(rows.map((r) => Number(r.split(',')[pidCol])).sort()).toEqual(v4.map((a) => a.line.pid).sort());

    expect(pageErrors).toEqual([]);
  }, 120_000);

  /** The stdout line of the record for a client attempt (same pid, port and destination). */
  async function cliLine(a: Attempt): Promise<string> {
    const sport = a.line.errno === 101 ? null : a.line.sport;
    const hit = await dash!.waitFor((r) => r.type === 'connection' && r.pid === a.line.pid && r.sport === sport && r.daddr === a.dest.daddr, 10_000);
    return hit.line;
  }

  async function cliRecord(a: Attempt): Promise<ConnectionRecord> {
    return JSON.parse(await cliLine(a)) as ConnectionRecord;
  }
});

function wsUrl(d: RunningDashboard): string {
  return `ws://127.0.0.1:${d.port}/ws`;
}

/** Opens a WebSocket from the page: the first message's kind, or how it closed. */
function probeWebSocket(page: Page, url: string): Promise<string> {
  return page.evaluate((u) => new Promise<string>((resolve) => {
    const ws = new WebSocket(u);
    const timer = setTimeout(() => { ws.close(); resolve('timeout'); }, 15_000);
    ws.onmessage = (ev) => {
      clearTimeout(timer);
      resolve(`message:${(JSON.parse(String(ev.data)) as { kind: string }).kind}`);
      ws.close();
    };
    ws.onclose = (ev) => {
      clearTimeout(timer);
      resolve(`closed:${ev.code}`);
    };
  }), url);
}

function endpoint(addr: string | null, port: number | null): string {
  if (addr === null) return '-';
  const a = addr.includes(':') ? `[${addr}]` : addr;
  return port === null ? a : `${a}:${port}`;
}

/** The row a client attempt must produce, from what the client saw and what the lab says. */
function expectedRow(dest: LabDestination, line: ClientLine): RowText {
  const base = { pid: String(line.pid), destination: endpoint(dest.daddr, dest.dport) };
  if (line.errno === 0) return { ...base, source: endpoint(line.saddr, line.sport), outcome: 'established' };
  // After a refused connect getsockname() has no address, only the port; the lab says which source the route gives.
  if (line.errno === 111) return { ...base, source: endpoint(dest.expectedSource, line.sport), outcome: 'refused (ECONNREFUSED)' };
  return { ...base, source: '-', outcome: 'unreachable (ENETUNREACH)' };
}

async function readRows(page: Page): Promise<(RowText & { id: string })[]> {
  return page.getByTestId('table-row').evaluateAll((els) => els.map((el) => ({
    id: el.getAttribute('data-id') ?? '',
    pid: el.querySelector('.td-pid')?.textContent ?? '',
    source: el.querySelector('.td-saddr')?.textContent ?? '',
    destination: el.querySelector('.td-daddr')?.textContent ?? '',
    outcome: el.querySelector('.td-outcome')?.textContent ?? '',
  })));
}

function rowKey(r: RowText): string {
  return `${r.pid} ${r.source} -> ${r.destination} ${r.outcome}`;
}

function missingRows(have: RowText[], want: RowText[]): string[] {
  const keys = new Set(have.map(rowKey));
  return want.map(rowKey).filter((k) => !keys.has(k));
}

function sortRows(rows: RowText[]): string[] {
  return rows.map(rowKey).sort();
}

async function rowFor(page: Page, want: RowText): Promise<{ dataId: string; el: ReturnType<Page['locator']> }> {
  const hit = (await readRows(page)).find((r) => rowKey(r) === rowKey(want));
  expect(hit, `no table row ${rowKey(want)}`).toBeDefined();
  return { dataId: hit!.id, el: page.locator(`[data-testid="table-row"][data-id="${hit!.id}"]`) };
}

/** The colour the timeline canvas shows at the centre of a connection's mark (null when off screen). */
function markPixel(page: Page, id: number): Promise<string | null> {
  return page.evaluate((connId) => {
    const hook = (window as unknown as { __srctrace: { timeline: { markCenter(id: number): { x: number; y: number } | null } } }).__srctrace.timeline;
    const at = hook.markCenter(connId);
    const canvas = document.querySelector<HTMLCanvasElement>('[data-testid="timeline-canvas"]');
    if (!at || !canvas) return null;
    const box = canvas.getBoundingClientRect();
    const dpr = canvas.width / box.width;
    const px = canvas.getContext('2d')!.getImageData(Math.floor((at.x - box.left) * dpr), Math.floor((at.y - box.top) * dpr), 1, 1).data;
    return `rgb(${px[0]}, ${px[1]}, ${px[2]})`;
  }, id);
}

function query(page: Page): Record<string, string> {
  return Object.fromEntries(new URL(page.url()).searchParams);
}

/** How the details panel prints a value. */
function show(v: unknown): string {
  if (v === null) return 'null';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

async function download(page: Page, testId: string): Promise<{ name: string; text: string }> {
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }), page.getByTestId(testId).click()]);
  return { name: dl.suggestedFilename(), text: readFileSync(await dl.path(), 'utf8') };
}
