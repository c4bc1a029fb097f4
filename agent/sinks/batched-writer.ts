// Gathers lines and writes them once per event-loop turn (or when the batch
// is full): one write per batch instead of one per record keeps a connect
// storm cheap, and a record is still out within the same turn it was made.
// Lines are encoded straight into one buffer per batch: joining hundreds of
// strings and encoding the result cost a fifth of the agent's time in a storm.
// A batch's buffer returns to a small pool once the stream has written it:
// a fresh 256 KB buffer per batch meant page faults on every first touch
// and external memory that drove the garbage collector.
import type { TextOut } from './sink.js';

export interface BatchedWriter {
  line(text: string): void;
  /**
   * A line written by `write` straight into the batch: it gets the buffer
   * with at least `most` bytes free from `at` and returns where its bytes
   * (newline included) end.
   */
  lineBytes(most: number, write: (buf: Buffer, at: number) => number): void;
  flush(): void;
}

const BATCH_BYTES = 256 * 1024;
/** Written batches' buffers kept for reuse (more are in flight only when the stream lags). */
const POOL_MAX = 4;

export function batchedWriter(out: TextOut): BatchedWriter {
  const pool: Buffer[] = [];
  const fresh = () => pool.pop() ?? Buffer.allocUnsafe(BATCH_BYTES);
  let buf = fresh();
  let used = 0;
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (used === 0) return;
    // The stream keeps this buffer until written: the next batch takes another.
    const full = buf;
    out.write(full.subarray(0, used), () => {
      if (full.length === BATCH_BYTES && pool.length < POOL_MAX) pool.push(full);
    });
    buf = fresh();
    used = 0;
  };
  const room = (most: number) => {
    if (used + most > buf.length) {
      flush();
      if (most > buf.length) buf = Buffer.allocUnsafe(most);
    }
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
  return {
    line(text: string) {
      // UTF-8 takes at most 3 bytes per UTF-16 unit; +1 for the newline.
      room(text.length * 3 + 1);
      used += buf.write(text, used, 'utf8');
      buf[used++] = 10;
    },
    lineBytes(most, write) {
      room(most);
      used = write(buf, used);
    },
    flush,
  };
}
