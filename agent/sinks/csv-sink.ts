// CSV holds connection rows only; loss and status go to `notices` (stderr) so
// they still reach the user without breaking the table's columns.
import { CSV_HEADER, toCsvRow } from '../model/format.js';
import { dispatchRecord, type SrcRecord } from '../model/record.js';
import { batchedWriter } from './batched-writer.js';
import { describeNotice } from './notice.js';
import { endStream, type Sink, type TextOut } from './sink.js';

export function csvSink(out: TextOut, notices: TextOut): Sink {
  const w = batchedWriter(out);
  w.line(CSV_HEADER);
  return {
    write(record: SrcRecord) {
      dispatchRecord(record, {
        connection: (r) => w.line(toCsvRow(r)),
        lost: (r) => notices.write(`${describeNotice(r)}\n`),
        status: (r) => notices.write(`${describeNotice(r)}\n`),
      });
    },
    close: () => {
      w.flush();
      return endStream(out);
    },
  };
}
