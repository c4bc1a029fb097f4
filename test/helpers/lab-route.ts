// Which lab route a destination takes from the host namespace: the device and
// next hop a record's `dev` and `gateway` must name.
import { BlockList } from 'node:net';
import { expect } from 'vitest';
import type { LabTopology } from '../../agent/lab/index.js';

/** The lab's host route that covers daddr: its device and next hop (what `dev` and `gateway` must say). */
export function labRoute(t: LabTopology, daddr: string): { dev: string; gateway: string } {
  const family = daddr.includes(':') ? 6 : 4;
  const route = t.routes.find((r) => {
    if (r.ns !== t.namespaces.host || r.family !== family) return false;
    const [net, len] = r.dst.split('/');
    const list = new BlockList();
    list.addSubnet(net!, Number(len), family === 6 ? 'ipv6' : 'ipv4');
    return list.check(daddr, family === 6 ? 'ipv6' : 'ipv4');
  });
  expect(route, `the lab has a host route for ${daddr}`).toBeDefined();
  return { dev: route!.dev, gateway: route!.via };
}

