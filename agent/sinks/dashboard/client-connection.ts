// One browser tab: sends its backlog and live batches as fast as its socket
// takes them, and never more. A client that stops reading gets its records
// dropped (then a `gap` when it drains) and is finally disconnected, so it can
// neither grow agent memory nor hold up anyone else.
import type { WebSocket } from 'ws';
import { CLOSE_CODE, PROTOCOL_VERSION } from '../../model/messages.js';
import { clientMessageError } from './client-message.js';
import type { ClientQueue } from './client-queue.js';
import type { RecordRing } from './record-ring.js';
import { encodeMessage, encodeRecordBatch } from './wire.js';

/** Records per `records` message. */
export const BATCH_MAX = 500;
// Stop handing data to ws above this many unsent bytes; loopback clients that
// keep up sit near zero, so anything above means the client is behind.
const HIGH_WATER_BYTES = 1024 * 1024;
// Unsent bytes past which a client is cut off whatever its drop count.
const HARD_CAP_BYTES = 64 * 1024 * 1024;
// A client told to go away gets this long to finish the close handshake.
const CLOSE_GRACE_MS = 1000;

export interface ClientLimits {
  disconnectAfterDropped: number;
  /** Live records below this sequence number are due (the flush schedule moves it). */
  released: () => number;
}

export class DashboardClient {
  /** Answered the last heartbeat ping. */
  private alive = true;
  private closing = false;
  private closeTimer: NodeJS.Timeout | undefined;
  readonly closed: Promise<void>;

  constructor(
    private readonly ws: WebSocket,
    private readonly ring: RecordRing,
    private readonly queue: ClientQueue,
    private readonly limits: ClientLimits,
  ) {
    this.closed = new Promise((resolve) => ws.once('close', () => {
      clearTimeout(this.closeTimer);
      resolve();
    }));
    // ws reports protocol errors (e.g. a message over maxPayload, closed 1009) here and closes by itself.
    ws.on('error', () => {});
    ws.on('pong', () => { this.alive = true; });
    ws.on('message', (data, isBinary) => {
      const error = clientMessageError(data, isBinary);
      if (error !== null) this.hangUp(CLOSE_CODE.policyViolation, error);
    });
  }

  /** `hello` first, then the backlog. */
  start(hello: string): void {
    this.ws.send(hello);
    this.pump();
  }

  /**
   * Sends what the socket will take: the backlog at socket speed, live records
   * once the flush schedule has released them. Runs on each flush tick and
   * whenever a batch reaches the kernel.
   */
  pump(): void {
    if (this.closing || this.ws.readyState !== this.ws.OPEN) return;
    this.queue.dropOverflow();
    if (this.queue.droppedInARow >= this.limits.disconnectAfterDropped || this.ws.bufferedAmount > HARD_CAP_BYTES) {
      this.hangUp(CLOSE_CODE.tooSlow, 'too slow');
      return;
    }
    while (this.ws.bufferedAmount < HIGH_WATER_BYTES) {
      const gap = this.queue.takeGap();
      if (gap !== null) this.ws.send(encodeMessage({ v: PROTOCOL_VERSION, kind: 'gap', ...gap }));
      const batch = this.queue.takeBatch(BATCH_MAX, this.limits.released());
      if (batch === null) return;
      this.ws.send(encodeRecordBatch(this.ring, batch.from, batch.to, batch.backlog), { binary: false }, this.onWritten);
    }
  }

  // A batch reached the kernel: if the socket has room again, keep going.
  // (Node reports success as null or undefined depending on the write path.)
  private readonly onWritten = (err?: Error | null): void => {
    if (!err && this.ws.bufferedAmount < HIGH_WATER_BYTES / 2) this.pump();
  };

  /** Small periodic messages (stats) are skipped, not queued, for a client that is behind. */
  sendIfKeepingUp(message: string): void {
    if (!this.closing && this.ws.readyState === this.ws.OPEN && this.ws.bufferedAmount < HIGH_WATER_BYTES) this.ws.send(message);
  }

  /** Heartbeat tick: false if the previous ping went unanswered (and the client was cut off). */
  heartbeat(): boolean {
    if (!this.alive) {
      this.ws.terminate();
      return false;
    }
    this.alive = false;
    if (this.ws.readyState === this.ws.OPEN) this.ws.ping();
    return true;
  }

  /** Agent shutdown: `bye`, then a normal close. Resolves once the socket is gone. */
  shutdown(bye: string, reason: string): Promise<void> {
    if (!this.closing && this.ws.readyState === this.ws.OPEN) this.ws.send(bye);
    this.hangUp(CLOSE_CODE.goingAway, reason);
    return this.closed;
  }

  private hangUp(code: number, reason: string): void {
    if (this.closing) return;
    this.closing = true;
    this.ws.close(code, truncateReason(reason));
    // A client that stopped reading never answers the close frame; do not wait ws's 30 s for it.
    this.closeTimer = setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS);
  }
}

// A close reason must fit in 123 bytes of UTF-8.
function truncateReason(reason: string): string {
  let r = reason;
  while (Buffer.byteLength(r) > 123) r = r.slice(0, -1);
  return r;
}
