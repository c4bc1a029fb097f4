// Policy routing: a socket's route can depend on more than its destination.
// A mark (SO_MARK) selects another table through `ip rule ... fwmark`, and a
// socket bound to a device (SO_BINDTODEVICE, as `curl --interface` or a VRF
// does) takes a route out of that device only; rules can also select by the
// socket's TOS (IP_TOS) and by a source port the application bound. The record must say which
// route's src the kernel used for such sockets too, so the agent's lookup
// has to go by the mark, the device, the TOS and a bound port as the kernel's did. Here each table
// routes the same destination through the same device and next hop, one
// with src and one without: a lookup that ignored the mark would answer
// "no src" for the marked socket, a wrong answer. Two namespaces of the
// test's own, removed afterwards, also on failure.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionRecord } from '../../agent/model/record.js';
import { buildConnector, netnsInode, runConnector, type ClientLine } from '../helpers/connector.js';
import { hostAndRouter, isRoot, NOT_ROOT_REASON } from '../helpers/lab.js';
import { startSrctrace } from '../helpers/srctrace.js';

const SERVICE_A = '192.0.2.77'; // on the host's lo: src of the marked socket's route
const SERVICE_B = '192.0.2.78'; // on the host's lo: src of the route out of uplink b
const HOST_A = '198.51.100.2', ROUTER_A = '198.51.100.1';
const HOST_B = '203.0.113.2', ROUTER_B = '203.0.113.1';
const BY_MARK = '198.18.7.1'; // main table: via a, no src; table 100 (fwmark 0x2a): via a, src SERVICE_A
const BY_DEVICE = '198.18.7.2'; // via a (metric 100), no src; via b (metric 200), src SERVICE_B
const BY_TOS = '198.18.7.3'; // main table: via a, no src; table 101 (tos 0x10): via a, src SERVICE_A
const BY_SPORT = '198.18.7.4'; // main table: via a, no src; table 102 (sport 4000-4099): via a, src SERVICE_A
const MARK = 0x2a;
const TOS = 0x10;
const SPORT = 4042;

describe.skipIf(!isRoot)(`policy routing by mark and by device${isRoot ? '' : ` (skipped: ${NOT_ROOT_REASON})`}`, () => {
  const { p, host, rtr, ip, veth, create, remove } = hostAndRouter();
  const upA = `${p}-ua`;
  const upB = `${p}-ub`;
  let hostNetns = 0;

  beforeAll(async () => {
    await buildConnector();
    await create();
    for (const [up, dn, hostAddr, rtrAddr] of [[upA, `${p}-da`, HOST_A, ROUTER_A], [upB, `${p}-db`, HOST_B, ROUTER_B]] as const) {
      await veth(up, dn);
      await ip(host, 'addr', 'add', `${hostAddr}/24`, 'dev', up);
      await ip(rtr, 'addr', 'add', `${rtrAddr}/24`, 'dev', dn);
      await ip(host, 'link', 'set', up, 'up');
      await ip(rtr, 'link', 'set', dn, 'up');
    }
    for (const ns of [host, rtr]) await ip(ns, 'link', 'set', 'lo', 'up');
    await ip(host, 'addr', 'add', `${SERVICE_A}/32`, 'dev', 'lo');
    await ip(host, 'addr', 'add', `${SERVICE_B}/32`, 'dev', 'lo');
    await ip(rtr, 'addr', 'add', `${BY_MARK}/32`, 'dev', 'lo');
    await ip(rtr, 'addr', 'add', `${BY_DEVICE}/32`, 'dev', 'lo');
    await ip(rtr, 'addr', 'add', `${BY_TOS}/32`, 'dev', 'lo');
    await ip(rtr, 'addr', 'add', `${BY_SPORT}/32`, 'dev', 'lo');
    await ip(host, 'route', 'add', `${BY_MARK}/32`, 'via', ROUTER_A, 'dev', upA);
    await ip(host, 'route', 'add', `${BY_MARK}/32`, 'via', ROUTER_A, 'dev', upA, 'src', SERVICE_A, 'table', '100');
    await ip(host, 'rule', 'add', 'fwmark', String(MARK), 'lookup', '100', 'priority', '100');
    for (const [dst, table] of [[BY_TOS, '101'], [BY_SPORT, '102']] as const) {
      await ip(host, 'route', 'add', `${dst}/32`, 'via', ROUTER_A, 'dev', upA);
      await ip(host, 'route', 'add', `${dst}/32`, 'via', ROUTER_A, 'dev', upA, 'src', SERVICE_A, 'table', table);
    }
    await ip(host, 'rule', 'add', 'tos', `0x${TOS.toString(16)}`, 'lookup', '101', 'priority', '101');
    await ip(host, 'rule', 'add', 'sport', '4000-4099', 'lookup', '102', 'priority', '102');
    await ip(host, 'route', 'add', `${BY_DEVICE}/32`, 'via', ROUTER_A, 'dev', upA, 'metric', '100');
    await ip(host, 'route', 'add', `${BY_DEVICE}/32`, 'via', ROUTER_B, 'dev', upB, 'src', SERVICE_B, 'metric', '200');
    // Replies to each service address come back over the uplink its connect left by
    // (a socket bound to a device only hears that device).
    await ip(rtr, 'route', 'add', `${SERVICE_A}/32`, 'via', HOST_A);
    await ip(rtr, 'route', 'add', `${SERVICE_B}/32`, 'via', HOST_B);
    hostNetns = await netnsInode(host);
  });
  afterAll(remove);

  it('records the socket\'s mark, and whether the route it really took had src (by mark, device, TOS and bound port)', async () => {
    const trace = await startSrctrace(['--format', 'ndjson']);
    // Nothing listens on port 9 at the router: each connect is refused after its route and source were chosen.
    const cases: { args: string[]; saddr: string; dev: string; gateway: string; mark: number; routeSrc: boolean }[] = [
      { args: ['-d', BY_MARK], saddr: HOST_A, dev: upA, gateway: ROUTER_A, mark: 0, routeSrc: false },
      { args: ['-d', BY_MARK, '-m', `0x${MARK.toString(16)}`], saddr: SERVICE_A, dev: upA, gateway: ROUTER_A, mark: MARK, routeSrc: true },
      { args: ['-d', BY_DEVICE], saddr: HOST_A, dev: upA, gateway: ROUTER_A, mark: 0, routeSrc: false },
      { args: ['-d', BY_DEVICE, '-i', upB], saddr: SERVICE_B, dev: upB, gateway: ROUTER_B, mark: 0, routeSrc: true },
      { args: ['-d', BY_TOS], saddr: HOST_A, dev: upA, gateway: ROUTER_A, mark: 0, routeSrc: false },
      { args: ['-d', BY_TOS, '-T', `0x${TOS.toString(16)}`], saddr: SERVICE_A, dev: upA, gateway: ROUTER_A, mark: 0, routeSrc: true },
      { args: ['-d', BY_SPORT], saddr: HOST_A, dev: upA, gateway: ROUTER_A, mark: 0, routeSrc: false },
      { args: ['-d', BY_SPORT, '-B', String(SPORT)], saddr: SERVICE_A, dev: upA, gateway: ROUTER_A, mark: 0, routeSrc: true },
    ];
    const lines: ClientLine[] = [];
    for (const c of cases) lines.push(...await runConnector(host, [...c.args, '-p', '9']));
    expect(lines.map((l) => [l.daddr, l.errno])).toEqual(cases.map((c) => [c.args[1], 111]));
    let n = 0;
    await trace.waitFor((r) => r.type === 'connection' && r.netns === hostNetns && ++n >= cases.length, 15_000).catch(() => undefined);
    const { records, stderr } = await trace.stop();
    const ours = records.filter((r): r is ConnectionRecord => r.type === 'connection' && r.netns === hostNetns);
    expect(stderr).toMatch(/lost 0 in kernel, 0 in agent/);
    expect(ours).toHaveLength(cases.length);
    cases.forEach((c, i) => {
      const l = lines[i]!;
      expect(ours.find((r) => r.pid === l.pid), JSON.stringify(c.args)).toMatchObject({
        pid: l.pid, tid: l.tid, family: 4, saddr: c.saddr, sport: l.sport, daddr: l.daddr, dport: 9, outcome: 'refused', errno: 111,
        sourceReason: 'route', dev: c.dev, gateway: c.gateway, mark: c.mark, routeSrc: c.routeSrc,
      });
    });
  }, 60_000);
});
