// NDJSON: every record kind, one JSON object per line (the export contract).
import { agentNdjsonLine } from '../model/format.js';
import type { SrcRecord } from '../model/record.js';
import { batchedWriter } from './batched-writer.js';
import { endStream, type Sink, type TextOut } from './sink.js';

export function ndjsonSink(out: TextOut): Sink {
  const w = batchedWriter(out);
  return {
    write: (record: SrcRecord) => w.line(agentNdjsonLine(record)),
    close: () => {
      w.flush();
      return endStream(out);
    },
  };
}
