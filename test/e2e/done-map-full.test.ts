// Finished connects wait in the kernel map @done until the drain helper takes
// them. If the helper falls behind by more than the map holds, the kernel
// cannot store more, and those connects are lost: that loss must be counted
// and reported (the probes count what they stored; the agent compares), never
// silent. Forced here with a 64-entry map and the helper stopped (SIGSTOP)
// while this process makes 200 loopback connects. The map size is given under
// its new name (BPFTRACE_MAX_MAP_KEYS; pend-map-full.test.ts uses the old one):
// the agent must pass it on under both, or bpftrace 0.27 keeps 4,096 keys.
import { once } from 'node:events';
import { createConnection, createServer, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { ConnectionRecord, LostRecord } from '../../agent/model/record.js';
import { isRoot, NOT_ROOT_REASON } from '../helpers/lab.js';
import { childNamed } from '../helpers/proc.js';
import { LEGACY_BPFTRACE, startSrctrace } from '../helpers/srctrace.js';

const N = 200;
const MAP = 64;

async function connects(n: number): Promise<void> {
  const server = createServer((s) => s.destroy());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  for (let i = 0; i < n; i++) {
    const c = createConnection({ host: '127.0.0.1', port });
    await once(c, 'connect');
    c.destroy();
  }
  server.close();
}

const SKIP = !isRoot ? NOT_ROOT_REASON : LEGACY_BPFTRACE ? "bpftrace 0.14's program has no @done and no drain helper" : null;

describe.skipIf(SKIP !== null)(`drain helper behind by more than @done holds${SKIP ? ` (skipped: ${SKIP})` : ''}`, () => {
  it(`${N} connects while the helper is stopped and @done holds ${MAP}: the overflow is reported as kernel loss`, async () => {
    const trace = await startSrctrace(['--format', 'ndjson'], { BPFTRACE_MAX_MAP_KEYS: String(MAP) });
    const helper = childNamed(trace.proc.pid!, 'srctrace-drain');
    expect(helper).not.toBeNull();
    process.kill(helper!, 'SIGSTOP');
    try {
      await connects(N);
    } finally {
      process.kill(helper!, 'SIGCONT');
    }
    // The line audit judges each count two snapshots (about two seconds) later.
    await trace.waitFor((r) => r.type === 'lost' && r.where === 'kernel', 15_000);
    const { records, stderr } = await trace.stop();

    const ours = records.filter((r): r is ConnectionRecord => r.type === 'connection' && r.pid === process.pid && r.outcome === 'established');
    const lost = records.filter((r): r is LostRecord => r.type === 'lost' && r.where === 'kernel').reduce((n, r) => n + r.count, 0);
    // What the map held came through; every connect of ours that did not is counted as lost
    // (other traffic on the host, traced too, can only add to both).
    expect(ours.length).toBeGreaterThan(0);
    expect(ours.length).toBeLessThan(N);
    expect(lost).toBeGreaterThanOrEqual(N - ours.length);
    expect(stderr).toMatch(new RegExp(`lost ${lost} in kernel`));
    expect(stderr).toMatch(/\(LOSS\)/);
  }, 90_000);
});
