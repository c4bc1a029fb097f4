// NDJSON: every record kind, one JSON object per line (the export contract).
// Connection records (all but a few) are written as bytes straight into the
// batch (connection-bytes.ts); the rest go through JSON.stringify.
import { toNdjsonLine } from '../model/format.js';
import type { ConnectionRecord, SrcRecord } from '../model/record.js';
import { batchedWriter } from './batched-writer.js';
import { ConnectionBytes } from './connection-bytes.js';
import { endStream, type Sink, type TextOut } from './sink.js';

export function ndjsonSink(out: TextOut): Sink {
  const w = batchedWriter(out);
  const bytes = new ConnectionBytes();
  // One function for every record (none made per record): it writes `current` and the newline.
  let current: ConnectionRecord | null = null;
  const writeCurrent = (buf: Buffer, at: number) => {
    const end = bytes.write(current!, buf, at);
    buf[end] = 10;
    return end + 1;
  };
  return {
    write: (record: SrcRecord) => {
      if (record.type !== 'connection') return w.line(toNdjsonLine(record));
      current = record;
      w.lineBytes(bytes.prepare(record) + 1, writeCurrent);
    },
    close: () => {
      w.flush();
      return endStream(out);
    },
  };
}
