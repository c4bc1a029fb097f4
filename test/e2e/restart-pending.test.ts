// Connects pending when bpftrace dies: the kernel map that held their starts
// dies with it, so without the agent's copy (the last dump of @pend,
// pend-watch.ts) they would never be recorded at all. Killed here with SIGKILL
// while 12 connects wait on a blackholed address; once the restarted bpftrace
// runs, the address starts refusing, and each connect must be recorded once,
// refused, with the thread, source and port its client saw.
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import type { ConnectionRecord, LostRecord, SrcRecord } from '../../agent/model/record.js';
import { isRoot, NOT_ROOT_REASON } from '../helpers/lab.js';
import { startPending, unblackhole, withBlackholedLab } from '../helpers/pending.js';
import { childNamed } from '../helpers/proc.js';
import { LEGACY_BPFTRACE, startSrctrace } from '../helpers/srctrace.js';

const N = 12;
const SILENT = '198.18.1.83'; // inside the lab's with-src route; rtr-a drops it, then owns it

// bpftrace 0.14's program keeps starts in the agent (S lines), not in the kernel: nothing to carry over.
const skip = !isRoot ? NOT_ROOT_REASON : LEGACY_BPFTRACE ? 'bpftrace 0.14 keeps no starts in the kernel' : process.env.SRCTRACE_TEST_BACKEND === 'kprobe' ? 'the kprobe set keeps no starts in the kernel' : null;

describe.skipIf(skip !== null)(`connects pending across a bpftrace restart${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const { lab, hostNetns } = withBlackholedLab(SILENT);

  it('keep their attribution and get their outcome from the new bpftrace', async () => {
    const t = lab.topology;
    const trace = await startSrctrace(['--format', 'ndjson'], { SRCTRACE_PEND_DUMP_S: '1' });
    const { client, pending } = await startPending(t.namespaces.host, SILENT, 8080, N, 60_000);
    try {
      expect(pending).toHaveLength(N);
      // Two dumps of @pend with the starts in them (the agent's copy), then the kill.
      await new Promise((r) => setTimeout(r, 2500));
      const bpftrace = childNamed(trace.proc.pid!, 'bpftrace');
      expect(bpftrace, 'srctrace runs bpftrace as its child').not.toBeNull();
      process.kill(bpftrace!, 'SIGKILL');
      const gap = await trace.waitFor((r) => r.type === 'lost' && r.where === 'restart', 30_000) as LostRecord;
      expect(gap.detail).toContain(`${N} attempt(s) begun before it, pending then, still wait for their outcome`);
      // Only now do they end: the next SYN retransmit of each is refused.
      await unblackhole(t, SILENT);
      await execa('ip', ['-n', t.namespaces.rtrA, 'addr', 'add', `${SILENT}/32`, 'dev', 'lo']);
      let n = 0;
      const ours = (r: SrcRecord): r is ConnectionRecord => r.type === 'connection' && r.netns === hostNetns() && r.daddr === SILENT;
      await trace.waitFor((r) => ours(r) && ++n >= N, 30_000);
      const { records, stderr, exitCode } = await trace.stop();
      expect(exitCode).toBe(0);
      const got = records.filter(ours);
      expect(got).toHaveLength(N);
      const bySport = new Map(got.map((r) => [r.sport, r]));
      for (const p of pending) {
        expect(bySport.get(p.sport), `the connect from port ${p.sport}`).toMatchObject({
          pid: p.pid, tid: p.tid, saddr: t.service.v4, dport: 8080, outcome: 'refused', errno: 111, sourceReason: 'route',
        });
      }
      expect(stderr).toMatch(/lost 0 in kernel, 0 in agent/);
      expect(stderr).toMatch(/1 bpftrace restart\(s\)/);
    } finally {
      client.kill('SIGKILL');
      await client.catch(() => undefined);
    }
  }, 90_000);
});
