// BGP unnumbered (RFC 5549): the uplink has no IPv4 address, IPv4 routes go
// via the router's IPv6 link-local address, and the service address sits on
// lo. A record must name that next hop (not call the route on-link) and say
// whether the route had a src: one route here has `src`, one has none (the
// kernel then takes lo's address, as the uplink has none). Two namespaces of
// the test's own, removed afterwards, also on failure.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionRecord } from '../../agent/model/record.js';
import { buildConnector, netnsInode, runConnector } from '../helpers/connector.js';
import { hostAndRouter, isRoot, NOT_ROOT_REASON } from '../helpers/lab.js';
import { startSrctrace } from '../helpers/srctrace.js';

const SERVICE = '192.0.2.77'; // on the host's lo
const WITH_SRC = '203.0.113.77'; // routed via fe80::2 with src SERVICE
const WITHOUT_SRC = '203.0.113.78'; // routed via fe80::2, no src
const ROUTER_LL = 'fe80::2';

describe.skipIf(!isRoot)(`IPv4 over an IPv6 next hop (BGP unnumbered)${isRoot ? '' : ` (skipped: ${NOT_ROOT_REASON})`}`, () => {
  const { p, host, rtr, ip, veth, create, remove } = hostAndRouter();
  const up = `${p}-up`;
  let hostNetns = 0;

  beforeAll(async () => {
    await buildConnector();
    await create();
    await veth(up, `${p}-dn`);
    for (const [ns, dev, ll] of [[host, up, 'fe80::1'], [rtr, `${p}-dn`, ROUTER_LL]] as const) {
      await ip(ns, 'link', 'set', 'lo', 'up');
      await ip(ns, 'link', 'set', dev, 'up');
      await ip(ns, 'addr', 'add', `${ll}/64`, 'dev', dev, 'nodad');
    }
    await ip(host, 'addr', 'add', `${SERVICE}/32`, 'dev', 'lo');
    await ip(rtr, 'addr', 'add', `${WITH_SRC}/32`, 'dev', 'lo');
    await ip(rtr, 'addr', 'add', `${WITHOUT_SRC}/32`, 'dev', 'lo');
    await ip(host, 'route', 'add', `${WITH_SRC}/32`, 'via', 'inet6', ROUTER_LL, 'dev', up, 'src', SERVICE);
    await ip(host, 'route', 'add', `${WITHOUT_SRC}/32`, 'via', 'inet6', ROUTER_LL, 'dev', up);
    await ip(rtr, 'route', 'add', `${SERVICE}/32`, 'via', 'inet6', 'fe80::1', 'dev', `${p}-dn`);
    hostNetns = await netnsInode(host);
  });
  afterAll(remove);

  it('records the IPv6 next hop, the source from lo, and whether the route had src', async () => {
    const trace = await startSrctrace(['--format', 'ndjson']);
    // Nothing listens on port 9 at the router: each connect is refused, after a full route and a source.
    const lines = [...await runConnector(host, ['-d', WITH_SRC, '-p', '9']), ...await runConnector(host, ['-d', WITHOUT_SRC, '-p', '9'])];
    // (After the RST, getsockname() no longer tells the source: the record must.)
    expect(lines.map((l) => [l.daddr, l.errno])).toEqual([[WITH_SRC, 111], [WITHOUT_SRC, 111]]);
    let n = 0;
    await trace.waitFor((r) => r.type === 'connection' && r.netns === hostNetns && ++n >= 2, 15_000).catch(() => undefined);
    const { records, stderr } = await trace.stop();
    const ours = records.filter((r): r is ConnectionRecord => r.type === 'connection' && r.netns === hostNetns);
    expect(stderr).toMatch(/lost 0 in kernel, 0 in agent/);
    expect(ours).toHaveLength(2);
    for (const [l, routeSrc] of [[lines[0]!, true], [lines[1]!, false]] as const) {
      expect(ours.find((r) => r.daddr === l.daddr)).toMatchObject({
        pid: l.pid, tid: l.tid, family: 4, saddr: SERVICE, sport: l.sport, dport: 9, outcome: 'refused', errno: 111,
        sourceReason: 'route', dev: up, gateway: ROUTER_LL, routeSrc,
      });
    }
  }, 60_000);
});
