// The newcomer's minute (README): `srctrace lab up`, srctrace tracing, and
// `srctrace lab traffic`. Every attempt the lab's client made must be one
// record that agrees with what the client saw (source, port, outcome) and
// says why that source: bind() for the bound kind, the route (and which
// device and next hop, and whether that route has a src) for the others,
// nothing for the unroutable one. The
// client's command line is what the table and the dashboard show, so it must
// be short and say what ran, not carry the client's whole plan.
import { describe, expect, it } from 'vitest';
import { labTraffic } from '../../agent/lab/index.js';
import type { ConnectionRecord } from '../../agent/model/record.js';
import { netnsInode } from '../helpers/connector.js';
import { labRoute } from '../helpers/lab-route.js';
import { isRoot, NOT_ROOT_REASON, withLab } from '../helpers/lab.js';
import { startSrctrace } from '../helpers/srctrace.js';

describe.skipIf(!isRoot)(`srctrace watching \`srctrace lab traffic\`${isRoot ? '' : ` (skipped: ${NOT_ROOT_REASON})`}`, () => {
  const lab = withLab();

  it('records each of the lab client\'s attempts as the client saw it, with why that source', async () => {
    const t = lab.topology;
    const hostNetns = await netnsInode(t.namespaces.host);
    const trace = await startSrctrace(['--format', 'ndjson']);
    const { attempts } = await labTraffic({ prefix: lab.prefix, count: 1 });
    expect(attempts.every((a) => a.asExpected), JSON.stringify(attempts.filter((a) => !a.asExpected))).toBe(true);
    const pid = attempts[0]!.pid;
    let n = 0;
    await trace.waitFor((r) => r.type === 'connection' && r.pid === pid && ++n >= attempts.length, 15_000).catch(() => undefined);
    const { records, stderr } = await trace.stop();
    const ours = records.filter((r): r is ConnectionRecord => r.type === 'connection' && r.pid === pid);
    expect(stderr).toMatch(/lost 0 in kernel, 0 in agent/);
    expect(ours).toHaveLength(attempts.length);
    for (const a of attempts) {
      const rec = ours.find((r) => r.daddr === a.daddr && r.dport === a.dport && r.sport === a.sport && r.outcome === a.outcome);
      expect(rec, `a record for ${JSON.stringify(a)}`).toBeDefined();
      // The route's src: with-src and closed-port take the route with src, without-src the one without.
      const routeSrc = a.kind === 'with-src' || a.kind === 'closed-port' ? true : a.kind === 'without-src' ? false : null;
      const why = a.kind === 'unroutable' ? { sourceReason: null, dev: null, gateway: null, routeSrc: null }
        : { sourceReason: a.kind === 'bound' ? 'bind' : 'route', ...labRoute(t, a.daddr), routeSrc };
      expect(rec).toMatchObject({ netns: hostNetns, netnsName: t.namespaces.host, family: a.family, saddr: a.saddr, errno: a.errno, ...why });
      expect(rec!.cmdline).toMatch(/^\S+ \S+\/lab-client\.mjs \d+$/);
    }
  }, 60_000);
});
