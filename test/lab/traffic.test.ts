// Privileged: real listeners in the router namespaces, a real client in the
// host namespace. Each attempt is compared whole against the topology's
// expectation; only the kernel-chosen port and the client pid are free.
import { constants } from 'node:os';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { DESTINATION_KINDS, labNamespaces, labTraffic, renderTraffic, type LabAttempt, type LabTrafficResult } from '../../agent/lab/index.js';
import { isRoot, NOT_ROOT_REASON, randomLabPrefix, withLab } from '../helpers/lab.js';

const COUNT = 2;

describe.skipIf(!isRoot)(`lab traffic (${isRoot ? 'root' : NOT_ROOT_REASON})`, () => {
  const lab = withLab();
  const topo = lab.topology;
  let result: LabTrafficResult;

  beforeAll(async () => {
    result = await labTraffic({ prefix: lab.prefix, count: COUNT });
  });

  const attemptsOf = (kind: string) => result.attempts.filter((a) => a.kind === kind);

  it('makes COUNT attempts per kind and family, all from one client process', () => {
    expect(result.attempts.map((a) => `${a.kind}/${a.family}`)).toEqual(
      topo.destinations.flatMap((d) => Array.from({ length: COUNT }, () => `${d.kind}/${d.family}`)),
    );
    expect(new Set(result.attempts.map((a) => a.pid)).size).toBe(1);
    expect(result.attempts[0]!.pid).not.toBe(process.pid);
  });

  it.each(['with-src', 'without-src', 'bound'] as const)('%s: established from the expected source, and the listener saw that source', (kind) => {
    const attempts = attemptsOf(kind);
    expect(attempts).toHaveLength(2 * COUNT);
    for (const a of attempts) {
      const d = topo.destinations.find((x) => x.kind === kind && x.family === a.family)!;
      expect(a).toEqual<LabAttempt>({
        kind, family: d.family, daddr: d.daddr, dport: topo.listenPort, bindAddr: d.bindAddr,
        saddr: d.expectedSource, sport: a.sport, outcome: 'established', errno: null, error: null, pid: a.pid,
        seenByListener: { addr: d.expectedSource!, port: a.sport! },
        expectedSource: d.expectedSource, expectedOutcome: 'established', asExpected: true,
      });
      expect(a.sport).toBeGreaterThan(0);
    }
  });

  it('closed-port: refused (ECONNREFUSED) after the route chose the service address', () => {
    for (const a of attemptsOf('closed-port')) {
      const d = topo.destinations.find((x) => x.kind === 'closed-port' && x.family === a.family)!;
      expect(a).toEqual<LabAttempt>({
        kind: 'closed-port', family: d.family, daddr: d.daddr, dport: topo.closedPort, bindAddr: null,
        saddr: d.expectedSource, sport: a.sport, outcome: 'refused', errno: constants.errno.ECONNREFUSED, error: 'ECONNREFUSED', pid: a.pid,
        seenByListener: null, expectedSource: d.expectedSource, expectedOutcome: 'refused', asExpected: true,
      });
      expect(a.sport).toBeGreaterThan(0);
    }
    expect(attemptsOf('closed-port')).toHaveLength(2 * COUNT);
  });

  it('unroutable: ENETUNREACH and no source at all', () => {
    for (const a of attemptsOf('unroutable')) {
      const d = topo.destinations.find((x) => x.kind === 'unroutable' && x.family === a.family)!;
      expect(a).toEqual<LabAttempt>({
        kind: 'unroutable', family: d.family, daddr: d.daddr, dport: topo.listenPort, bindAddr: null,
        saddr: null, sport: null, outcome: 'unreachable', errno: constants.errno.ENETUNREACH, error: 'ENETUNREACH', pid: a.pid,
        seenByListener: null, expectedSource: null, expectedOutcome: 'unreachable', asExpected: true,
      });
    }
    expect(attemptsOf('unroutable')).toHaveLength(2 * COUNT);
  });

  it('leaves no listener or client running in the lab namespaces', async () => {
    for (const ns of labNamespaces(topo)) {
      expect((await execa('ip', ['netns', 'pids', ns])).stdout.trim(), ns).toBe('');
    }
  });

  it('summary has one line per attempt and marks a wrong source UNEXPECTED', () => {
    const text = renderTraffic(result);
    expect(text.split('\n')).toHaveLength(result.attempts.length + 3);
    expect(text).toContain(`${result.attempts.length}/${result.attempts.length} attempts as expected`);
    expect(text).not.toContain('UNEXPECTED');
    const broken = { ...result, attempts: result.attempts.map((a, i) => (i === 0 ? { ...a, saddr: '198.51.100.2', asExpected: false } : a)) };
    expect(renderTraffic(broken)).toContain('UNEXPECTED');
    for (const kind of DESTINATION_KINDS) expect(text).toContain(kind);
  });

  it('refuses to run against a lab that is not up, saying how to bring it up', async () => {
    const prefix = randomLabPrefix();
    await expect(labTraffic({ prefix })).rejects.toMatchObject({ name: 'LabError', code: 'not-up', message: expect.stringContaining(`srctrace lab up --prefix ${prefix}`) });
  });
});
