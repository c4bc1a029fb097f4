// Filter bar state: text as typed (so the URL and the inputs agree), compiled
// once into a predicate that the timeline, table and export all share.
import type { ConnectionRecord, Outcome } from '../../../agent/model/record.js';
import { cidrMatcher, parseCidr } from './ip.js';

export interface FilterText {
  pid: string;
  comm: string;
  src: string;
  dst: string;
  port: string;
  proto: string;
  outcome: string;
}

export type FilterKey = keyof FilterText;
export const FILTER_KEYS: readonly FilterKey[] = ['pid', 'comm', 'src', 'dst', 'port', 'proto', 'outcome'];

export const EMPTY_FILTER: FilterText = { pid: '', comm: '', src: '', dst: '', port: '', proto: '', outcome: '' };

export const PROTO_OPTIONS = ['tcp', 'tcp4', 'tcp6'] as const;
export const OUTCOME_OPTIONS = ['failed', 'established', 'refused', 'timeout', 'unreachable', 'error'] as const;

export interface CompiledFilter {
  /** true when the record passes every valid, non-empty filter */
  matches: (r: ConnectionRecord) => boolean;
  /** why a field was ignored, by field */
  errors: Partial<Record<FilterKey, string>>;
  /** how many fields constrain the result */
  active: number;
}

type Pred = (r: ConnectionRecord) => boolean;

export function compileFilter(f: FilterText): CompiledFilter {
  const preds: Pred[] = [];
  const errors: Partial<Record<FilterKey, string>> = {};

  const pid = f.pid.trim();
  if (pid) {
    if (/^\d+$/.test(pid)) {
      const n = Number(pid);
      preds.push((r) => r.pid === n);
    } else errors.pid = 'pid is a number';
  }

  const comm = f.comm.trim().toLowerCase();
  if (comm) preds.push((r) => r.comm.toLowerCase().includes(comm));

  for (const key of ['src', 'dst'] as const) {
    const text = f[key].trim();
    if (!text) continue;
    const cidr = parseCidr(text);
    if (!cidr) {
      errors[key] = 'not an IPv4/IPv6 address or CIDR';
      continue;
    }
    const m = cidrMatcher(cidr);
    preds.push(key === 'src' ? (r) => m(r.saddr) : (r) => m(r.daddr));
  }

  const port = f.port.trim();
  if (port) {
    const n = Number(port);
    if (/^\d+$/.test(port) && n <= 65535) preds.push((r) => r.sport === n || r.dport === n);
    else errors.port = 'port is 0-65535';
  }

  const proto = f.proto.trim();
  if (proto) {
    if (proto === 'tcp') preds.push((r) => r.proto === 'tcp');
    else if (proto === 'tcp4') preds.push((r) => r.proto === 'tcp' && r.family === 4);
    else if (proto === 'tcp6') preds.push((r) => r.proto === 'tcp' && r.family === 6);
    else errors.proto = `unknown protocol ${proto}`;
  }

  const outcome = f.outcome.trim();
  if (outcome) {
    if (outcome === 'failed') preds.push((r) => r.outcome !== 'established');
    else if ((OUTCOME_OPTIONS as readonly string[]).includes(outcome)) {
      const o = outcome as Outcome;
      preds.push((r) => r.outcome === o);
    } else errors.outcome = `unknown outcome ${outcome}`;
  }

  const matches: Pred = preds.length === 0 ? () => true : (r) => {
    for (const p of preds) if (!p(r)) return false;
    return true;
  };
  return { matches, errors, active: preds.length };
}

/** View settings shared through the URL next to the filters. */
export type LaneMode = 'process' | 'source' | 'route' | 'netns';
const LANE_MODES: readonly LaneMode[] = ['process', 'source', 'route', 'netns'];

export interface UrlState {
  filter: FilterText;
  lanes: LaneMode;
}

/** Read filters from a query string; unknown keys (and the auth token) are ignored. */
export function parseUrlState(search: string): UrlState {
  const q = new URLSearchParams(search);
  const filter = { ...EMPTY_FILTER };
  for (const key of FILTER_KEYS) filter[key] = q.get(key) ?? '';
  const lanes = q.get('lanes');
  return { filter, lanes: LANE_MODES.find((m) => m === lanes) ?? 'process' };
}

/** Query string for a view ("" when nothing is set). Never carries the token. */
export function toQueryString(state: UrlState): string {
  const q = new URLSearchParams();
  for (const key of FILTER_KEYS) {
    const v = state.filter[key].trim();
    if (v) q.set(key, v);
  }
  if (state.lanes !== 'process') q.set('lanes', state.lanes);
  const s = q.toString();
  return s ? `?${s}` : '';
}
