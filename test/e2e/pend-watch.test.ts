// While tracing runs, srctrace watches the starts the kernel holds (@pend,
// dumped every SRCTRACE_PEND_DUMP_S seconds) against the kernel's socket
// tables: real connects still in SYN_SENT through several dumps must never be
// called lost, and a start the kernel holds for a socket that is not
// connecting (an outcome no probe ran for) must be recorded, attributed and
// counted within a few dumps, not at exit. Such a loss cannot be caused on
// purpose, so the test makes one: it copies a real pending entry of the
// kernel's map with bpftool under another socket key and destination, the
// state the map is in when the outcome probe did not run for a socket.
import { readdirSync, readFileSync } from 'node:fs';
import { execa, execaSync } from 'execa';
import { describe, expect, it } from 'vitest';
import type { ConnectionRecord, SrcRecord } from '../../agent/model/record.js';
import { PEND_LOST_NOTE } from '../../agent/pipeline/tracer.js';
import { isRoot, NOT_ROOT_REASON } from '../helpers/lab.js';
import { startPending, withBlackholedLab } from '../helpers/pending.js';
import { LEGACY_BPFTRACE, startSrctrace } from '../helpers/srctrace.js';

const N = 20;
const SILENT = '198.18.1.81'; // inside the lab's with-src route; rtr-a drops it
const FAKE = '198.18.1.82'; // no socket ever connects there

const hasBpftool = (() => {
  try {
    execaSync('bpftool', ['version'], { timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
})();
// Only the tracepoint sets keep starts in the kernel (the kprobe set and bpftrace 0.14's program print them).
const skip = !isRoot ? NOT_ROOT_REASON
  : LEGACY_BPFTRACE ? 'bpftrace 0.14 runs a program without @pend'
  : process.env.SRCTRACE_TEST_BACKEND === 'kprobe' ? 'the kprobe set has no @pend'
  : !hasBpftool ? 'bpftool is not installed (apt-get install bpftool)' : null;

interface MapEntry { key: string[]; value: string[] }

/** The id of map `name` held by process `pid` (bpftrace names @pend AT_pend). */
async function mapIdOf(pid: number, name: string): Promise<number> {
  for (const fd of readdirSync(`/proc/${pid}/fdinfo`)) {
    const m = /^map_id:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'));
    if (!m) continue;
    const info = JSON.parse((await execa('bpftool', ['map', 'show', 'id', m[1]!, '--json'])).stdout) as { name?: string };
    if (info.name === name) return Number(m[1]);
  }
  throw new Error(`process ${pid} holds no map named ${name}`);
}

/** The bytes IPv4 address `a` has in a start's d1 word (little-endian ((u64)daddr << 32) | 0xffff0000). */
const d1Bytes = (a: string) => ['00', '00', 'ff', 'ff', ...a.split('.').map((x) => Number(x).toString(16).padStart(2, '0'))];
const hex = (bytes: string[]) => bytes.map((b) => b.replace(/^0x/, '').padStart(2, '0')).join(' ');

describe.skipIf(skip !== null)(`the kernel's pending starts, watched while tracing${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const { lab, hostNetns } = withBlackholedLab(SILENT);

  it('calls no connect still in SYN_SENT lost, and records a start held for no connecting socket', async () => {
    const t = lab.topology;
    const trace = await startSrctrace(['--format', 'ndjson'], { SRCTRACE_PEND_DUMP_S: '1' });
    const started = await trace.waitFor((r) => r.type === 'status' && r.state === 'started');
    const bpftracePid = Number(/bpftrace pid (\d+)/.exec((started as Extract<SrcRecord, { type: 'status' }>).detail)![1]);
    const { client, pending } = await startPending(t.namespaces.host, SILENT, 8080, N, 60_000);
    try {
      // One of the client's starts, as the kernel holds it.
      const id = await mapIdOf(bpftracePid, 'AT_pend');
      const entries = JSON.parse((await execa('bpftool', ['map', 'dump', 'id', String(id), '--json'])).stdout) as MapEntry[];
      const real = entries.find((e) => hex(e.value).includes(hex(d1Bytes(SILENT))));
      expect(real, 'a pending start of the client in @pend').toBeDefined();
      // The copy: another socket key (socket addresses are 64-byte aligned: +8 is none), FAKE as destination.
      const key = real!.key.map((b) => b.replace(/^0x/, ''));
      key[0] = (Number.parseInt(key[0]!, 16) + 8).toString(16).padStart(2, '0');
      const value = hex(real!.value).replace(hex(d1Bytes(SILENT)), hex(d1Bytes(FAKE))).split(' ');
      await execa('bpftool', ['map', 'update', 'id', String(id), 'key', 'hex', ...key, 'value', 'hex', ...value]);

      // Found while tracing: seen in two dumps, no such socket in SYN_SENT, still in the next dump.
      const found = await trace.waitFor((r) => r.type === 'connection' && r.daddr === FAKE, 20_000) as ConnectionRecord;
      expect(found).toMatchObject({
        pid: pending[0]!.pid, saddr: t.service.v4, dport: 8080, netns: hostNetns(),
        outcome: 'error', errno: null, error: PEND_LOST_NOTE, latencyMs: null,
      });
      expect(pending.map((p) => p.tid)).toContain(found.tid);
      // By then the real starts had been through the same dumps and reads: none of them is a record yet.
      expect(trace.records.filter((r) => r.type === 'connection' && r.daddr === SILENT)).toEqual([]);
      expect(trace.records.filter((r) => r.type === 'lost')).toMatchObject([{ where: 'kernel', count: 1 }]);
    } finally {
      client.kill('SIGKILL');
      await client.catch(() => undefined);
    }
    const { exitCode, records, stderr } = await trace.stop();
    expect(exitCode).toBe(0);
    // The real ones ended when the client was killed (closed in SYN_SENT), each once, none called lost.
    const ours = records.filter((r): r is ConnectionRecord => r.type === 'connection' && r.netns === hostNetns() && r.daddr === SILENT);
    expect(ours).toHaveLength(N);
    expect(ours.filter((r) => r.error === PEND_LOST_NOTE)).toEqual([]);
    // END's dump still holds the copy: not recorded a second time.
    expect(records.filter((r) => r.type === 'connection' && r.daddr === FAKE)).toHaveLength(1);
    expect(stderr).toMatch(/lost 1 in kernel, 0 in agent/);
    expect(stderr).not.toMatch(/still awaiting/);
  }, 90_000);
});
