// The drain helper (agent/native/srctrace-drain.c) against a real bpftrace and
// a real BPF map: a tiny program stores known connects in @done the way the
// tracepoint program does, and the helper must hand each one over exactly
// once, in both of its modes (batch syscalls, and key by key for kernels
// before 5.6), including entries still in the map when bpftrace has exited,
// and must drain often enough that a steady stream of them never fills it.
import { readFileSync } from 'node:fs';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeLine } from '../../agent/decode/decode-line.js';
import { decodeFrame, FRAME_BYTES, frameToLine } from '../../agent/decode/joined-frame.js';
import { BpftraceProcess } from '../../agent/probes/bpftrace-process.js';
import { drainHelperPath } from '../../agent/probes/map-drain.js';
import { bpftracePath, ensureTracefs } from '../../agent/probes/preflight.js';

const isRoot = process.getuid?.() === 0;
const HELPER = drainHelperPath();
// The system's bpftrace, or another release (scripts/bpftrace-compat.sh runs this file with each).
const BPFTRACE = bpftracePath();

/** 16 address bytes -> the two little-endian u64 words the tracepoint program stores. */
function words(bytes: number[]): [bigint, bigint] {
  const b = Buffer.from(bytes);
  return [b.readBigUInt64LE(0), b.readBigUInt64LE(8)];
}
const v6 = (last: number) => [0x20, 0x01, 0x0d, 0xb8, ...Array<number>(11).fill(0), last];
const name = (s: string) => words([...Buffer.from(s, 'latin1'), ...Array<number>(16 - s.length).fill(0)]);

/** One @done entry: key (sk, ts), value in the tracepoint program's order. */
function entry(i: number): { sk: bigint; ts: bigint; value: bigint[] } {
  const ts = 1_000_000n + BigInt(i) * 1000n;
  return {
    sk: 0xffff888100000040n + BigInt(i) * 0x940n,
    ts,
    value: [
      4242n + BigInt(i), 4243n, 1n, 1000n, 4026531840n, 10n, ...words(v6(5)), ...words(v6(1)), 443n, (0xc0ffee01n << 32n) | (0xb8n << 16n) | 0x10cn, 123456789n,
      ...name('cu"rl\\x'), ts + 5000n, 7n, 43512n + BigInt(i), 111n, ...name('eth0'), ...words(v6(0xfe)),
    ],
  };
}

const program = (n: number) => `BEGIN {
${Array.from({ length: n }, (_, i) => {
  const e = entry(i);
  return `  @done[(uint64)${e.sk}, (uint64)${e.ts}] = (${e.value.map((v) => `(uint64)${v}`).join(', ')});`;
}).join('\n')}
  printf("READY %llu\\n", nsecs);
}`;

/** Runs bpftrace with the program and the helper beside it; returns every frame handed over. */
async function drainedFrames(n: number, args: string[]): Promise<Buffer[]> {
  const frames: Buffer[] = [];
  const proc = new BpftraceProcess({
    bpftrace: BPFTRACE, program: program(n), onLine: () => {},
    drain: { helper: HELPER, args, onFrames: (buf, count) => {
      for (let i = 0; i < count; i++) frames.push(Buffer.from(buf.subarray(i * FRAME_BYTES, (i + 1) * FRAME_BYTES)));
    } },
  });
  await proc.ready;
  const exit = await proc.stop();
  expect(exit.stderr).not.toMatch(/srctrace-drain/);
  return frames;
}

/**
 * Stores `total` entries in @done, `perMs` each millisecond, with the helper
 * beside bpftrace; returns how many frames it handed over (each entry at
 * most once, so fewer means the map refused some).
 */
async function streamedFrames(stream: { total: number; perMs: number; env?: Record<string, string> }, args: string[]): Promise<number> {
  if (stream.total % stream.perMs !== 0) throw new Error('total must be a multiple of perMs (whole firings)');
  const value = entry(0).value.map((v) => `(uint64)${v}`).join(', ');
  const store = `@done[(uint64)@i + 1, nsecs] = (${value}); @i = @i + 1;`;
  let filled: () => void = () => {};
  const allStored = new Promise<void>((r) => (filled = r));
  let frames = 0;
  const proc = new BpftraceProcess({
    bpftrace: BPFTRACE,
    ...(stream.env ? { env: stream.env } : {}),
    program: `BEGIN { @i = (uint64)0; @said = 0; printf("READY %llu\\n", nsecs); }
interval:ms:1 {
  if (@i < ${stream.total}) { ${stream.perMs > 1 ? `unroll(${stream.perMs}) { ${store} }` : store} }
  else if (@said == 0) { printf("FILLED\\n"); @said = 1; }
}`,
    onLine: (line) => {
      if (line === 'FILLED') filled();
    },
    drain: { helper: HELPER, args, onFrames: (_buf, count) => (frames += count) },
  });
  await proc.ready;
  await allStored;
  const exit = await proc.stop();
  expect(exit.stderr).not.toMatch(/srctrace-drain/);
  return frames;
}

describe.skipIf(!isRoot)('srctrace-drain with a real BPF map', () => {
  beforeAll(() => ensureTracefs());

  it.each([
    ['batch syscalls', ['--interval-ms', '20']],
    ['key by key (kernels before 5.6)', ['--interval-ms', '20', '--no-batch']],
    // No periodic drain before bpftrace exits: only the last one, with the map held past bpftrace's exit.
    ['only after bpftrace has exited', ['--interval-ms', '10000']],
  ])('hands over every entry once, decoded as stored (%s)', async (_how, args) => {
    const N = 40; // each entry is a statement bpftrace must compile: more takes seconds
    const frames = await drainedFrames(N, args);
    expect(frames).toHaveLength(N);
    const events = frames.map((f) => decodeFrame(f));
    const byPid = new Map(events.map((e) => [e.kind === 'joined' ? e.start.pid : -1, e]));
    expect(byPid.size).toBe(N);
    for (let i = 0; i < N; i++) {
      const e = entry(i);
      expect(byPid.get(4242 + i)).toEqual({
        kind: 'joined',
        start: {
          kind: 'start', ts: Number(e.ts), sk: e.sk.toString(16), pid: 4242 + i, tid: 4243, ppid: 1, uid: 1000,
          startNs: 123456789, commBytes: new Uint8Array(Buffer.from('cu"rl\\x', 'latin1')), netns: 4026531840,
          family: 6, saddr: '2001:db8::5', daddr: '2001:db8::1', sport: 0, dport: 443, bound: true, portBound: true, devBound: true, mark: 0xc0ffee01, tos: 0xb8,
        },
        outcome: {
          kind: 'outcome', ts: Number(e.ts) + 5000, sk: e.sk.toString(16), newState: 7, sport: 43512 + i, skErr: 111,
          route: { devBytes: new Uint8Array(Buffer.from('eth0')), gateway: '2001:db8::fe' },
        },
      });
    }
    // Frames come in outcome-time order within a drain.
    const ots = events.map((e) => (e.kind === 'joined' ? e.outcome.ts : 0));
    expect(ots).toEqual([...ots].sort((a, b) => a - b));
    // The raw log's text form of a frame decodes to the same event.
    expect(decodeLine(frameToLine(frames[7]!))).toEqual(events[7]);
  }, 120_000);

  // At a rate that would fill a quarter of the map well before --interval-ms,
  // the helper must drain sooner: with a fixed 5 s interval this 1024-entry
  // map would take 1024 of the 4000 entries and refuse the rest. (With 256
  // entries, a quarter-full wait left 192 ms for the helper and this test's
  // reader to be late by: a loaded CI machine once was, 71 entries refused.
  // 1024 leaves 768 ms.)
  it('drains sooner than its interval when entries come fast enough to fill the map', async () => {
    const stream = { total: 4000, perMs: 1, env: { BPFTRACE_MAP_KEYS_MAX: '1024', BPFTRACE_MAX_MAP_KEYS: '1024' } };
    expect(await streamedFrames(stream, ['--interval-ms', '5000'])).toBe(4000);
  }, 120_000);

  // Kernels before 5.6 drain key by key, at most 4096 keys a drain: a drain
  // that stopped there has not seen the whole rate, so the next must come at
  // once. 50 entries a millisecond for 3 s outrun 4096 keys a 250 ms wait.
  it('drains key by key again at once when a drain left keys behind', async () => {
    expect(await streamedFrames({ total: 150_000, perMs: 50 }, ['--interval-ms', '5000', '--no-batch'])).toBe(150_000);
  }, 120_000);

  it('refuses a map whose layout differs from the program it was built for', async () => {
    const proc = new BpftraceProcess({
      bpftrace: BPFTRACE, program: 'BEGIN { @done[(uint64)1, (uint64)2] = ((uint64)3, (uint64)4); printf("READY %llu\\n", nsecs); }', onLine: () => {},
      drain: { helper: HELPER, onFrames: () => {} },
    });
    await expect(proc.ready).rejects.toThrow(/key 16 \/ value 16 bytes, expected 16 \/ 184: bpf\/srctrace-tracepoint.bt and this helper disagree/);
    const exit = await proc.exited;
    expect(exit.stderr).toMatch(/srctrace-drain exited before it held the map \(exit code 2\)/);
  }, 60_000);

  it('says so when the bpftrace process is gone, and dies with its parent', async () => {
    const gone = await execa(HELPER, ['--pid', '999999999'], { reject: false, stdin: 'ignore' });
    expect(gone.exitCode).toBe(2);
    expect(gone.stderr).toMatch(/srctrace-drain: process 999999999 is gone/);

    // A parent that is SIGKILLed (as srctrace could be) takes the helper with it.
    const bt = new BpftraceProcess({ bpftrace: BPFTRACE, program: program(1), onLine: () => {} });
    await bt.ready;
    const parent = execa('bash', ['-c', `"${HELPER}" --pid ${bt.pid} --parent-pid $$ < <(sleep 600 2>/dev/null) >/dev/null 2>&1 & echo $!; wait`], { reject: false });
    const helperPid = await new Promise<number>((resolve) => parent.stdout!.once('data', (c: Buffer) => resolve(Number(c.toString().trim()))));
    // Dead, or a zombie nobody reaps (its parent is gone; PID 1 here may not reap).
    const alive = (pid: number) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
        return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
      } catch {
        return false;
      }
    };
    expect(alive(helperPid)).toBe(true);
    parent.kill('SIGKILL');
    await parent;
    const deadline = Date.now() + 5000;
    while (alive(helperPid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(alive(helperPid)).toBe(false);
    await execa('pkill', ['-f', '^sleep 600$'], { reject: false });
    await bt.stop();
  }, 60_000);
});
