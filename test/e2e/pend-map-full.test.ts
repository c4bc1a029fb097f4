// The kernel keeps each connect's start in @pend until its outcome (one C line
// per connect). When that map is full, starts must fall back to S lines and
// outcomes to O lines, joined by the agent, and still lose nothing. A tiny map
// (BPFTRACE_MAP_KEYS_MAX=64) and 300 connects pending at once force it.
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionRecord } from '../../agent/model/record.js';
import { pendingThenRefused, withBlackholedLab } from '../helpers/pending.js';
import { labRoute } from '../helpers/lab-route.js';
import { isRoot, NOT_ROOT_REASON } from '../helpers/lab.js';
import { startSrctrace } from '../helpers/srctrace.js';

const N = 300;
const MAP = 64;
const SILENT = '198.18.1.78'; // inside the lab's with-src route; rtr-a drops it, then owns it

describe.skipIf(!isRoot)(`kernel join map full${isRoot ? '' : ` (skipped: ${NOT_ROOT_REASON})`}`, () => {
  const { lab, hostNetns } = withBlackholedLab(SILENT);
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'srctrace-mapfull-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(`${N} pending connects with room for ${MAP}: the overflow goes through S/O lines, every connect attributed`, async () => {
    const t = lab.topology;
    const raw = join(dir, 'raw.log');
    const trace = await startSrctrace(['--format', 'ndjson'], { BPFTRACE_MAP_KEYS_MAX: String(MAP), SRCTRACE_RAW_LOG: raw });
    const lines = await pendingThenRefused(t, SILENT, N);
    const pending = lines.filter((l) => l.phase === 'pending');
    expect(pending).toHaveLength(N);

    let count = 0;
    await trace.waitFor((r) => r.type === 'connection' && r.netns === hostNetns() && ++count >= N, 30_000).catch(() => undefined);
    const { records, stderr } = await trace.stop();
    expect(stderr).toMatch(/lost 0 in kernel, 0 in agent/);

    // Both paths were taken: joined C lines while the map had room, S + O after.
    const rawLines = (await readFile(raw, 'latin1')).split('\n');
    const ourLines = (tag: string) => rawLines.filter((l) => l.startsWith(`${tag} `) && l.split(' ')[3] === String(pending[0]!.pid)).length;
    const seen = { C: ourLines('C'), S: ourLines('S'), O: rawLines.filter((l) => l.startsWith('O ')).length, pendAtExit: rawLines.filter((l) => l.startsWith('@pend[')).length };
    const why = `raw bpftrace lines: ${JSON.stringify(seen)}; srctrace: ${stderr.trim().split('\n').at(-1)}`;
    expect(seen.C, why).toBeGreaterThan(0);
    expect(seen.C, why).toBeLessThanOrEqual(MAP);
    expect(seen.C + seen.S, why).toBe(N);
    expect(seen.pendAtExit, why).toBe(0);

    const ours = records.filter((r): r is ConnectionRecord => r.type === 'connection' && r.netns === hostNetns() && r.daddr === SILENT);
    expect(ours).toHaveLength(N);
    const bySport = new Map(ours.map((r) => [r.sport, r]));
    // Any attempt without its record says which records took its place, and what srctrace said about loss.
    const sports = new Set(pending.map((p) => p.sport));
    const missing = pending.filter((p) => !bySport.has(p.sport));
    if (missing.length) await copyFile(raw, 'test-artifacts/pend-map-full-raw.log').catch(() => undefined);
    expect(missing, JSON.stringify({ others: ours.filter((r) => !sports.has(r.sport as number)), stderr })).toEqual([]);
    for (const p of pending) {
      // The route comes from C lines and O lines alike.
      expect(bySport.get(p.sport)).toMatchObject({ pid: p.pid, tid: p.tid, saddr: t.service.v4, outcome: 'refused', errno: 111, ...labRoute(t, SILENT) });
    }
  }, 120_000);
});
