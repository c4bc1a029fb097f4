// Ten thousand connects pending at once (SYNs silently dropped, then answered
// with RST) must each keep their attribution: bpftrace's 4096-key map default
// is no limit here: the kernel join map holds 65,536 (and overflows into S/O
// lines joined by the agent, see pend-map-full.test.ts).
import { copyFile, readFile } from 'node:fs/promises';
import { execa } from 'execa';
import { join } from 'node:path';
import { describe, expect, it, onTestFailed } from 'vitest';
import type { ConnectionRecord } from '../../agent/model/record.js';
import { pendingThenRefused, withBlackholedLab } from '../helpers/pending.js';
import { withTempDir } from '../helpers/temp-dir.js';
import { isRoot, NOT_ROOT_REASON } from '../helpers/lab.js';
import { startSrctrace } from '../helpers/srctrace.js';
import { PEND_LOST_NOTE, UNSEEN_NOTE } from '../../agent/pipeline/tracer.js';

const N = 10_000;
const SILENT = '198.18.1.77'; // inside the lab's with-src route; rtr-a drops it, then owns it

describe.skipIf(!isRoot)(`10k pending connects${isRoot ? '' : ` (skipped: ${NOT_ROOT_REASON})`}`, () => {
  const { lab, hostNetns } = withBlackholedLab(SILENT);
  const dir = withTempDir('srctrace-10k-');

  it('attributes all of them to the right thread and final port', async () => {
    const t = lab.topology;
    const raw = join(dir(), 'raw.log');
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
    // @pend: END's dump only (after its Z marker), not the periodic ones (pend-dump.bt).
    const exitDumpAt = rawLines.findIndex((l) => l.startsWith('Z '));
    const tags = rawLines.reduce<Record<string, number>>((m, l, i) => {
      const tag = l.startsWith('@pend[') ? (exitDumpAt >= 0 && i > exitDumpAt ? '@pend' : 'dumped') : l.split(' ')[0]!;
      return /^([CSOPF]|@pend)$/.test(tag) ? { ...m, [tag]: (m[tag] ?? 0) + 1 } : m;
    }, {});
    // The kernel's own count of connects that failed (tcp_done() in
    // SYN_SENT, which always passes the state-change tracepoint), from the
    // client's namespace: the lab made it for this test, so it starts at 0.
    const snmp = (await execa('nsenter', [`--net=/run/netns/${t.namespaces.host}`, 'cat', '/proc/net/snmp'])).stdout.split('\n').filter((l) => l.startsWith('Tcp:'));
    const attemptFails = Number(snmp[1]!.split(/\s+/)[snmp[0]!.split(/\s+/).indexOf('AttemptFails')]);
    const why = JSON.stringify({
      kernelAttemptFails: attemptFails,
      raw: tags,
      stopped: records.filter((r) => r.type === 'status' && r.state === 'stopped'),
      lost: records.filter((r) => r.type === 'lost'),
      srctrace: stderr.trim().split('\n').slice(-6),
    });
    onTestFailed(() => copyFile(raw, 'test-artifacts/pending-10k-raw.log').catch(() => undefined));
    expect(attemptFails, why).toBe(N);
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
    // An outcome the kernel side never delivered is never silent. Found
    // while tracing (pend-watch.ts: the kernel still held the start after
    // its socket had left SYN_SENT) or at exit (the client has exited, so the
    // exit check reads its named namespace from inside: no socket of those
    // attempts is left in SYN_SENT), each is a record saying its outcome was
    // lost in the kernel, and the summary counts exactly those as kernel
    // loss, none as still awaiting.
    const unseen = ours.filter((r) => r.outcome === 'error' && (r.error === UNSEEN_NOTE || r.error === PEND_LOST_NOTE));
    expect(unseen, why).toHaveLength(withoutOutcome);
    expect(stderr, why).toMatch(new RegExp(`lost ${withoutOutcome} in kernel, 0 in agent`));
    expect(stderr, why).not.toMatch(/still awaiting/);
    // Session 10 saw such loss in about 1 run in 4 on this VM, with every
    // probe set (bpftrace 0.14's tracepoint program, 0.21's raw set): one
    // contiguous run of 111 to 595 of the 10,000 attempts (sockets started
    // within a few ms of each other, refused in one burst) whose state
    // change no probe ran for, with no skipped run counted, while the
    // kernel counted all 10,000 failures. Not srctrace's to prevent (see the
    // README's known issues); a broken probe would lose far more.
    expect(withoutOutcome, why).toBeLessThan(N * 0.1);
  }, 180_000);
});
