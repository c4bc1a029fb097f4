// Encoding of server messages. Record batches are assembled from the bytes the
// ring already holds instead of re-serialising each record for each client;
// the result is the same JSON as a `records` ServerMessage.
import { PROTOCOL_VERSION, type ServerMessage } from '../../model/messages.js';
import type { RecordRing } from './record-ring.js';

export function encodeMessage(msg: ServerMessage): string {
  return JSON.stringify(msg);
}

const BATCH_HEAD = Buffer.from(`{"v":${PROTOCOL_VERSION},"kind":"records","records":[`);
const BATCH_TAIL_BACKLOG = Buffer.from('],"backlog":true}');
const BATCH_TAIL_LIVE = Buffer.from('],"backlog":false}');

/** A `records` message for ring records [from, to), as a fresh buffer (the ring's bytes get reused). */
export function encodeRecordBatch(ring: RecordRing, from: number, to: number, backlog: boolean): Buffer {
  return Buffer.concat([BATCH_HEAD, ...ring.runs(from, to), backlog ? BATCH_TAIL_BACKLOG : BATCH_TAIL_LIVE]);
}
