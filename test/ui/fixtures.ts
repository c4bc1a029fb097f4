// Connection records shaped like the agent's NDJSON output, for UI tests.
import type { ConnectionRecord } from '../../agent/model/record.js';
import { toConn, type Conn } from '../../ui/src/model/conn.js';

export function record(over: Partial<ConnectionRecord> & Record<string, unknown> = {}): ConnectionRecord {
  return {
    type: 'connection',
    ts: '2025-03-01T12:00:00.000Z',
    pid: 4242,
    tid: 4242,
    ppid: 1,
    uid: 1000,
    comm: 'curl',
    commHex: '6375726c',
    cmdline: 'curl -s https://example.org/',
    netns: 4026531840,
    netnsName: null,
    proto: 'tcp',
    family: 4,
    saddr: '10.0.0.5',
    sport: 43512,
    daddr: '93.184.216.34',
    dport: 443,
    outcome: 'established',
    errno: null,
    error: null,
    latencyMs: 12.5,
    sourceReason: 'route',
    dev: 'eth0',
    gateway: '10.0.0.1',
    routeSrc: null,
    mark: 0,
    stateRaw: 1,
    ...over,
  } as ConnectionRecord;
}

/** ts offset in ms from the fixture epoch. */
export function at(ms: number): string {
  return new Date(Date.parse('2025-03-01T12:00:00.000Z') + ms).toISOString();
}

let nextId = 1;
export function conn(over: Partial<ConnectionRecord> & Record<string, unknown> = {}, id = nextId++): Conn {
  return toConn(record(over), id);
}

export const refused = { outcome: 'refused', errno: 111, error: 'ECONNREFUSED', stateRaw: 7 } as const;
