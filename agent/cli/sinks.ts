// Chooses the output sink from --format / --output and whether stdout is a terminal.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { UsageError } from '../errors.js';
import { csvSink } from '../sinks/csv-sink.js';
import { ndjsonSink } from '../sinks/ndjson-sink.js';
import type { Sink, TextOut } from '../sinks/sink.js';
import { tableSink } from '../sinks/table-sink.js';
import { timeOrdered } from '../sinks/time-ordered.js';
import { DRAIN_INTERVAL_MS } from '../probes/map-drain.js';
import type { Format } from './args.js';

export function resolveFormat(format: Format | null, output: string | null, isTty: boolean): Format {
  if (format) return format;
  if (output) return /\.csv$/i.test(output) ? 'csv' : 'ndjson';
  return isTty ? 'table' : 'ndjson';
}

export async function openOutput(output: string | null): Promise<TextOut> {
  if (!output) return process.stdout;
  const stream = createWriteStream(output, { flags: 'w' });
  try {
    await once(stream, 'open');
  } catch (cause) {
    throw new UsageError(`cannot write --output ${output}: ${(cause as Error).message}`, { cause });
  }
  return stream;
}

export function makeSink(format: Format, out: TextOut): Sink {
  switch (format) {
    case 'table':
      // Read by a person, top to bottom: in start order, held long enough
      // that a drained connect (up to one drain interval late) still goes
      // above a later failed connect() read at once. Exports keep the
      // kernel's order and no delay (sort by ts if needed).
      return timeOrdered(tableSink(out), DRAIN_INTERVAL_MS + 150);
    case 'csv':
      return csvSink(out, process.stderr);
    case 'ndjson':
      return ndjsonSink(out);
  }
}
