// The sink stage's one small lifecycle: records in, then close.
import type { SrcRecord } from '../model/record.js';

export interface Sink {
  write(record: SrcRecord): void;
  /** Flush and release; resolves when everything written has reached its destination. */
  close(): Promise<void>;
}

/** Minimal writable the text sinks need (process.stdout, a file stream, a test buffer). */
export interface TextOut {
  /** `written` (if given) runs once the stream is done with `chunk` (or has failed). */
  write(chunk: string | Uint8Array, written?: (err?: Error | null) => void): boolean;
  once(event: 'drain', cb: () => void): unknown;
  end?(cb?: () => void): unknown;
}

/** Ends `out` unless it is the process's stdout/stderr, which must stay open. */
export function endStream(out: TextOut): Promise<void> {
  if (out === (process.stdout as unknown) || out === (process.stderr as unknown) || !out.end) return Promise.resolve();
  return new Promise((resolve) => out.end!(() => resolve()));
}
