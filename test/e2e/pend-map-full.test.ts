// The kernel keeps each connect's start in @pend until its outcome (one C line
// per connect). When that map is full, starts must fall back to S lines and
// outcomes to O lines, joined by the agent, and still lose nothing. A tiny map
// (BPFTRACE_MAP_KEYS_MAX=64) and 300 connects pending at once force it.
import { copyFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, onTestFailed } from 'vitest';
import type { ConnectionRecord } from '../../agent/model/record.js';
import { pendingThenRefused, withBlackholedLab } from '../helpers/pending.js';
import { labRoute } from '../helpers/lab-route.js';
import { withTempDir } from '../helpers/temp-dir.js';
import { isRoot, NOT_ROOT_REASON } from '../helpers/lab.js';
import { LEGACY_BPFTRACE, startSrctrace } from '../helpers/srctrace.js';

const N = 300;
const MAP = 64;
const SILENT = '198.18.1.78'; // inside the lab's with-src route; rtr-a drops it, then owns it

describe.skipIf(!isRoot)(`kernel join map full${isRoot ? '' : ` (skipped: ${NOT_ROOT_REASON})`}`, () => {
  const { lab, hostNetns } = withBlackholedLab(SILENT);
  const dir = withTempDir('srctrace-mapfull-');

  it(`${N} pending connects with room for ${MAP}: the overflow goes through S/O lines, every connect attributed`, async () => {
    const t = lab.topology;
    const raw = join(dir(), 'raw.log');
    const trace = await startSrctrace(['--format', 'ndjson'], { BPFTRACE_MAP_KEYS_MAX: String(MAP), SRCTRACE_RAW_LOG: raw });
    const lines = await pendingThenRefused(t, SILENT, N);
    const pending = lines.filter((l) => l.phase === 'pending');
    expect(pending).toHaveLength(N);

    let count = 0;
    await trace.waitFor((r) => r.type === 'connection' && r.netns === hostNetns() && ++count >= N, 30_000).catch(() => undefined);
    const { records, stderr } = await trace.stop();

    // Both paths were taken: joined C lines while the map had room, S + O after.
    const rawLines = (await readFile(raw, 'latin1')).split('\n');
    const ourLines = (tag: string) => rawLines.filter((l) => l.startsWith(`${tag} `) && l.split(' ')[3] === String(pending[0]!.pid)).length;
    const seen = { C: ourLines('C'), S: ourLines('S'), O: rawLines.filter((l) => l.startsWith('O ')).length, pendAtExit: rawLines.filter((l) => l.startsWith('@pend[')).length };
    // On failure: what the client saw at the end (errno 111 refused, -1 still pending), what
    // srctrace recorded, its loss records (skipped probe runs among them) and summary; the raw log is kept.
    const tally = (xs: (string | number | null)[]) => xs.reduce<Record<string, number>>((m, x) => ({ ...m, [String(x)]: (m[String(x)] ?? 0) + 1 }), {});
    const why = JSON.stringify({
      raw: seen,
      clientFinal: tally(lines.filter((l) => l.phase === 'final').map((l) => l.errno)),
      outcomes: tally(records.filter((r): r is ConnectionRecord => r.type === 'connection' && r.daddr === SILENT).map((r) => r.outcome)),
      lost: records.filter((r) => r.type === 'lost'),
      srctrace: stderr.trim().split('\n').slice(-6),
    });
    onTestFailed(() => copyFile(raw, 'test-artifacts/pend-map-full-raw.log').catch(() => undefined));
    expect(stderr, why).toMatch(/lost 0 in kernel, 0 in agent/);
    if (LEGACY_BPFTRACE) {
      // bpftrace 0.14's program joins nothing in the kernel: every start is an S line.
      expect(seen.C, why).toBe(0);
      expect(seen.S, why).toBe(N);
    } else {
      expect(seen.C, why).toBeGreaterThan(0);
      expect(seen.C, why).toBeLessThanOrEqual(MAP);
      expect(seen.C + seen.S, why).toBe(N);
    }
    expect(seen.pendAtExit, why).toBe(0);

    const ours = records.filter((r): r is ConnectionRecord => r.type === 'connection' && r.netns === hostNetns() && r.daddr === SILENT);
    expect(ours, why).toHaveLength(N);
    const bySport = new Map(ours.map((r) => [r.sport, r]));
    // Any attempt without its record says which records took its place, and what srctrace said about loss.
    const sports = new Set(pending.map((p) => p.sport));
    const missing = pending.filter((p) => !bySport.has(p.sport));
    expect(missing, JSON.stringify({ others: ours.filter((r) => !sports.has(r.sport as number)), why })).toEqual([]);
    for (const p of pending) {
      // The route comes from C lines and O lines alike.
      expect(bySport.get(p.sport)).toMatchObject({ pid: p.pid, tid: p.tid, saddr: t.service.v4, outcome: 'refused', errno: 111, ...labRoute(t, SILENT) });
    }
  }, 120_000);
});
