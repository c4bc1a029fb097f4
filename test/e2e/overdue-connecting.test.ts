// An attempt whose start the agent holds (an S line once @pend is full; every
// start on the kprobe set and bpftrace 0.14) and whose SYN goes unanswered for
// longer than the outcome deadline (SRCTRACE_OUTCOME_DEADLINE_S, 180 s by
// default; a raised tcp_syn_retries or TCP_SYNCNT keeps a SYN going far
// longer) is still connecting: the kernel's socket table says so, and it must
// not be recorded as lost. Here the deadline is 2 s, the map has room for 16,
// and 32 connects (plus one more each second, which moves kernel time on past
// two of the agent's checks) wait 8 s for an answer; then their process is
// killed, which closes them: each must be recorded once, closed before any
// reply, and nothing counted as lost.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ConnectionRecord } from '../../agent/model/record.js';
import { withTempDir } from '../helpers/temp-dir.js';
import { isRoot, NOT_ROOT_REASON } from '../helpers/lab.js';
import { startPending, withBlackholedLab } from '../helpers/pending.js';
import { LEGACY_BPFTRACE, startSrctrace } from '../helpers/srctrace.js';

const N = 32;
const CLOSED = 'closed before any reply';
const MAP = 16;
const EXTRA = 8;
const SILENT = '198.18.1.83'; // inside the lab's with-src route; rtr-a drops it

describe.skipIf(!isRoot)(`attempts held by the agent past the outcome deadline${isRoot ? '' : ` (skipped: ${NOT_ROOT_REASON})`}`, () => {
  const { lab, hostNetns } = withBlackholedLab(SILENT);
  const dir = withTempDir('srctrace-overdue-');

  it('are not called lost while their sockets are in SYN_SENT, and get their outcome when it comes', async () => {
    const t = lab.topology;
    const raw = join(dir(), 'raw.log');
    const trace = await startSrctrace(['--format', 'ndjson'], { BPFTRACE_MAP_KEYS_MAX: String(MAP), SRCTRACE_OUTCOME_DEADLINE_S: '2', SRCTRACE_RAW_LOG: raw });
    const runs: Awaited<ReturnType<typeof startPending>>[] = [];
    const clients = () => runs.map((r) => r.client);
    try {
      runs.push(await startPending(t.namespaces.host, SILENT, 9, N, 60_000));
      // Kernel time moves on with each new start: the first ones go past the deadline and are checked (every 5 s).
      for (let i = 0; i < EXTRA; i++) {
        await new Promise((r) => setTimeout(r, 1000));
        runs.push(await startPending(t.namespaces.host, SILENT, 9, 1, 60_000));
      }
      const early = trace.records.filter((r) => r.type === 'connection' && r.daddr === SILENT);
      expect(early, 'nothing recorded while every attempt was still in SYN_SENT').toEqual([]);
    } finally {
      // The outcome: each socket closed in SYN_SENT.
      for (const c of clients()) c.kill('SIGKILL');
      await Promise.all(clients().map((c) => c.catch(() => undefined)));
    }
    let count = 0;
    await trace.waitFor((r) => r.type === 'connection' && r.daddr === SILENT && ++count >= N + EXTRA, 15_000).catch(() => undefined);
    const { records, stderr } = await trace.stop();
    const ours = records.filter((r): r is ConnectionRecord => r.type === 'connection' && r.netns === hostNetns() && r.daddr === SILENT);
    const why = JSON.stringify({ others: ours.filter((r) => r.error !== CLOSED).slice(0, 3), lost: records.filter((r) => r.type === 'lost'), srctrace: stderr.trim().split('\n').slice(-3) });
    expect(stderr, why).toMatch(/lost 0 in kernel, 0 in agent/);
    expect(ours, why).toHaveLength(N + EXTRA);
    const pending = runs.flatMap((r) => r.pending);
    const bySport = new Map(ours.map((r) => [r.sport, r]));
    for (const p of pending) {
      expect(bySport.get(p.sport), why).toMatchObject({ pid: p.pid, tid: p.tid, saddr: t.service.v4, outcome: 'error', error: CLOSED });
    }
    // The agent held most of these starts (S lines): the map had room for MAP (none on bpftrace 0.14, whose program prints every start).
    const sLines = (await readFile(raw, 'latin1')).split('\n').filter((l) => l.startsWith('S ') && l.split(' ')[3] === String(pending[0]!.pid));
    expect(sLines.length).toBeGreaterThanOrEqual(LEGACY_BPFTRACE ? N : N - MAP);
  }, 120_000);
});
