// The newest records, serialised once, in one fixed block of memory and
// numbered by a sequence that only grows. It is both the backlog replayed to
// new clients and the shared queue every client reads from at its own cursor,
// so agent memory depends on the ring's size, not on how many clients there
// are or how slow they are, and retained records put no load on the GC.
//
// Each record is stored as its UTF-8 JSON followed by a comma, so a run of
// records is already the inside of a JSON array; a record never wraps (the
// tail of the block is skipped instead).

export class RecordRing {
  private readonly bytes: Buffer;
  private readonly starts: Int32Array;
  private readonly lengths: Int32Array;
  private next = 0;
  private first = 0;
  private writePos = 0;

  /** Holds at most `maxRecords` records and `maxBytes` bytes of JSON, whichever is reached first. */
  constructor(readonly maxRecords: number, readonly maxBytes: number) {
    this.bytes = Buffer.allocUnsafe(maxBytes);
    this.starts = new Int32Array(Math.max(1, maxRecords));
    this.lengths = new Int32Array(Math.max(1, maxRecords));
  }

  /** Stores one record (JSON text); false if it is larger than the whole ring. */
  push(json: string): boolean {
    const at = this.place(Buffer.byteLength(json) + 1);
    if (at < 0) return false;
    this.bytes.write(json, at, 'utf8');
    return true;
  }

  /** The same for a record's JSON as UTF-8 bytes (copied). */
  pushBytes(json: Uint8Array): boolean {
    const at = this.place(json.length + 1);
    if (at < 0) return false;
    this.bytes.set(json, at);
    return true;
  }

  /** Makes room for `len` bytes (JSON and comma), numbers them, writes the comma; where the JSON goes, or -1. */
  private place(len: number): number {
    if (len > this.maxBytes || this.maxRecords === 0) return -1;
    const wraps = this.writePos + len > this.maxBytes;
    const at = wraps ? 0 : this.writePos;
    this.evictFor(at, len, wraps);
    this.bytes[at + len - 1] = 0x2c; // ','
    const slot = this.next % this.maxRecords;
    this.starts[slot] = at;
    this.lengths[slot] = len;
    this.next += 1;
    this.writePos = at + len;
    return at;
  }

  // Drops the oldest records that the new one overwrites or skips past, and
  // any beyond the record limit.
  private evictFor(at: number, len: number, wraps: boolean): void {
    if (this.next - this.first >= this.maxRecords) this.first = this.next - this.maxRecords + 1;
    while (this.first < this.next) {
      const s = this.starts[this.first % this.maxRecords]!;
      const inTheWay = wraps ? s >= this.writePos || s < at + len : s >= this.writePos && s < at + len;
      if (!inTheWay) break;
      this.first += 1;
    }
  }

  /** Sequence number the next record will get. */
  get head(): number {
    return this.next;
  }

  /** Oldest sequence number still held. */
  get oldest(): number {
    return this.first;
  }

  /**
   * Records [from, to) as contiguous byte runs, comma-joined, without the final
   * comma; the caller keeps oldest <= from < to <= head. The runs are views into
   * the ring: copy them before the next push.
   */
  runs(from: number, to: number): Buffer[] {
    const out: Buffer[] = [];
    let runStart = -1;
    let runEnd = -1;
    for (let seq = from; seq < to; seq++) {
      const slot = seq % this.maxRecords;
      const s = this.starts[slot]!;
      if (s !== runEnd) {
        if (runStart >= 0) out.push(this.bytes.subarray(runStart, runEnd));
        runStart = s;
      }
      runEnd = s + this.lengths[slot]!;
    }
    out.push(this.bytes.subarray(runStart, runEnd - 1));
    return out;
  }
}
