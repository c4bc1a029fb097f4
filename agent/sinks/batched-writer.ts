// Gathers lines and writes them once per event-loop turn (or every 512
// lines): one write per batch instead of one per record keeps a connect storm
// cheap, and a record is still out within the same turn it was made.
import type { TextOut } from './sink.js';

export interface BatchedWriter {
  line(text: string): void;
  flush(): void;
}

export function batchedWriter(out: TextOut, maxLines = 512): BatchedWriter {
  let pending: string[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (pending.length === 0) return;
    const chunk = pending.join('');
    pending = [];
    out.write(chunk);
  };
  return {
    line(text: string) {
      pending.push(`${text}\n`);
      if (pending.length >= maxLines) flush();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    flush,
  };
}
