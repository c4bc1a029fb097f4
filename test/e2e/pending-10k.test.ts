// Ten thousand connects pending at once (SYNs silently dropped, then answered
// with RST) must each keep their attribution: bpftrace's 4096-key map default
// is no limit here: the kernel join map holds 65,536 (and overflows into S/O
// lines joined by the agent, see pend-map-full.test.ts).
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import type { ConnectionRecord } from '../../agent/model/record.js';
import { pendingThenRefused, withBlackholedLab } from '../helpers/pending.js';
import { isRoot, NOT_ROOT_REASON } from '../helpers/lab.js';
import { startSrctrace } from '../helpers/srctrace.js';

const N = 10_000;
const SILENT = '198.18.1.77'; // inside the lab's with-src route; rtr-a drops it, then owns it

describe.skipIf(!isRoot)(`10k pending connects${isRoot ? '' : ` (skipped: ${NOT_ROOT_REASON})`}`, () => {
  const { lab, hostNetns } = withBlackholedLab(SILENT);
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'srctrace-10k-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('attributes all of them to the right thread and final port', async () => {
    const t = lab.topology;
    const raw = join(dir, 'raw.log');
    const trace = await startSrctrace(['--format', 'ndjson'], { SRCTRACE_RAW_LOG: raw });
    const lines = await pendingThenRefused(t, SILENT, N);
    const pending = lines.filter((l) => l.phase === 'pending');
    const final = lines.filter((l) => l.phase === 'final');
    expect(pending).toHaveLength(N);
    expect(final.filter((l) => l.errno === 111)).toHaveLength(N);

    let count = 0;
    // All outcomes normally arrive within seconds; a missing one is what the assertions below judge.
    await trace.waitFor((r) => r.type === 'connection' && r.netns === hostNetns() && ++count >= N, 30_000).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 500));
    const { records, stderr } = await trace.stop();
    // On failure: what the kernel side handed over (joined C entries, S/O/P
    // lines, starts still in @pend at exit), srctrace's own account (its
    // stopped status counts outcomes without a start), loss records and
    // summary; the raw log is kept. (It failed twice in a row in one CI run,
    // bpftrace 0.21 raw set: 512 and 595 attempts without an outcome.)
    const rawLines = (await readFile(raw, 'latin1')).split('\n');
    const tags = rawLines.reduce<Record<string, number>>((m, l) => {
      const tag = l.startsWith('@pend[') ? '@pend' : l.split(' ')[0]!;
      return /^([CSOPF]|@pend)$/.test(tag) ? { ...m, [tag]: (m[tag] ?? 0) + 1 } : m;
    }, {});
    const why = JSON.stringify({
      raw: tags,
      stopped: records.filter((r) => r.type === 'status' && r.state === 'stopped'),
      lost: records.filter((r) => r.type === 'lost'),
      srctrace: stderr.trim().split('\n').slice(-6),
    });
    onTestFailed(() => copyFile(raw, 'test-artifacts/pending-10k-raw.log').catch(() => undefined));
    expect(stderr, why).toMatch(/lost 0 in kernel, 0 in agent/);
    const ours = records.filter((r): r is ConnectionRecord => r.type === 'connection' && r.netns === hostNetns() && r.daddr === SILENT);
    // Every connect is attributed: one record per client socket, right thread and source.
    expect(ours, why).toHaveLength(N);
    const byTid = new Map<number, ConnectionRecord[]>();
    for (const r of ours) byTid.set(r.tid, [...(byTid.get(r.tid) ?? []), r]);
    const refused = new Map(ours.filter((r) => r.outcome === 'refused').map((r) => [r.sport, r]));
    let withoutOutcome = 0;
    for (const p of pending) {
      const r = refused.get(p.sport);
      if (r) {
        expect({ pid: r.pid, tid: r.tid, saddr: r.saddr, errno: r.errno }).toEqual({ pid: p.pid, tid: p.tid, saddr: t.service.v4, errno: 111 });
      } else {
        withoutOutcome++;
      }
    }
    expect(ours.every((r) => r.pid === pending[0]!.pid && r.saddr === t.service.v4)).toBe(true);
    // An outcome the kernel side never delivered is never silent: it is a
    // record that says so, counted in the stop summary. (Seen, rarely, under
    // heavy CPU load on these VMs; see the README's known issues.)
    const noOutcome = ours.filter((r) => r.outcome === 'error' && r.error === 'no outcome seen before tracing stopped');
    expect(noOutcome, why).toHaveLength(withoutOutcome);
    if (withoutOutcome > 0) expect(stderr).toMatch(new RegExp(`${withoutOutcome} still awaiting an outcome`));
    else expect(stderr).toMatch(/lost 0 in kernel, 0 in agent/);
    expect(withoutOutcome, why).toBeLessThan(N * 0.05);
  }, 180_000);
});
