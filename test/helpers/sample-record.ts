// One connection record with hostile strings (terminal escapes, quotes,
// tabs, a spreadsheet formula), for the sink tests.
import type { ConnectionRecord } from '../../agent/model/record.js';

export const hostileRecord: ConnectionRecord = {
  type: 'connection', ts: '2026-11-26T05:20:17.035Z', pid: 42, tid: 43, ppid: 1, uid: 0,
  comm: '\x1b[2J\nrm -rf\t"x"', commHex: '1b5b324a0a726d202d7266092278 22', cmdline: '=HYPERLINK("http://evil")', netns: 4026531833, netnsName: 'lab\thost',
  proto: 'tcp', family: 6, saddr: '2001:db8:53::1', sport: 40000, daddr: '2001:db8:1::1', dport: 8080,
  outcome: 'refused', errno: 111, error: 'ECONNREFUSED', latencyMs: 0.2, sourceReason: 'route', dev: 'up"a', gateway: '2001:db8:a::1', routeSrc: true, mark: 0x1234, stateRaw: 7,
};
