// The one definition of what srctrace emits. The agent, every sink and the UI
// import these types (the UI imports types only), so a new record kind fails the
// build until each consumer handles it (see `RecordHandlers`).

/** How a connection attempt ended. */
export type Outcome = 'established' | 'refused' | 'timeout' | 'unreachable' | 'error';

/** Why the kernel used this source address. */
export type SourceReason =
  /** the application called bind() on a specific address before connect() */
  | 'bind'
  /** no explicit bind: the route lookup picked it (route `src`, else egress device address: see routeSrc) */
  | 'route';

/** Which probe set produced a record. */
export type Backend = 'tracepoint' | 'rawtracepoint' | 'kprobe';

/** One outgoing connection attempt. The NDJSON contract: field names are stable. */
export interface ConnectionRecord {
  type: 'connection';
  /** ISO-8601 UTC time of the connect attempt, millisecond precision. */
  ts: string;
  /** Thread group id of the connecting task. */
  pid: number;
  tid: number;
  ppid: number;
  uid: number;
  /** Kernel task name, byte-exact; invalid UTF-8 becomes U+FFFD. */
  comm: string;
  /** The same 16 bytes as hex (NUL-trimmed), so nothing is lost to U+FFFD. */
  commHex: string;
  /** Command line (NUL separators as spaces) when it could be read for this very process, else null. */
  cmdline: string | null;
  /** Network namespace inode number. */
  netns: number;
  /**
   * Its name under /run/netns (as `ip netns` lists it), or "docker:CONTAINER"
   * for a Docker container's (/run/docker/netns; "docker:SANDBOX" when no
   * container config names it), else null (the host's own, unnamed ones).
   */
  netnsName: string | null;
  proto: 'tcp';
  family: 4 | 6;
  saddr: string | null;
  sport: number | null;
  daddr: string;
  dport: number;
  outcome: Outcome;
  /** errno behind a failed outcome, else null. */
  errno: number | null;
  /** Symbolic errno (ECONNREFUSED, ...) next to the raw number. */
  error: string | null;
  /** SYN sent to outcome, null when no SYN was sent. */
  latencyMs: number | null;
  /** Why this source: explicit bind or route; null when no source was chosen. */
  sourceReason: SourceReason | null;
  /** Egress device of the route the socket used (its cached route), null when none was set up. */
  dev: string | null;
  /** Next hop of that route, null when the destination is on-link (or no route was set up). */
  gateway: string | null;
  /**
   * With sourceReason "route": whether that route has a `src` attribute, which
   * is saddr (true), or has none, so the kernel picked the address (false:
   * IPv4 an address of dev, IPv6 by RFC 6724 selection). The route is looked
   * up again as the record is made and believed only while it is still the
   * socket's (same dev and gateway); null when not known, and without a route.
   */
  routeSrc: boolean | null;
  /**
   * The socket's mark (SO_MARK) when the SYN was sent, which `ip rule ...
   * fwmark` routes by (0: none); null when not known (connect() failed before).
   */
  mark: number | null;
  /** Raw TCP state the socket moved to when the attempt ended (1 ESTABLISHED, 7 CLOSE), null if none. */
  stateRaw: number | null;
}

/** Events were lost somewhere between the kernel and this output. */
export interface LostRecord {
  type: 'lost';
  ts: string;
  count: number;
  /** kernel: perf buffer overflow in bpftrace; agent: lines that could not be decoded or joined; restart: bpftrace was down */
  where: 'kernel' | 'agent' | 'restart';
  detail: string;
}

/** The tracer's own life: start, backend chosen, restarts, stop. */
export interface StatusRecord {
  type: 'status';
  ts: string;
  state: 'started' | 'restarting' | 'stopped' | 'failed';
  backend: Backend | null;
  detail: string;
}

export type SrcRecord = ConnectionRecord | LostRecord | StatusRecord;
export type RecordType = SrcRecord['type'];

/** A handler for every record kind: adding a kind breaks each consumer until it handles it. */
export type RecordHandlers<R> = { [K in RecordType]: (record: Extract<SrcRecord, { type: K }>) => R };

export function dispatchRecord<R>(record: SrcRecord, handlers: RecordHandlers<R>): R {
  return (handlers[record.type] as (r: SrcRecord) => R)(record);
}

/** Column order for CSV and the table: the contract fields first; fields added later go last, so CSV columns keep their places. */
export const CONNECTION_FIELDS = [
  'ts', 'pid', 'tid', 'ppid', 'uid', 'comm', 'cmdline', 'netns', 'proto', 'family',
  'saddr', 'sport', 'daddr', 'dport', 'outcome', 'errno', 'error', 'latencyMs', 'sourceReason', 'dev', 'gateway', 'stateRaw', 'commHex', 'netnsName', 'routeSrc', 'mark',
] as const satisfies readonly (keyof ConnectionRecord)[];
