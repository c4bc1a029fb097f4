// Splits a byte stream into lines. bpftrace lines are short; a "line" longer
// than maxLine is cut and handed on whole-ish so the decoder can count it as
// malformed instead of letting memory grow.
export class LineSplitter {
  private rest = '';
  constructor(private readonly onLine: (line: string) => void, private readonly maxLine = 8192) {}

  push(chunk: string): void {
    let nl = chunk.indexOf('\n');
    if (nl < 0) {
      this.rest += chunk;
      if (this.rest.length > this.maxLine) this.flushOverlong();
      return;
    }
    this.onLine(this.rest + chunk.slice(0, nl));
    this.rest = '';
    let start = nl + 1;
    while ((nl = chunk.indexOf('\n', start)) >= 0) {
      this.onLine(chunk.slice(start, nl));
      start = nl + 1;
    }
    this.rest = chunk.slice(start);
    if (this.rest.length > this.maxLine) this.flushOverlong();
  }

  /** At end of stream: a last line without newline is still a line. */
  end(): void {
    if (this.rest !== '') this.onLine(this.rest);
    this.rest = '';
  }

  private flushOverlong(): void {
    this.onLine(this.rest);
    this.rest = '';
  }
}
