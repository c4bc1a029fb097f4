// WebSocket protocol between the agent and the dashboard: one versioned
// definition for both sides. The protocol is read-only for clients: the server
// never acts on client messages beyond validating and (if bad) closing.
import type { SrcRecord } from './record.js';

export const PROTOCOL_VERSION = 1;
/** Path of the WebSocket endpoint on the dashboard's HTTP server. */
export const WS_PATH = '/ws';

export type ServerMessage =
  /** First message on every connection. */
  | { v: typeof PROTOCOL_VERSION; kind: 'hello'; agentVersion: string; backend: string | null; backlog: number; startedAt: string }
  /** A batch of records, oldest first (backlog batches, then live ones). */
  | { v: typeof PROTOCOL_VERSION; kind: 'records'; records: SrcRecord[]; backlog: boolean }
  /** Records this client did not get because it fell behind (its queue was full). */
  | { v: typeof PROTOCOL_VERSION; kind: 'gap'; dropped: number; totalDropped: number }
  /** Agent-wide counters, sent periodically. */
  | { v: typeof PROTOCOL_VERSION; kind: 'stats'; connections: number; lostKernel: number; lostAgent: number; clients: number }
  /** The tracer stopped (the socket closes after this). */
  | { v: typeof PROTOCOL_VERSION; kind: 'bye'; reason: string };

export type ServerMessageKind = ServerMessage['kind'];

/** The only message a client may send: a keep-alive. Anything else closes the connection. */
export type ClientMessage = { v: typeof PROTOCOL_VERSION; kind: 'ping' };

/** Largest client message accepted, in bytes; larger closes the connection (1009). */
export const MAX_CLIENT_MESSAGE_BYTES = 1024;

/** WebSocket close codes the server uses, so the UI can say why it was disconnected. */
export const CLOSE_CODE = {
  /** The agent stopped (after 'bye'). */
  goingAway: 1001,
  /** The client sent something other than a valid ping. */
  policyViolation: 1008,
  /** The client sent a message larger than MAX_CLIENT_MESSAGE_BYTES. */
  messageTooBig: 1009,
  /** The client could not keep up with the record stream. */
  tooSlow: 1013,
} as const;
