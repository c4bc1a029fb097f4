// Connects still waiting for an answer when srctrace stops: the kernel keeps
// them in its join map, END prints them, and each must become a record that
// keeps its attribution (thread, source, destination), says it has no outcome,
// and is counted in the stop summary. Nothing may be dropped at exit.
import { describe, expect, it } from 'vitest';
import type { ConnectionRecord } from '../../agent/model/record.js';
import { isRoot, NOT_ROOT_REASON } from '../helpers/lab.js';
import { startPending, withBlackholedLab } from '../helpers/pending.js';
import { startSrctrace } from '../helpers/srctrace.js';

const N = 3;
const SILENT = '198.18.1.80'; // inside the lab's with-src route; rtr-a drops it

describe.skipIf(!isRoot)(`pending at exit${isRoot ? '' : ` (skipped: ${NOT_ROOT_REASON})`}`, () => {
  const { lab, hostNetns } = withBlackholedLab(SILENT);

  it(`${N} connects still in SYN_SENT when srctrace stops are recorded, attributed, and counted`, async () => {
    const t = lab.topology;
    const trace = await startSrctrace(['--format', 'ndjson']);
    const { client, pending } = await startPending(t.namespaces.host, SILENT, 8080, N, 5000);
    try {
      const { exitCode, records, stderr } = await trace.stop();
      expect(exitCode).toBe(0);
      // Still in SYN_SENT in the kernel's table too: pending, not outcomes lost.
      expect(stderr).toMatch(new RegExp(`lost 0 in kernel, 0 in agent; ${N} still awaiting an outcome`));
      const ours = records.filter((r): r is ConnectionRecord => r.type === 'connection' && r.netns === hostNetns() && r.daddr === SILENT);
      expect(ours).toHaveLength(N);
      for (const r of ours) {
        expect(r).toMatchObject({
          pid: pending[0]!.pid, tid: pending[0]!.tid, saddr: t.service.v4, dport: 8080,
          outcome: 'error', errno: null, error: 'no outcome seen before tracing stopped', latencyMs: null, sourceReason: 'route',
        });
      }
    } finally {
      client.kill('SIGKILL');
      await client.catch(() => undefined);
    }
  }, 90_000);
});
