// When published records go out to clients: once BATCH_MAX have piled up or
// FLUSH_MS after the first unsent one, whichever comes first. Batching keeps
// the message count (and the browser's work per message) low at high rates.
import { BATCH_MAX } from './client-connection.js';

export const FLUSH_MS = 50;

export class FlushSchedule {
  private unflushed = 0;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;

  constructor(private readonly flush: () => void) {}

  /** Called by publish(): O(1), never runs the flush itself. */
  recordAdded(): void {
    this.unflushed += 1;
    if (this.immediate !== undefined) return;
    if (this.unflushed >= BATCH_MAX) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.immediate = setImmediate(this.run);
    } else if (this.timer === undefined) {
      this.timer = setTimeout(this.run, FLUSH_MS);
    }
  }

  stop(): void {
    clearTimeout(this.timer);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
  }

  private readonly run = (): void => {
    this.stop();
    this.unflushed = 0;
    this.flush();
  };
}
