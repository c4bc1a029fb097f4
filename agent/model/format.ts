// Record serialisation shared by the CLI's exporters and the dashboard's export
// button, so a file saved from either has the same bytes for the same records.
import { CONNECTION_FIELDS, type ConnectionRecord, type SrcRecord } from './record.js';

/** One NDJSON line (without the newline). */
export function toNdjsonLine(record: SrcRecord): string {
  return JSON.stringify(record);
}

/**
 * The same line for a record the agent built itself (toRecord: exactly the
 * contract's fields, in its order), much faster for connection records.
 */
export function agentNdjsonLine(record: SrcRecord): string {
  return record.type === 'connection' ? connectionJson(record) : JSON.stringify(record);
}

const str = (v: string | null): string => (v === null ? 'null' : JSON.stringify(v));
const num = (v: number | null): string => (v === null || !Number.isFinite(v) ? 'null' : `${v}`);

// The short strings records repeat (addresses, outcomes, device names) are
// quoted once per distinct value; escaping them anew for every record was a
// sixth of the agent's time in a connect storm. Bounded: a full cache starts over.
const quotedCache = new Map<string, string>();
const QUOTED_MAX = 4096;
function quoted(v: string | null): string {
  if (v === null) return 'null';
  let q = quotedCache.get(v);
  if (q === undefined) {
    q = JSON.stringify(v);
    if (quotedCache.size >= QUOTED_MAX) quotedCache.clear();
    quotedCache.set(v, q);
  }
  return q;
}

// The record time changes once per millisecond at most: it would only churn the cache.
let lastTs = '';
let lastTsJson = '""';
function quotedTs(ts: string): string {
  if (ts !== lastTs) {
    lastTs = ts;
    lastTsJson = JSON.stringify(ts);
  }
  return lastTsJson;
}

/**
 * JSON.stringify(record) for a connection record made by toRecord, byte for
 * byte (same keys, same order; other fields would be dropped), written out
 * field by field: a connect storm makes
 * tens of thousands per second, and the generic walk was the agent's biggest
 * single cost after garbage collection. Strings still go through
 * JSON.stringify, so escaping is exactly the standard one.
 */
function connectionJson(r: ConnectionRecord): string {
  return `{"type":"connection","ts":${quotedTs(r.ts)},${taskJson(r)},"proto":${quoted(r.proto)},"family":${num(r.family)},"saddr":${quoted(r.saddr)},"sport":${num(r.sport)},"daddr":${quoted(r.daddr)},"dport":${num(r.dport)},"outcome":${quoted(r.outcome)},"errno":${num(r.errno)},"error":${quoted(r.error)},"latencyMs":${num(r.latencyMs)},"sourceReason":${quoted(r.sourceReason)},"dev":${quoted(r.dev)},"gateway":${quoted(r.gateway)},"stateRaw":${num(r.stateRaw)}}`;
}

// The task's fields (pid through netns) repeat from one record to the next in
// a storm, and the command line is the longest string to escape: reuse the
// fragment made last for the same thread while its fields are the same (a
// multi-threaded client alternates threads record by record). Bounded: a
// full cache starts over.
type TaskFields = Pick<ConnectionRecord, 'pid' | 'tid' | 'ppid' | 'uid' | 'comm' | 'commHex' | 'cmdline' | 'netns'>;
const taskCache = new Map<number, { t: TaskFields; json: string }>();
const TASKS_MAX = 1024;

function taskJson(r: ConnectionRecord): string {
  const hit = taskCache.get(r.tid); // keyed by tid, so tid needs no check
  const t = hit?.t;
  if (t && t.pid === r.pid && t.ppid === r.ppid && t.uid === r.uid && t.comm === r.comm && t.commHex === r.commHex && t.cmdline === r.cmdline && t.netns === r.netns) {
    return hit.json;
  }
  const json = `"pid":${num(r.pid)},"tid":${num(r.tid)},"ppid":${num(r.ppid)},"uid":${num(r.uid)},"comm":${str(r.comm)},"commHex":${str(r.commHex)},"cmdline":${str(r.cmdline)},"netns":${num(r.netns)}`;
  if (taskCache.size >= TASKS_MAX) taskCache.clear();
  taskCache.set(r.tid, { t: { pid: r.pid, tid: r.tid, ppid: r.ppid, uid: r.uid, comm: r.comm, commHex: r.commHex, cmdline: r.cmdline, netns: r.netns }, json });
  return json;
}

/** CSV header line for connection records. */
export const CSV_HEADER = CONNECTION_FIELDS.join(',');

// RFC 4180 quoting; a leading = + - @ is prefixed with ' so a spreadsheet does
// not evaluate a hostile process name or command line as a formula.
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let s = String(value);
  if (/^[=+\-@\t\r]/.test(s) && typeof value === 'string') s = `'${s}`;
  if (/[",\r\n]/.test(s) || s !== s.trim()) return `"${s.replace(/"/g, '""')}"`;
  return s;
}

/** One CSV row for a connection record, columns in CSV_HEADER order. */
export function toCsvRow(record: ConnectionRecord): string {
  return CONNECTION_FIELDS.map((f) => csvCell(record[f])).join(',');
}
