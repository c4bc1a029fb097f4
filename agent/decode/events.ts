// Typed events decoded from bpftrace's lines: one variant per line kind in
// bpf/*.bt. Timestamps are CLOCK_MONOTONIC nanoseconds as numbers (exact to
// 2 ns for a century of uptime, which is plenty for ordering and latency).

export interface TaskInfo {
  pid: number;
  tid: number;
  ppid: number;
  uid: number;
  /** Raw 16-byte comm up to its first NUL. */
  commBytes: Uint8Array;
  /** Thread group leader start time (boot-time ns), to verify /proc reads. */
  startNs: number;
}

/** CLOSE -> SYN_SENT in the connecting task (or tcp_connect on kprobe kernels). */
export interface StartEvent extends TaskInfo {
  kind: 'start';
  ts: number;
  sk: string;
  netns: number;
  family: 4 | 6;
  saddr: string;
  daddr: string;
  /** 0 on the tracepoint backend: the port is assigned after SYN_SENT. */
  sport: number;
  dport: number;
  /** The application bound a specific source address before connect(). */
  bound: boolean;
  /** It bound a source port (SO_REUSEADDR clients, some load generators): the kernel's route lookup went by that port. */
  portBound: boolean;
  /** The socket was bound to a device (SO_BINDTODEVICE, a VRF): its route lookup was confined to it. */
  devBound: boolean;
  /**
   * The socket's mark (SO_MARK; 0 none), which `ip rule ... fwmark` selects
   * routes by; null when the line did not carry it (P lines, @pend entries).
   */
  mark: number | null;
  /**
   * The socket's IP TOS byte (IP_TOS), which routes and `ip rule ... tos`
   * can select by (IPv4); null when the line did not carry it, as `mark`.
   */
  tos: number | null;
}

/** The route a socket used, read from its cached dst at the outcome. */
export interface RouteInfo {
  /** Egress device name (raw bytes up to NUL); null when the socket had no cached route. */
  devBytes: Uint8Array | null;
  /** Next-hop address, null when on-link or unknown. */
  gateway: string | null;
}

/** SYN_SENT -> ESTABLISHED / CLOSE: the attempt's outcome (often softirq). */
export interface OutcomeEvent {
  kind: 'outcome';
  ts: number;
  sk: string;
  newState: number;
  sport: number;
  skErr: number;
  route: RouteInfo;
}

/** connect() returned an error; may or may not have got as far as SYN_SENT. */
export interface ConnectErrorEvent extends TaskInfo {
  kind: 'connect-error';
  ts: number;
  enterTs: number;
  sk: string;
  netns: number;
  family: 4 | 6;
  daddr: string;
  dport: number;
  errno: number;
  /**
   * The call took the socket to SYN_SENT, so a start line carries the attempt
   * and this error only completes it; false: it failed before (a record of its
   * own); null: not known (lines of earlier programs).
   */
  synSent: boolean | null;
}

/** A new program started (exec): its first argv bytes, for short-lived processes. */
export interface ExecEvent {
  kind: 'exec';
  ts: number;
  pid: number;
  startNs: number;
  /** NUL-separated argv, at most the first 128 bytes. */
  argv: Uint8Array;
  /** True when the argument area was longer than what was captured. */
  truncated: boolean;
}

/** A fork (bpf/process-fork.bt, with --children): `child` was made by process `parent`. */
export interface ForkEvent { kind: 'fork'; ts: number; parent: number; child: number }

/**
 * A whole attempt from one C line: the start (kept in the kernel until the
 * outcome) and its outcome. The pipeline feeds both halves to the correlator.
 */
export interface JoinedEvent { kind: 'joined'; start: StartEvent; outcome: OutcomeEvent }

/** The probes' own count of connection lines printed so far (@lines). */
export interface LineCountEvent { kind: 'line-count'; count: number }

/** process-fork.bt's count of K lines printed so far (@forks). */
export interface ForkCountEvent { kind: 'fork-count'; count: number }

export interface ReadyEvent { kind: 'ready'; ts: number }
/**
 * A marker around bpftrace's periodic dump of @pend (bpf/pend-dump.bt): D
 * before it, E after it; Z from END, before its own dump at exit. ts: the
 * probe's CLOCK_MONOTONIC ns.
 */
export interface PendDumpEvent { kind: 'pend-dump'; edge: 'begin' | 'end' | 'exit'; ts: number }
export interface LostEvent { kind: 'lost'; count: number }
/** bpftrace's own chatter ("Attaching 5 probes...") and blank lines. */
export interface InfoEvent { kind: 'info'; text: string }
export interface MalformedEvent { kind: 'malformed'; line: string; reason: string }

export type ProbeEvent =
  | StartEvent | OutcomeEvent | JoinedEvent | LineCountEvent | ForkCountEvent | ConnectErrorEvent | ExecEvent | ForkEvent | ReadyEvent | PendDumpEvent | LostEvent | InfoEvent | MalformedEvent;
