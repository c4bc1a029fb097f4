// Gathers lines and writes them once per event-loop turn (or when the batch
// is full): one write per batch instead of one per record keeps a connect
// storm cheap, and a record is still out within the same turn it was made.
// Lines are encoded straight into one buffer per batch: joining hundreds of
// strings and encoding the result cost a fifth of the agent's time in a storm.
import type { TextOut } from './sink.js';

export interface BatchedWriter {
  line(text: string): void;
  flush(): void;
}

const BATCH_BYTES = 256 * 1024;

export function batchedWriter(out: TextOut): BatchedWriter {
  let buf = Buffer.allocUnsafe(BATCH_BYTES);
  let used = 0;
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (used === 0) return;
    // The stream keeps this buffer until written: the next batch gets a new one.
    out.write(buf.subarray(0, used));
    buf = Buffer.allocUnsafe(BATCH_BYTES);
    used = 0;
  };
  return {
    line(text: string) {
      // UTF-8 takes at most 3 bytes per UTF-16 unit; +1 for the newline.
      const most = text.length * 3 + 1;
      if (used + most > buf.length) {
        flush();
        if (most > buf.length) buf = Buffer.allocUnsafe(most);
      }
      used += buf.write(text, used, 'utf8');
      buf[used++] = 10;
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    flush,
  };
}
