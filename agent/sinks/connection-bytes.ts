// A connection record made by toRecord, written as the UTF-8 bytes of
// exactly JSON.stringify(record) straight into a buffer (the NDJSON sink's
// batch, the dashboard's record ring), without building the ~450-character
// string first. In a connect storm, building that string and encoding it
// again was half the agent's CPU time (and most of its garbage).
//
// A line is a few fragments and two numbers. Each fragment covers fields that
// repeat from one record to the next (the task; the source side; the
// destination and outcome; the route) and is reused while they do; only the
// source port and the latency are written anew, digit by digit (JSON writes
// a finite number as String() does). Fragments are built with
// JSON.stringify, so escaping stays exactly the standard one. When two or
// more fragments change from one record to the next (varied traffic), the
// record goes through JSON.stringify whole instead: building and encoding
// fragments one by one then cost more than it saved (2.2-2.5 us a record
// against 1.5-1.8). Measured: storm-like records 0.3-0.45 us against 1.6 for
// JSON.stringify; varied ones the same as JSON.stringify.
import type { ConnectionRecord } from '../model/record.js';

type Same = (a: ConnectionRecord, b: ConnectionRecord) => boolean;

/**
 * Reuses before a fragment is kept as bytes (memory of its own: a small
 * Buffer.from() would keep a shared 8 KB pool slab alive); until then it is
 * written from its text, so a fragment that serves a record or two costs no
 * buffer.
 */
const ENCODE_AFTER = 8;

/**
 * The JSON of some fields for the record it follows. `same` compares exactly
 * the fields `build` writes, spelled out (a loop over field names made every
 * comparison a slow keyed load). The text is built when first written, and
 * kept as bytes once reused often enough.
 */
class Fragment {
  private from: ConnectionRecord | null = null;
  private text: string | null = null;
  private bytes: Buffer | null = null;
  private reused = 0;

  constructor(private readonly same: Same, private readonly build: (r: ConnectionRecord) => string) {}

  /** Follows `r`: its text is rebuilt if one of its fields differs from the record before. */
  follow(r: ConnectionRecord): void {
    if (this.from !== null && this.same(this.from, r)) {
      this.reused++;
      return;
    }
    this.from = r;
    this.text = null;
    this.bytes = null;
    this.reused = 0;
  }

  /** Prepares the bytes for the record followed; returns the most `write` will take. */
  prepare(): number {
    if (this.bytes !== null) return this.bytes.length;
    this.text ??= this.build(this.from!);
    if (this.reused < ENCODE_AFTER) return this.text.length * 3; // UTF-8: at most 3 bytes per UTF-16 unit
    this.bytes = Buffer.allocUnsafeSlow(Buffer.byteLength(this.text));
    this.bytes.write(this.text, 0, 'utf8');
    return this.bytes.length;
  }

  write(buf: Buffer, at: number): number {
    if (this.bytes === null) return at + buf.write(this.text!, at, 'utf8');
    buf.set(this.bytes, at);
    return at + this.bytes.length;
  }
}

const NULL = Buffer.from('null');
/** A number is at most this long as text (e.g. "-1.2345678901234567e-308"). */
const NUMBER_MAX = 24;

const json = (v: string | number | boolean | null): string => (v === null || (typeof v === 'number' && !Number.isFinite(v)) ? 'null' : JSON.stringify(v));

const sameTask: Same = (a, b) => a.tid === b.tid && a.pid === b.pid && a.ppid === b.ppid && a.uid === b.uid && a.comm === b.comm && a.commHex === b.commHex && a.cmdline === b.cmdline && a.netns === b.netns && a.netnsName === b.netnsName;
const taskText = (r: ConnectionRecord) =>
  `"pid":${json(r.pid)},"tid":${json(r.tid)},"ppid":${json(r.ppid)},"uid":${json(r.uid)},"comm":${json(r.comm)},"commHex":${json(r.commHex)},"cmdline":${json(r.cmdline)},"netns":${json(r.netns)},"netnsName":${json(r.netnsName)}`;

const sameTs: Same = (a, b) => a.ts === b.ts;
const sameSource: Same = (a, b) => a.proto === b.proto && a.family === b.family && a.saddr === b.saddr;
const sameOutcome: Same = (a, b) => a.daddr === b.daddr && a.dport === b.dport && a.outcome === b.outcome && a.errno === b.errno && a.error === b.error;
const sameRoute: Same = (a, b) => a.sourceReason === b.sourceReason && a.dev === b.dev && a.gateway === b.gateway && a.routeSrc === b.routeSrc && a.mark === b.mark && a.stateRaw === b.stateRaw;

/**
 * How many fragments would change from `a` to `b`. Another thread is no
 * change: a storm's threads take turns, each with its own task fragment.
 */
function groupsChanged(a: ConnectionRecord, b: ConnectionRecord): number {
  return +(a.tid === b.tid && !sameTask(a, b)) + +!sameSource(a, b) + +!sameOutcome(a, b) + +!sameRoute(a, b);
}

const TASK_SLOTS = 8; // a power of two

export class ConnectionBytes {
  private readonly ts = new Fragment(sameTs, (r) => `{"type":"connection","ts":${json(r.ts)},`);
  private readonly source = new Fragment(sameSource, (r) => `,"proto":${json(r.proto)},"family":${json(r.family)},"saddr":${json(r.saddr)},"sport":`);
  private readonly outcome = new Fragment(sameOutcome,
    (r) => `,"daddr":${json(r.daddr)},"dport":${json(r.dport)},"outcome":${json(r.outcome)},"errno":${json(r.errno)},"error":${json(r.error)},"latencyMs":`);
  private readonly route = new Fragment(sameRoute,
    (r) => `,"sourceReason":${json(r.sourceReason)},"dev":${json(r.dev)},"gateway":${json(r.gateway)},"routeSrc":${json(r.routeSrc)},"mark":${json(r.mark)},"stateRaw":${json(r.stateRaw)}}`);
  /**
   * The task's fields, in a small cache indexed by thread id (a storm's
   * threads take turns record by record, and their ids are consecutive). A
   * map of up to a thousand threads was tried: with more threads than it
   * held, its churn raised the dashboard benchmark's peak memory from 155 to
   * 215 MB.
   */
  private readonly tasks = Array.from({ length: TASK_SLOTS }, () => new Fragment(sameTask, taskText));
  private task: Fragment = this.tasks[0]!;
  /** The record before, to tell repetitive traffic from varied. */
  private prev: ConnectionRecord | null = null;
  /** JSON.stringify(record), for varied traffic. */
  private whole: string | null = null;

  /** Most bytes `write` can need for `r` (call first: it also prepares what `write` writes). */
  prepare(r: ConnectionRecord): number {
    const prev = this.prev;
    this.prev = r;
    if (prev !== null && groupsChanged(prev, r) >= 2) {
      this.whole = JSON.stringify(r);
      return this.whole.length * 3; // UTF-8: at most 3 bytes per UTF-16 unit
    }
    this.whole = null;
    const task = this.tasks[r.tid & (TASK_SLOTS - 1)]!;
    this.task = task;
    task.follow(r);
    this.ts.follow(r);
    this.source.follow(r);
    this.outcome.follow(r);
    this.route.follow(r);
    return this.ts.prepare() + task.prepare() + this.source.prepare() + this.outcome.prepare() + this.route.prepare() + 2 * NUMBER_MAX;
  }

  /** Writes the JSON that the last `prepare(r)` prepared, at `at`; returns where it ends. */
  write(r: ConnectionRecord, buf: Buffer, at: number): number {
    if (this.whole !== null) return at + buf.write(this.whole, at, 'utf8');
    at = this.ts.write(buf, at);
    at = this.task.write(buf, at);
    at = this.source.write(buf, at);
    at = putNumber(buf, at, r.sport);
    at = this.outcome.write(buf, at);
    at = putNumber(buf, at, r.latencyMs);
    return this.route.write(buf, at);
  }
}

/** JSON for a number (null for null and non-finite), as ASCII. */
function putNumber(buf: Buffer, at: number, v: number | null): number {
  if (v === null || !Number.isFinite(v)) {
    buf.set(NULL, at);
    return at + NULL.length;
  }
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
