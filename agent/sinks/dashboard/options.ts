// Dashboard options as the CLI passes them, and the defaults that fill the gaps.
import type { SrcRecord } from '../../model/record.js';
import { DashboardTokenError } from './errors.js';
import { generateToken } from './token.js';

export interface DashboardOptions {
  /** Listen address; the CLI passes '127.0.0.1' unless told otherwise. */
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Directory with the built UI (index.html + assets/). */
  staticDir: string;
  /** Default: 256 random bits, base64url. */
  token?: string;
  /** Recent records replayed to a new client (default 50_000). */
  backlogLimit?: number;
  /** Records queued for one client before its oldest are dropped (default 20_000). */
  clientQueueLimit?: number;
  /** Close a client after this many drops in a row without draining (default 200_000). */
  disconnectAfterDropped?: number;
  /** WebSocket ping interval (default 15_000). */
  heartbeatMs?: number;
  agentVersion: string;
  backend: string | null;
}

export interface DashboardServer {
  /** The URL to print, token included: opening it logs the browser in. */
  url: string;
  port: number;
  host: string;
  token: string;
  /** O(1) amortised, never blocks, never throws. */
  publish(record: SrcRecord): void;
  setStats(s: { connections: number; lostKernel: number; lostAgent: number }): void;
  /** Sends 'bye', closes every socket and the server. */
  close(reason: string): Promise<void>;
}

export type ResolvedOptions = Required<Omit<DashboardOptions, 'token'>> & { token: string };

export const DEFAULTS = {
  backlogLimit: 50_000,
  clientQueueLimit: 20_000,
  disconnectAfterDropped: 200_000,
  heartbeatMs: 15_000,
} as const;

// 22 base64url characters carry 132 bits; anything shorter is guessable.
const MIN_TOKEN_CHARS = 22;

export function resolveOptions(opts: DashboardOptions): ResolvedOptions {
  const token = opts.token ?? generateToken();
  if (token.length < MIN_TOKEN_CHARS) throw new DashboardTokenError(`it must be at least ${MIN_TOKEN_CHARS} characters`);
  // The token goes into a cookie and a URL unescaped, so keep to the base64url alphabet.
  if (!/^[A-Za-z0-9_-]+$/.test(token)) throw new DashboardTokenError('use only letters, digits, - and _');
  return {
    host: opts.host,
    port: opts.port,
    staticDir: opts.staticDir,
    token,
    backlogLimit: nonNegative(opts.backlogLimit, DEFAULTS.backlogLimit),
    clientQueueLimit: Math.max(1, nonNegative(opts.clientQueueLimit, DEFAULTS.clientQueueLimit)),
    disconnectAfterDropped: Math.max(1, nonNegative(opts.disconnectAfterDropped, DEFAULTS.disconnectAfterDropped)),
    heartbeatMs: Math.max(1, nonNegative(opts.heartbeatMs, DEFAULTS.heartbeatMs)),
    agentVersion: opts.agentVersion,
    backend: opts.backend,
  };
}

function nonNegative(value: number | undefined, fallback: number): number {
  return value === undefined || !Number.isFinite(value) || value < 0 ? fallback : Math.floor(value);
}
