// A connection record made by toRecord, written as its NDJSON line's UTF-8
// bytes straight into the output batch: exactly JSON.stringify(record) and a
// newline, without building the ~450-character string first. In a connect
// storm, building that string and encoding it again was half the agent's CPU
// time (and most of its garbage).
//
// A line is a few pre-encoded fragments and two numbers. Each fragment covers
// fields that repeat from one record to the next (the task; the source side;
// the destination and outcome; the route), and is rebuilt only when one of its
// fields differs from the record it was built for. Fragments are built with
// JSON.stringify, so escaping stays exactly the standard one; only numbers are
// written here digit by digit (JSON writes a finite number as String() does).
import type { ConnectionRecord } from '../model/record.js';

type Same = (a: ConnectionRecord, b: ConnectionRecord) => boolean;

/**
 * The bytes of some fields, with the record they were built from: reused
 * while the next record has the same values in those fields. `same` compares
 * exactly the fields `text` writes, spelled out (a loop over field names made
 * every comparison a slow keyed load).
 */
class Fragment {
  private from: ConnectionRecord | null = null;
  bytes: Buffer = Buffer.alloc(0);

  constructor(private readonly same: Same, private readonly text: (r: ConnectionRecord) => string) {}

  /** The bytes for `r` (rebuilt when one of the fields differs). */
  for(r: ConnectionRecord): Buffer {
    if (this.from === null || !this.same(this.from, r)) {
      this.bytes = Buffer.from(this.text(r), 'utf8');
      this.from = r;
    }
    return this.bytes;
  }
}

const NULL = Buffer.from('null');
/** A number is at most this long as text (e.g. "-1.2345678901234567e-308"). */
const NUMBER_MAX = 24;

const json = (v: string | number | null): string => (v === null || (typeof v === 'number' && !Number.isFinite(v)) ? 'null' : JSON.stringify(v));

// tid is the task cache's key, so it needs no comparison.
const sameTask: Same = (a, b) => a.pid === b.pid && a.ppid === b.ppid && a.uid === b.uid && a.comm === b.comm && a.commHex === b.commHex && a.cmdline === b.cmdline && a.netns === b.netns;
const taskText = (r: ConnectionRecord) =>
  `"pid":${json(r.pid)},"tid":${json(r.tid)},"ppid":${json(r.ppid)},"uid":${json(r.uid)},"comm":${json(r.comm)},"commHex":${json(r.commHex)},"cmdline":${json(r.cmdline)},"netns":${json(r.netns)}`;

export class ConnectionBytes {
  private readonly ts = new Fragment((a, b) => a.ts === b.ts, (r) => `{"type":"connection","ts":${json(r.ts)},`);
  private readonly source = new Fragment((a, b) => a.proto === b.proto && a.family === b.family && a.saddr === b.saddr, (r) => `,"proto":${json(r.proto)},"family":${json(r.family)},"saddr":${json(r.saddr)},"sport":`);
  private readonly outcome = new Fragment((a, b) => a.daddr === b.daddr && a.dport === b.dport && a.outcome === b.outcome && a.errno === b.errno && a.error === b.error,
    (r) => `,"daddr":${json(r.daddr)},"dport":${json(r.dport)},"outcome":${json(r.outcome)},"errno":${json(r.errno)},"error":${json(r.error)},"latencyMs":`);
  private readonly route = new Fragment((a, b) => a.sourceReason === b.sourceReason && a.dev === b.dev && a.gateway === b.gateway && a.stateRaw === b.stateRaw,
    (r) => `,"sourceReason":${json(r.sourceReason)},"dev":${json(r.dev)},"gateway":${json(r.gateway)},"stateRaw":${json(r.stateRaw)}}\n`);
  /**
   * The task's fields per thread: a multi-threaded client alternates threads
   * record by record. Bounded: a full cache starts over.
   */
  private readonly tasks = new Map<number, Fragment>();
  private static readonly TASKS_MAX = 1024;
  private task: Buffer = NULL;

  /** Most bytes `write` can need for `r` (call first: it also prepares the fragments). */
  prepare(r: ConnectionRecord): number {
    let task = this.tasks.get(r.tid);
    if (!task) {
      if (this.tasks.size >= ConnectionBytes.TASKS_MAX) this.tasks.clear();
      task = new Fragment(sameTask, taskText);
      this.tasks.set(r.tid, task);
    }
    this.task = task.for(r);
    return this.ts.for(r).length + this.task.length + this.source.for(r).length + this.outcome.for(r).length + this.route.for(r).length + 2 * NUMBER_MAX;
  }

  /** Writes the line (newline included) that the last `prepare(r)` prepared, at `at`; returns where it ends. */
  write(r: ConnectionRecord, buf: Buffer, at: number): number {
    at = put(buf, at, this.ts.bytes);
    at = put(buf, at, this.task);
    at = put(buf, at, this.source.bytes);
    at = putNumber(buf, at, r.sport);
    at = put(buf, at, this.outcome.bytes);
    at = putNumber(buf, at, r.latencyMs);
    return put(buf, at, this.route.bytes);
  }
}

function put(buf: Buffer, at: number, bytes: Buffer): number {
  buf.set(bytes, at);
  return at + bytes.length;
}

/** JSON for a number (null for null and non-finite), as ASCII. */
function putNumber(buf: Buffer, at: number, v: number | null): number {
  if (v === null || !Number.isFinite(v)) return put(buf, at, NULL);
  if (Number.isInteger(v) && v >= 0 && v <= 0xffffffff) {
    // The common case (ports): digits without making a string.
    if (v === 0) {
      buf[at] = 48;
      return at + 1;
    }
    let end = at;
    for (let x = v; x > 0; x = Math.floor(x / 10)) end++;
    for (let x = v, i = end - 1; x > 0; x = Math.floor(x / 10), i--) buf[i] = 48 + (x % 10);
    return end;
  }
  const s = String(v);
  for (let i = 0; i < s.length; i++) buf[at + i] = s.charCodeAt(i);
  return at + s.length;
}
