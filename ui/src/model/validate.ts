// The WebSocket boundary: every server message is checked here once, so the
// rest of the UI trusts its types. Unknown message kinds and record types are
// skipped and counted (a newer agent may send them); anything that claims a
// known shape but does not have it is counted as malformed.
import type { ConnectionRecord, LostRecord, StatusRecord, SrcRecord } from '../../../agent/model/record.js';
import { PROTOCOL_VERSION, type ServerMessage } from '../../../agent/model/messages.js';

export type ParseResult =
  | { status: 'ok'; message: ServerMessage; unknownRecords: number; malformedRecords: number }
  | { status: 'unknown-kind'; kind: string }
  | { status: 'malformed'; reason: string };

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const isCount = (v: unknown): v is number => isInt(v) && v >= 0;
const isStr = (v: unknown): v is string => typeof v === 'string';
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const orNull = <T>(check: (v: unknown) => v is T) => (v: unknown): v is T | null => v === null || check(v);
const oneOf = <T extends string | number>(...values: T[]) => (v: unknown): v is T => values.includes(v as T);
const isTs = (v: unknown): v is string => isStr(v) && Number.isFinite(Date.parse(v));
const isPort = (v: unknown): v is number => isInt(v) && v >= 0 && v <= 65535;

const CONNECTION_CHECKS: Record<Exclude<keyof ConnectionRecord, 'type'>, (v: unknown) => boolean> = {
  ts: isTs,
  pid: isCount,
  tid: isCount,
  ppid: isCount,
  uid: isCount,
  comm: isStr,
  commHex: isStr,
  cmdline: orNull(isStr),
  netns: isCount,
  netnsName: orNull(isStr),
  proto: oneOf('tcp'),
  family: oneOf(4, 6),
  saddr: orNull(isStr),
  sport: orNull(isPort),
  daddr: isStr,
  dport: isPort,
  outcome: oneOf('established', 'refused', 'timeout', 'unreachable', 'error'),
  errno: orNull(isInt),
  error: orNull(isStr),
  latencyMs: orNull((v): v is number => isNum(v) && v >= 0),
  sourceReason: orNull(oneOf('bind', 'route')),
  dev: orNull(isStr),
  gateway: orNull(isStr),
  routeSrc: orNull((v): v is boolean => typeof v === 'boolean'),
  mark: orNull((v): v is number => isCount(v) && v <= 0xffffffff),
  stateRaw: orNull(isInt),
};

const LOST_CHECKS: Record<Exclude<keyof LostRecord, 'type'>, (v: unknown) => boolean> = {
  ts: isTs,
  count: isCount,
  where: oneOf('kernel', 'agent', 'restart'),
  detail: isStr,
};

const STATUS_CHECKS: Record<Exclude<keyof StatusRecord, 'type'>, (v: unknown) => boolean> = {
  ts: isTs,
  state: oneOf('started', 'restarting', 'stopped', 'failed'),
  backend: orNull(oneOf('tracepoint', 'rawtracepoint', 'kprobe')),
  detail: isStr,
};

const RECORD_CHECKS: Record<SrcRecord['type'], Checks> = {
  connection: Object.entries(CONNECTION_CHECKS),
  lost: Object.entries(LOST_CHECKS),
  status: Object.entries(STATUS_CHECKS),
};

type Checks = readonly (readonly [string, (v: unknown) => boolean])[];

function hasFields(o: Obj, checks: Checks): boolean {
  for (const [key, check] of checks) if (!check(o[key])) return false;
  return true;
}

export type RecordResult = { status: 'ok'; record: SrcRecord } | { status: 'unknown-type' } | { status: 'malformed' };

/** One record; extra fields are kept as they are (the details panel shows them). */
export function validateRecord(v: unknown): RecordResult {
  if (!isObj(v) || !isStr(v.type)) return { status: 'malformed' };
  if (!Object.hasOwn(RECORD_CHECKS, v.type)) return { status: 'unknown-type' };
  const checks = RECORD_CHECKS[v.type as SrcRecord['type']];
  return hasFields(v, checks) ? { status: 'ok', record: v as unknown as SrcRecord } : { status: 'malformed' };
}

const MESSAGE_CHECKS: Record<ServerMessage['kind'], Checks> = {
  hello: Object.entries({ agentVersion: isStr, backend: orNull(isStr), backlog: isCount, startedAt: isTs }),
  records: Object.entries({ records: Array.isArray, backlog: (v: unknown) => typeof v === 'boolean' }),
  gap: Object.entries({ dropped: isCount, totalDropped: isCount }),
  stats: Object.entries({ connections: isCount, lostKernel: isCount, lostAgent: isCount, clients: isCount }),
  bye: Object.entries({ reason: isStr }),
};

/** Parse one WebSocket text frame. Records with unknown types or bad fields are left out of the batch and counted. */
export function parseServerMessage(data: unknown): ParseResult {
  if (typeof data !== 'string') return { status: 'malformed', reason: 'not a text frame' };
  let v: unknown;
  try {
    v = JSON.parse(data);
  } catch {
    return { status: 'malformed', reason: 'not JSON' };
  }
  if (!isObj(v)) return { status: 'malformed', reason: 'not an object' };
  if (v.v !== PROTOCOL_VERSION) return { status: 'malformed', reason: `protocol version ${String(v.v)}` };
  if (!isStr(v.kind)) return { status: 'malformed', reason: 'no kind' };
  if (!Object.hasOwn(MESSAGE_CHECKS, v.kind)) return { status: 'unknown-kind', kind: v.kind };
  const kind = v.kind as ServerMessage['kind'];
  if (!hasFields(v, MESSAGE_CHECKS[kind])) return { status: 'malformed', reason: `bad ${kind} fields` };
  if (kind !== 'records') return { status: 'ok', message: v as unknown as ServerMessage, unknownRecords: 0, malformedRecords: 0 };

  const records: SrcRecord[] = [];
  let unknownRecords = 0;
  let malformedRecords = 0;
  for (const item of v.records as unknown[]) {
    const r = validateRecord(item);
    if (r.status === 'ok') records.push(r.record);
    else if (r.status === 'unknown-type') unknownRecords++;
    else malformedRecords++;
  }
  const message: ServerMessage = { v: PROTOCOL_VERSION, kind: 'records', records, backlog: v.backlog as boolean };
  return { status: 'ok', message, unknownRecords, malformedRecords };
}
