// NDJSON: every record kind, one JSON object per line (the export contract).
import { toNdjsonLine } from '../model/format.js';
import type { SrcRecord } from '../model/record.js';
import { endStream, type Sink, type TextOut } from './sink.js';

export function ndjsonSink(out: TextOut): Sink {
  return {
    write(record: SrcRecord) {
      out.write(`${toNdjsonLine(record)}\n`);
    },
    close: () => endStream(out),
  };
}
