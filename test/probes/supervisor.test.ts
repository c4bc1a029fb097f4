// The supervisor and the pipeline around it, driven by a fake bpftrace that
// replays a real capture (test/fixtures/fake-bpftrace.sh).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ProbeError } from '../../agent/errors.js';
import { quietFlags } from '../../agent/probes/bpftrace-process.js';
import type { SrcRecord } from '../../agent/model/record.js';
import { Tracer } from '../../agent/pipeline/tracer.js';

const FAKE = join(import.meta.dirname, '..', 'fixtures', 'fake-bpftrace.sh');
const CAPTURE = join(import.meta.dirname, '..', 'fixtures', 'captures', 'loopback-hostile-names.txt');

function pidsAlive(pidfile: string): number[] {
  let pids: number[];
  try {
    pids = readFileSync(pidfile, 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
  return pids.filter((p) => {
    try {
      process.kill(p, 0);
      return true;
    } catch {
      return false;
    }
  });
}

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

function tracerWith(env: Record<string, string>, records: SrcRecord[]) {
  Object.assign(process.env, env);
  return new Tracer({
    backend: 'tracepoint', bpftrace: FAKE, filter: { pids: [], comms: [] }, program: 'fake program',
    sinks: [{ write: (r) => records.push(r), close: async () => {} }],
    supervisor: { maxRestarts: 2, baseDelayMs: 50 },
  });
}

describe('Tracer stopping', () => {
  it('waits for the probes\' next counts before it stops bpftrace, unless hurried (a second Ctrl-C)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'srctrace-sup-'));
    writeFileSync(join(dir, 'lines'), '@lines: 0\n'); // one count after READY, then none
    Object.assign(process.env, { FAKE_LINES: join(dir, 'lines'), FAKE_PIDFILE: join(dir, 'pids') });
    const records: SrcRecord[] = [];
    const tracer = new Tracer({
      backend: 'tracepoint', bpftrace: FAKE, filter: { pids: [], comms: [] }, program: 'fake program',
      sinks: [{ write: (r) => records.push(r), close: async () => {} }], stopCountsWaitMs: 60_000,
    });
    await tracer.start();
    await new Promise((r) => setTimeout(r, 300)); // the count is read
    let stopped = false;
    const stopping = tracer.stop('test over').then((s) => ((stopped = true), s));
    await new Promise((r) => setTimeout(r, 500));
    expect(stopped, 'waiting for a count that does not come').toBe(false);
    expect(pidsAlive(join(dir, 'pids')), 'bpftrace still runs while srctrace waits').toHaveLength(1);
    tracer.hurry();
    const summary = await stopping;
    expect(summary).toMatchObject({ lostKernel: 0, error: null });
    expect(records.at(-1)).toMatchObject({ type: 'status', state: 'stopped' });
    expect(pidsAlive(join(dir, 'pids'))).toEqual([]);
  }, 20_000);
});

describe('Supervisor with a replayed capture', () => {
  it('restarts a bpftrace that dies, reports the gap, and keeps the records of both runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'srctrace-sup-'));
    const records: SrcRecord[] = [];
    // The second run sees ten new attempts: the capture one minute later (the same starts
    // again would be repeats, one record each).
    const later = readFileSync(CAPTURE, 'latin1').replace(/^([SOF]) (\d+)(?: (\d+))?/gm, (_l, k: string, ts: string, enter?: string) =>
      [k, BigInt(ts) + 60_000_000_000n, ...(k === 'F' ? [BigInt(enter!) + 60_000_000_000n] : [])].join(' '));
    writeFileSync(join(dir, 'later'), later, 'latin1');
    const tracer = tracerWith({ FAKE_MODE: 'exit-once', FAKE_STATE: join(dir, 'state'), FAKE_CAPTURE: CAPTURE, FAKE_CAPTURE_NEXT: join(dir, 'later'), FAKE_PIDFILE: join(dir, 'pids') }, records);
    await tracer.start();
    const deadline = Date.now() + 10_000;
    while (!records.some((r) => r.type === 'lost' && r.where === 'restart') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 600));
    const summary = await tracer.stop('test over');
    const restarting = records.filter((r) => r.type === 'status' && r.state === 'restarting');
    expect(restarting).toHaveLength(1);
    expect(restarting[0]!.type === 'status' && restarting[0]!.detail).toMatch(/code 1: ERROR: fake bpftrace lost its probes.*restart 1 in 50 ms/);
    const gap = records.find((r) => r.type === 'lost' && r.where === 'restart');
    expect(gap?.type === 'lost' && gap.detail).toMatch(/not tracing from .* to .* while bpftrace restarted/);
    expect(summary.restarts).toBe(1);
    // The capture holds 10 attempts; each run replayed them (the second a minute later).
    const conns = records.filter((r) => r.type === 'connection');
    expect(conns).toHaveLength(20);
    expect(new Set(conns.map((r) => r.ts)).size).toBe(20);
    expect(summary.repeats).toBe(0);
    expect(summary.error).toBeNull();
    expect(pidsAlive(join(dir, 'pids'))).toEqual([]);
  });

  it('a gap starts at the last line bpftrace passed on (what it had not are gone with it), and spans failed relaunches', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'srctrace-sup-'));
    const records: SrcRecord[] = [];
    // Run 1 prints its lines, stays quiet 0.8 s, dies; run 2 cannot start; run 3 stays.
    const tracer = tracerWith({ FAKE_SEQUENCE: 'exit,die-early', FAKE_EXIT_AFTER: '0.8', FAKE_STATE: join(dir, 'state'), FAKE_CAPTURE: CAPTURE, FAKE_PIDFILE: join(dir, 'pids') }, records);
    await tracer.start();
    const deadline = Date.now() + 10_000;
    while (!records.some((r) => r.type === 'lost' && r.where === 'restart') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await tracer.stop('test over');
    const restarting = records.filter((r) => r.type === 'status' && r.state === 'restarting');
    expect(restarting.map((r) => r.type === 'status' && r.detail)).toEqual([
      expect.stringMatching(/lost its probes.*restart 1 in 50 ms/),
      expect.stringMatching(/could not attach.*restart 2 in 100 ms/),
    ]);
    const gaps = records.filter((r) => r.type === 'lost' && r.where === 'restart');
    expect(gaps).toHaveLength(1);
    const [, from, to] = /not tracing from (\S+) to (\S+) /.exec(gaps[0]!.type === 'lost' ? gaps[0]!.detail ?? '' : '')!;
    // (The replayed connections carry the capture's kernel times, so the start is the mark.)
    const started = Date.parse(records.find((r) => r.type === 'status' && r.state === 'started')!.ts);
    const firstRestarting = Date.parse(restarting[0]!.ts);
    // Before the 0.8 s of silence, not when the death was noticed...
    expect(Date.parse(from!)).toBeLessThan(firstRestarting - 500);
    // ...and after this run's lines began.
    expect(Date.parse(from!)).toBeGreaterThanOrEqual(started - 5);
    // Through the failed relaunch to the working one.
    expect(Date.parse(to!)).toBeGreaterThan(Date.parse(restarting[1]!.ts));
  });

  it('gives up after the restart budget and says why', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'srctrace-sup-'));
    const records: SrcRecord[] = [];
    const tracer = tracerWith({ FAKE_MODE: 'exit', FAKE_PIDFILE: join(dir, 'pids') }, records);
    await tracer.start();
    const err = await tracer.failed;
    expect(err).toBeInstanceOf(ProbeError);
    expect(err!.message).toMatch(/bpftrace kept exiting \(2 restarts failed\); exit code 1; bpftrace said: ERROR: fake bpftrace lost its probes/);
    await tracer.stop('failed');
    expect(pidsAlive(join(dir, 'pids'))).toEqual([]);
  });

  it('rejects start() with bpftrace\'s own words when it cannot attach', async () => {
    const records: SrcRecord[] = [];
    const tracer = tracerWith({ FAKE_MODE: 'die-early' }, records);
    await expect(tracer.start()).rejects.toThrow(/bpftrace failed to start; exit code 1; bpftrace said: ERROR: fake bpftrace could not attach/);
  });

  it.each([
    ['ubuntu-22.04-0.14-begin-trigger.txt', /no symbol table \(it was stripped, as Ubuntu 22\.04's 0\.14\.0 package is\), so it cannot run BEGIN and END probes/],
    ['ubuntu-22.04-0.14-btf.txt', /this bpftrace cannot read the kernel's BTF/],
    ['ubuntu-26.04-0.25-no-proc-modules.txt', /cannot start on a kernel built without module support/],
  ])('says what to do when a bpftrace release fails for a known reason of its own (%s, as it printed here)', async (file, hint) => {
    const tracer = tracerWith({ FAKE_MODE: 'die-early', FAKE_STDERR: join(import.meta.dirname, '..', 'fixtures', 'bpftrace-stderr', file) }, []);
    const err = await tracer.start().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(ProbeError);
    // bpftrace's own last words stay in the message; the hint comes after them.
    expect((err as Error).message).toMatch(/^bpftrace failed to start; exit code 1; bpftrace said: .*ERROR: /);
    expect((err as Error).message).toMatch(hint);
  });

  it('counts and reports malformed lines instead of crashing', async () => {
    const records: SrcRecord[] = [];
    const tracer = tracerWith({}, records);
    await tracer.start();
    tracer.onLine('S 1 2 3');
    tracer.onLine('garbage \u0000 line');
    const summary = await tracer.stop('done');
    expect(summary.malformedLines).toBe(2);
    expect(summary.lostAgent).toBe(2);
    const lost = records.filter((r) => r.type === 'lost' && r.where === 'agent');
    expect(lost.reduce((n, r) => n + (r.type === 'lost' ? r.count : 0), 0)).toBe(2);
  });
});

describe('bpftrace flags by version', () => {
  it('asks 0.17 and later for no warnings (0.20+ print run-time map warnings into the output), older ones for nothing', () => {
    expect(quietFlags('0.14.1')).toEqual([]);
    expect(quietFlags('0.16.0')).toEqual([]);
    expect(quietFlags('0.17.0')).toEqual(['--no-warnings']);
    expect(quietFlags('0.23.2')).toEqual(['--no-warnings']);
    expect(quietFlags('1.0.0')).toEqual(['--no-warnings']);
  });
});
