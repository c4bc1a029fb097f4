// Command-line parsing and validation: every bad flag is a UsageError that
// says what is accepted.
import { isIP } from 'node:net';
import { parseArgs } from 'node:util';
import { UsageError } from '../errors.js';
import type { DestNet } from '../pipeline/filter.js';
import type { BackendChoice } from '../probes/backend.js';

export type Format = 'table' | 'ndjson' | 'csv';

export interface TraceArgs {
  command: 'trace' | 'ui';
  pids: number[];
  /** --children: also the --pid processes' descendants. */
  children: boolean;
  comms: string[];
  /** --dst: destination addresses or networks (any of them). */
  dests: DestNet[];
  /** --dport: destination ports (any of them). */
  dports: number[];
  format: Format | null;
  output: string | null;
  durationS: number | null;
  backend: BackendChoice;
  listen: string;
  open: boolean;
}

export type Parsed =
  | { command: 'help' }
  | { command: 'version' }
  | { command: 'lab'; argv: string[] }
  | TraceArgs;

const OPTIONS = {
  pid: { type: 'string', short: 'p', multiple: true },
  children: { type: 'boolean' },
  comm: { type: 'string', short: 'c', multiple: true },
  dst: { type: 'string', multiple: true },
  dport: { type: 'string', multiple: true },
  format: { type: 'string', short: 'f' },
  output: { type: 'string', short: 'o' },
  duration: { type: 'string', short: 'd' },
  backend: { type: 'string' },
  listen: { type: 'string' },
  open: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const;

function positiveInt(flag: string, v: string): number {
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 4_194_304) throw new UsageError(`${flag} expects a process id (1..4194304), got "${v}"`);
  return Number(v);
}

/**
 * --dst ADDR or ADDR/LEN. An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is
 * taken as the IPv4 address it maps: records give such peers as IPv4.
 */
export function parseDest(v: string): DestNet {
  const m = /^([^/]+)(?:\/(\d{1,3}))?$/.exec(v);
  let addr = m?.[1] ?? '';
  let family = isIP(addr);
  let prefix = m?.[2] !== undefined ? Number(m[2]) : family === 6 ? 128 : 32;
  const mapped = family === 6 ? /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(addr) : null;
  if (mapped) {
    addr = mapped[1]!;
    family = 4;
    prefix = m?.[2] !== undefined ? prefix - 96 : 32;
  }
  if (family === 0 || prefix < 0 || prefix > (family === 6 ? 128 : 32)) {
    throw new UsageError(`--dst expects an IPv4 or IPv6 address, optionally with a prefix length (198.18.1.0/24, 2001:db8::/32), got "${v}"`);
  }
  return { addr, prefix, family: family as 4 | 6 };
}

function port(v: string): number {
  if (!/^\d{1,5}$/.test(v) || Number(v) < 1 || Number(v) > 65535) throw new UsageError(`--dport expects a port number (1..65535), got "${v}"`);
  return Number(v);
}

/** Flags that take a value, by every spelling (--pid, -p). */
const VALUE_FLAGS = new Set(Object.entries(OPTIONS).flatMap(([name, o]) =>
  o.type === 'string' ? [`--${name}`, ...('short' in o ? [`-${o.short}`] : [])] : []));

/**
 * "--duration -3" as "--duration=-3": parseArgs refuses a value that starts
 * with a dash as ambiguous, with advice about its own syntax; joined, the
 * value reaches the flag's own check, which says what the flag accepts.
 */
function joinNegativeValues(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = argv[i + 1];
    if (VALUE_FLAGS.has(a) && next !== undefined && /^-\d/.test(next)) {
      out.push(`${a.startsWith('--') ? a : `--${shortToLong(a)}`}=${next}`);
      i++;
    } else {
      out.push(a);
    }
  }
  return out;
}

function shortToLong(flag: string): string {
  return Object.entries(OPTIONS).find(([, o]) => 'short' in o && `-${o.short}` === flag)![0];
}

export function parseCli(argv: string[]): Parsed {
  if (argv[0] === 'lab') return { command: 'lab', argv: argv.slice(1) };
  let parsed;
  try {
    parsed = parseArgs({ args: joinNegativeValues(argv), options: OPTIONS, allowPositionals: true, strict: true });
  } catch (cause) {
    throw new UsageError(`${(cause as Error).message.replace(/\. To specify a positional.*$/s, '')}; see srctrace --help`, { cause });
  }
  const { values: v, positionals } = parsed;
  if (v.help) return { command: 'help' };
  if (v.version) return { command: 'version' };
  const sub = positionals[0] ?? 'trace';
  if (positionals.length > 1 || (sub !== 'trace' && sub !== 'ui')) {
    throw new UsageError(`unknown command "${positionals.join(' ')}": expected trace, ui or lab; see srctrace --help`);
  }
  // The dashboard's flags outside "srctrace ui" would be ignored: the user
  // meant the dashboard, or did not mean them.
  if (sub !== 'ui') {
    const stray = (['listen', 'open'] as const).filter((f) => v[f] !== undefined);
    if (stray.length > 0) throw new UsageError(`--${stray[0]} applies to the dashboard only: srctrace ui --${stray[0]} ...; see srctrace --help`);
  }
  const format = v.format ?? null;
  if (format !== null && format !== 'table' && format !== 'ndjson' && format !== 'csv') {
    throw new UsageError(`--format must be table, ndjson or csv, got "${format}"`);
  }
  let durationS: number | null = null;
  if (v.duration !== undefined) {
    durationS = Number(v.duration);
    if (!/^\d+(\.\d+)?$/.test(v.duration) || !(durationS > 0)) throw new UsageError(`--duration expects a positive number of seconds, got "${v.duration}"`);
  }
  const backend = v.backend ?? 'auto';
  if (backend !== 'auto' && backend !== 'tracepoint' && backend !== 'rawtracepoint' && backend !== 'kprobe') {
    throw new UsageError(`--backend must be auto, tracepoint, rawtracepoint or kprobe, got "${backend}"`);
  }
  if (v.children && (v.pid ?? []).length === 0) throw new UsageError('--children applies to --pid: srctrace --pid PID --children; see srctrace --help');
  for (const c of v.comm ?? []) {
    if (c === '' || Buffer.byteLength(c) > 15) throw new UsageError(`--comm expects a task name of 1 to 15 bytes (the kernel keeps 15), got "${c}"`);
  }
  return {
    command: sub,
    pids: (v.pid ?? []).map((p) => positiveInt('--pid', p)),
    children: v.children ?? false,
    comms: v.comm ?? [],
    dests: (v.dst ?? []).map(parseDest),
    dports: (v.dport ?? []).map(port),
    format,
    output: v.output ?? null,
    durationS,
    backend,
    listen: v.listen ?? '127.0.0.1:7420',
    open: v.open ?? false,
  };
}
