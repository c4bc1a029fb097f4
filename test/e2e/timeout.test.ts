// A blocking connect() whose SYNs are never answered ends in ETIMEDOUT: the
// record must say "timeout" with errno 110, keep the connecting thread and the
// chosen source, and carry the route (device, gateway) the socket used. The
// host namespace's tcp_syn_retries is lowered to 1 so this takes about 3 s
// instead of two minutes (the sysctl is per network namespace).
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionRecord } from '../../agent/model/record.js';
import { runConnector } from '../helpers/connector.js';
import { isRoot, NOT_ROOT_REASON } from '../helpers/lab.js';
import { labRoute } from '../helpers/lab-route.js';
import { withBlackholedLab } from '../helpers/pending.js';
import { startSrctrace } from '../helpers/srctrace.js';

const SILENT = '198.18.1.79'; // inside the lab's with-src route; rtr-a drops it

describe.skipIf(!isRoot)(`connect timeout${isRoot ? '' : ` (skipped: ${NOT_ROOT_REASON})`}`, () => {
  const { lab, hostNetns } = withBlackholedLab(SILENT);
  beforeAll(async () => {
    // Through /proc, not sysctl(8): procps is not among the packages set-up installs.
    await execa('ip', ['netns', 'exec', lab.topology.namespaces.host, 'sh', '-c', 'echo 1 > /proc/sys/net/ipv4/tcp_syn_retries']);
  });

  it('records outcome timeout (ETIMEDOUT), the thread, the source and the route', async () => {
    const t = lab.topology;
    const trace = await startSrctrace(['--format', 'ndjson']);
    const lines = await runConnector(t.namespaces.host, ['-d', SILENT, '-p', '8080', '-t', '2']);
    expect(lines.map((l) => l.errno)).toEqual([110, 110]);
    for (const l of lines) await trace.waitFor((r) => r.type === 'connection' && r.tid === l.tid, 30_000);
    const { records, stderr } = await trace.stop();
    expect(stderr).toMatch(/lost 0 in kernel, 0 in agent/);
    const ours = records.filter((r): r is ConnectionRecord => r.type === 'connection' && r.netns === hostNetns() && r.daddr === SILENT);
    // One record per connect() (its ETIMEDOUT return is merged, not a second record).
    expect(ours.map((r) => ({ tid: r.tid, sport: r.sport, outcome: r.outcome, error: r.error, latencyMs: r.latencyMs })), 'records for the two connects').toHaveLength(2);
    for (const l of lines) {
      const r = ours.find((x) => x.tid === l.tid)!;
      expect(r).toMatchObject({
        pid: l.pid, commHex: l.commHex, saddr: t.service.v4, dport: 8080, outcome: 'timeout', errno: 110, error: 'ETIMEDOUT',
        sourceReason: 'route', ...labRoute(t, SILENT),
      });
      expect(r.sport).toBeGreaterThan(0);
      // SYN, one retransmit after 1 s, then give up after 2 s more.
      expect(r.latencyMs).toBeGreaterThan(2500);
      expect(r.latencyMs).toBeLessThan(10_000);
    }
  }, 90_000);
});
