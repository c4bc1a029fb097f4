// Attempts still connecting at exit, by the kernel's socket table: the parser
// on the kernel's /proc/net/tcp{,6} format, the counting per tuple, and (as
// root) real SYN_SENT sockets in a lab namespace read through the real files.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StartEvent } from '../../agent/decode/events.js';
import { readNamedNetns, readSynSent, scanNetns, synSentReader, synSentSnapshot, synSentTuples, tupleKey, unseenEnds, type SynSentReader, type SynSentSnapshot } from '../../agent/enrich/syn-sent.js';
import { isRoot, NOT_ROOT_REASON } from '../helpers/lab.js';
import { startPending, withBlackholedLab } from '../helpers/pending.js';

// As tcp4_seq_show / tcp6_seq_show print them: addresses as 32-bit words in
// host order (little-endian here), ports in hex, state 02 = SYN_SENT, 01 =
// ESTABLISHED, 0A = LISTEN. 192.0.2.1 -> 198.18.1.80:8080 twice (SYN_SENT),
// once established; 2001:db8:53::1 -> 2001:db8:1::1:8080 (SYN_SENT); a
// dual-stack socket's ::ffff:192.0.2.1 -> ::ffff:198.18.1.80:8080 (SYN_SENT).
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 576 1 00000000e6d5f0f4 100 0 0 10 0
   1: 010200C0:9C40 500112C6:1F90 02 00000001:00000000 01:00000067 00000000     0        0 71011 1 00000000b1c2d3e4 1000 0 0 1 -1
   2: 010200C0:9C42 500112C6:1F90 02 00000001:00000000 01:00000067 00000000     0        0 71012 1 00000000b1c2d3e5 1000 0 0 1 -1
   3: 010200C0:9C44 500112C6:1F90 01 00000000:00000000 00:00000000 00000000     0        0 71013 1 00000000b1c2d3e6 20 4 30 10 -1
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: B80D0120000053000000000001000000:D2F0 B80D0120000001000000000001000000:1F90 02 00000001:00000000 01:00000067 00000000     0        0 72001 1 00000000c1c2d3e4 1000 0 0 1 -1
   1: 0000000000000000FFFF0000010200C0:9C50 0000000000000000FFFF0000500112C6:1F90 02 00000001:00000000 01:00000067 00000000     0        0 72002 1 00000000c1c2d3e5 1000 0 0 1 -1
`;

let nextSk = 1;
function start(over: Partial<StartEvent>): StartEvent {
  return {
    kind: 'start', ts: 1e9, sk: (nextSk++).toString(16), pid: 100, tid: 100, ppid: 1, uid: 0, commBytes: new Uint8Array([0x63]), startNs: 1,
    netns: 4026532001, family: 4, saddr: '192.0.2.1', daddr: '198.18.1.80', sport: 0, dport: 8080, bound: false, portBound: false, devBound: false, mark: 0, tos: 0, ...over,
  };
}

describe('SYN_SENT sockets from /proc/net/tcp{,6}', () => {
  it('counts SYN_SENT sockets per family, source, destination and port; other states and the header are not', () => {
    const t = synSentTuples(TCP6, synSentTuples(TCP, new Map(), true), true);
    expect(Object.fromEntries(t)).toEqual({
      [tupleKey(4, '192.0.2.1', '198.18.1.80', 8080)]: 3, // two IPv4 sockets and the IPv4-mapped one
      [tupleKey(6, '2001:db8:53::1', '2001:db8:1::1', 8080)]: 1,
    });
  });

  it('reads a process\'s tables (IPv4 only on a kernel without tcp6); none through a process of another namespace or one gone', () => {
    const proc = mkdtempSync(join(tmpdir(), 'srctrace-proc-'));
    try {
      mkdirSync(join(proc, '7/ns'), { recursive: true });
      mkdirSync(join(proc, '7/net'));
      symlinkSync('net:[4026532001]', join(proc, '7/ns/net'));
      writeFileSync(join(proc, '7/net/tcp'), TCP);
      const read = synSentReader(proc);
      const v4 = tupleKey(4, '192.0.2.1', '198.18.1.80', 8080);
      expect(read(7, 4026532001)).toEqual(new Map([[v4, 2]]));
      writeFileSync(join(proc, '7/net/tcp6'), TCP6);
      expect(read(7, 4026532001)?.get(v4)).toBe(3);
      expect(read(7, 4026532002)).toBeNull();
      expect(read(9, 4026532001)).toBeNull();
    } finally {
      rmSync(proc, { recursive: true, force: true });
    }
  });

  it('reads each word in host byte order (a big-endian kernel prints it the other way round)', () => {
    const be = TCP.replace(/010200C0/g, 'C0000201').replace(/500112C6/g, 'C6120150');
    expect([...synSentTuples(be, new Map(), false)]).toEqual([[tupleKey(4, '192.0.2.1', '198.18.1.80', 8080), 2]]);
  });
});

describe('attempts that ended without their outcome seen', () => {
  const NS = 4026532001;
  const snap = (entries: [string, number][], atNs = 2e9): SynSentSnapshot => ({ atNs, tables: new Map([[NS, new Map(entries)]]) });
  const key = tupleKey(4, '192.0.2.1', '198.18.1.80', 8080);

  it('none while every attempt still has its SYN_SENT socket', () => {
    const starts = [start({}), start({})];
    expect(unseenEnds(starts, snap([[key, 2]]))).toEqual({ ended: new Set(), count: 0, connecting: new Set(starts) });
  });

  it('all of a tuple when none of its sockets is left; only a count when some are', () => {
    const gone = [start({ daddr: '198.18.1.81' }), start({ daddr: '198.18.1.81' })];
    const some = [start({}), start({}), start({})];
    const r = unseenEnds([...some, ...gone], snap([[key, 1]]));
    expect(r.count).toBe(4); // 2 of the 3 in the first tuple, both of the second
    expect([...r.ended]).toEqual(gone); // which 2 of the 3 is not known
    expect([...r.connecting]).toEqual(some); // so each of them may still be connecting
  });

  it('no claim for attempts begun after the read, or in a namespace without a table', () => {
    const later = start({ daddr: '198.18.1.81', ts: 2e9 });
    const elsewhere = start({ daddr: '198.18.1.81', netns: NS + 1 });
    const before = start({ daddr: '198.18.1.81' });
    const r = unseenEnds([later, elsewhere, before], snap([]));
    expect([...r.ended]).toEqual([before]);
    expect([...r.connecting]).toEqual([]);
  });

  it('reads every namespace a process is in, through the first of its processes that can be read', () => {
    const reads: string[] = [];
    const read: SynSentReader = (pid, netns) => {
      reads.push(`${pid}@${netns}`);
      return pid === 12 || pid === 30 ? new Map([[key, pid]]) : null;
    };
    const scan = () => new Map([[NS, [11, 12, 13]], [NS + 1, [20]], [NS + 2, [30]]]);
    const skipped: number[][] = [];
    // Named namespaces are read from inside only when no process is in them.
    const named = (skip: ReadonlySet<number>) => {
      skipped.push([...skip]);
      return new Map([[NS + 3, new Map([[key, 99]])]]);
    };
    const s = synSentSnapshot(5e9, { read, scan, named });
    expect(reads).toEqual([`11@${NS}`, `12@${NS}`, `20@${NS + 1}`, `30@${NS + 2}`]);
    expect(skipped).toEqual([[NS, NS + 1, NS + 2]]);
    expect(s.atNs).toBe(5e9);
    expect([...s.tables.keys()]).toEqual([NS, NS + 2, NS + 3]); // NS + 1 could not be read
    expect(s.tables.get(NS)!.get(key)).toBe(12);
    expect(s.tables.get(NS + 3)!.get(key)).toBe(99);
  });

  it('with `only`, reads just those namespaces (the watch while tracing asks for its attempts\' alone)', () => {
    const reads: string[] = [];
    const read: SynSentReader = (pid, netns) => {
      reads.push(`${pid}@${netns}`);
      return new Map([[key, pid]]);
    };
    const scan = () => new Map([[NS, [11]], [NS + 1, [20]], [NS + 2, [30]]]);
    const asked: { skip: number[]; only: number[] | null }[] = [];
    const named = (skip: ReadonlySet<number>, only?: ReadonlySet<number>) => {
      asked.push({ skip: [...skip], only: only ? [...only] : null });
      return new Map<number, Map<string, number>>();
    };
    const s = synSentSnapshot(5e9, { read, scan, named, only: new Set([NS + 2, NS + 3]) });
    expect(reads).toEqual([`30@${NS + 2}`]);
    expect([...s.tables.keys()]).toEqual([NS + 2]);
    expect(asked).toEqual([{ skip: [NS, NS + 1, NS + 2], only: [NS + 2, NS + 3] }]);
  });
});

const SILENT = '198.18.1.82'; // inside the lab's with-src route; rtr-a drops it

describe.skipIf(!isRoot)(`real SYN_SENT sockets${isRoot ? '' : ` (skipped: ${NOT_ROOT_REASON})`}`, () => {
  const { lab, hostNetns } = withBlackholedLab(SILENT);

  it('reads a namespace through a thread in it: its pending connects are there, others are not', async () => {
    const t = lab.topology;
    const { client, pending } = await startPending(t.namespaces.host, SILENT, 8080, 4, 5000);
    try {
      const { pid, tid } = pending[0]!;
      const netns = hostNetns();
      expect(readSynSent(pid, netns)?.get(tupleKey(4, t.service.v4, SILENT, 8080))).toBe(4);
      expect(readSynSent(pid, netns + 1)).toBeNull(); // not that process's namespace
      expect(readSynSent(2 ** 22 + 7, netns)).toBeNull(); // no such process

      // 4 still connecting plus 2 more with the same tuple and 1 to another
      // port: 3 ended unseen, and the lone one is known to be among them.
      const same = Array.from({ length: 6 }, () => start({ pid, tid, netns, saddr: t.service.v4, daddr: SILENT, dport: 8080 }));
      const other = start({ pid, tid, netns, saddr: t.service.v4, daddr: SILENT, dport: 8081 });
      expect(scanNetns().get(netns)).toContain(pid);
      const r = unseenEnds([...same, other], synSentSnapshot(Number(process.hrtime.bigint())));
      expect(r.count).toBe(3);
      expect([...r.ended]).toEqual([other]);

      // The named namespace read from inside: the same 4, and not when a process is in it.
      expect(readNamedNetns(new Set()).get(netns)?.get(tupleKey(4, t.service.v4, SILENT, 8080))).toBe(4);
      expect(readNamedNetns(new Set([netns])).has(netns)).toBe(false);
    } finally {
      client.kill('SIGKILL');
      await client.catch(() => undefined);
    }
  }, 60_000);

  it('reads a named namespace no process is in from inside it: its client gone, its attempts had ended', async () => {
    const t = lab.topology;
    const { client, pending } = await startPending(t.namespaces.host, SILENT, 8080, 3, 5000);
    const { pid, tid } = pending[0]!;
    client.kill('SIGKILL'); // its sockets close with it: no SYN_SENT left
    await client.catch(() => undefined);
    const netns = hostNetns();
    expect(scanNetns().has(netns)).toBe(false); // nothing runs in the lab's host namespace now
    const attempts = Array.from({ length: 3 }, () => start({ pid, tid, netns, saddr: t.service.v4, daddr: SILENT, dport: 8080 }));
    const snap = synSentSnapshot(Number(process.hrtime.bigint()));
    expect(snap.tables.get(netns)?.size).toBe(0);
    expect(unseenEnds(attempts, snap).count).toBe(3);
    // Without the named namespace's table, no claim was possible.
    expect(unseenEnds(attempts, synSentSnapshot(snap.atNs, { named: () => new Map() })).count).toBe(0);
  }, 60_000);
});
