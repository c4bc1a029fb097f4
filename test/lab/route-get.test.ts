// Privileged: the kernel itself, asked from inside the host namespace, picks
// the sources the lab is meant to demonstrate.
import { describe, expect, it } from 'vitest';
import { destinationFor, routeGet } from '../../agent/lab/index.js';
import { isRoot, NOT_ROOT_REASON, withLab } from '../helpers/lab.js';

describe.skipIf(!isRoot)(`ip route get in the lab host (${isRoot ? 'root' : NOT_ROOT_REASON})`, () => {
  const lab = withLab();
  const topo = lab.topology;
  const host = topo.namespaces.host;

  describe.each([4, 6] as const)('IPv%i', (family) => {
    it('the route with src gives the loopback service address, via rtr-a', async () => {
      const d = destinationFor(topo, 'with-src', family);
      expect(await routeGet(host, d.daddr)).toEqual({
        ok: true, dev: topo.uplinks.a.hostDev, via: family === 4 ? topo.uplinks.a.router.v4 : topo.uplinks.a.router.v6, src: d.expectedSource,
      });
    });

    it('the route without src gives the rtr-b uplink address, not the service address', async () => {
      const d = destinationFor(topo, 'without-src', family);
      expect(await routeGet(host, d.daddr)).toEqual({
        ok: true, dev: topo.uplinks.b.hostDev, via: family === 4 ? topo.uplinks.b.router.v4 : topo.uplinks.b.router.v6, src: d.expectedSource,
      });
      expect(d.expectedSource).not.toBe(destinationFor(topo, 'with-src', family).expectedSource);
    });

    it('the unroutable destination has no route at all', async () => {
      const d = destinationFor(topo, 'unroutable', family);
      expect(await routeGet(host, d.daddr)).toEqual({ ok: false, error: 'RTNETLINK answers: Network is unreachable' });
    });
  });
});
