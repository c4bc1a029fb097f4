// One client's position in the shared RecordRing: its backlog, its live queue
// (bounded by clientQueueLimit) and the records it lost by falling behind.
import type { RecordRing } from './record-ring.js';

export interface Gap {
  dropped: number;
  totalDropped: number;
}

/** Records [from, to) of the ring, all backlog or all live. */
export interface Batch {
  from: number;
  to: number;
  backlog: boolean;
}

export class ClientQueue {
  /** Next sequence number to send. */
  private cursor: number;
  /** First live sequence number; everything before it is backlog. */
  readonly liveStart: number;
  /** Dropped since the last gap report: "in a row, without draining". */
  private droppedSinceGap = 0;
  private totalDropped = 0;

  constructor(private readonly ring: RecordRing, backlogLimit: number, private readonly queueLimit: number) {
    this.liveStart = ring.head;
    this.cursor = Math.max(ring.oldest, ring.head - backlogLimit);
  }

  get backlogSize(): number {
    return this.liveStart - this.cursor;
  }

  get inBacklog(): boolean {
    return this.cursor < this.liveStart;
  }

  get droppedInARow(): number {
    return this.droppedSinceGap;
  }

  /**
   * Skips what this client can no longer have: live records beyond its queue
   * limit (oldest first, the unsent backlog with them) and anything the ring
   * has overwritten. Cheap: called before each send, not on publish.
   */
  dropOverflow(): void {
    const head = this.ring.head;
    let floor = this.ring.oldest;
    if (head - Math.max(this.cursor, this.liveStart) > this.queueLimit) floor = Math.max(floor, head - this.queueLimit);
    if (this.cursor >= floor) return;
    const n = floor - this.cursor;
    this.cursor = floor;
    this.droppedSinceGap += n;
    this.totalDropped += n;
  }

  /** The drop report owed to the client, once; resets the in-a-row count. */
  takeGap(): Gap | null {
    if (this.droppedSinceGap === 0) return null;
    const gap = { dropped: this.droppedSinceGap, totalDropped: this.totalDropped };
    this.droppedSinceGap = 0;
    return gap;
  }

  /** Up to `max` records, never mixing backlog and live ones; live ones only below `released`. */
  takeBatch(max: number, released: number): Batch | null {
    const backlog = this.inBacklog;
    const end = Math.min(backlog ? this.liveStart : Math.min(released, this.ring.head), this.cursor + max);
    if (end <= this.cursor) return null;
    const batch = { from: this.cursor, to: end, backlog };
    this.cursor = end;
    return batch;
  }
}
