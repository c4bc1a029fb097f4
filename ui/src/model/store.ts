// Everything the dashboard holds, updated incrementally: a batch costs work
// proportional to the batch; only a filter or lane-mode change (or an eviction
// every `evictChunk` records) rescans all stored connections.
import { dispatchRecord, type LostRecord, type SrcRecord, type StatusRecord } from '../../../agent/model/record.js';
import { toNdjsonLine } from '../../../agent/model/format.js';
import type { ServerMessage } from '../../../agent/model/messages.js';
import { toConn, type Conn } from './conn.js';
import {
  addLost, addRate, addSources, createRate, updateClockOffset, ZERO_LOSS, ZERO_PROTOCOL,
  type LossCounters, type ProtocolCounters, type RateBuckets,
} from './counters.js';
import { compileFilter, EMPTY_FILTER, type CompiledFilter, type FilterText, type LaneMode } from './filter.js';
import { addToLanes, buildLanes, type LaneIndex } from './lanes.js';
import type { ParseResult } from './validate.js';

export interface StoreOptions {
  /** most connections kept; the oldest go first */
  cap?: number;
  /** how many go at once when the cap is reached, so eviction is amortised */
  evictChunk?: number;
  /** run `fn` after `delayMs`; listeners are called from it (coalesced) */
  schedule?: (fn: () => void, delayMs: number) => void;
  now?: () => number;
}

export const DEFAULT_CAP = 200_000;
const MAX_SIDE_RECORDS = 1000;

export class ConnectionStore {
  readonly cap: number;
  readonly evictChunk: number;
  /** every stored connection, in arrival order */
  all: Conn[] = [];
  /** the filtered connections, in arrival order */
  view: Conn[] = [];
  /** bumps whenever `view` is rebuilt rather than appended to */
  generation = 0;
  filterText: FilterText = EMPTY_FILTER;
  filter: CompiledFilter = compileFilter(EMPTY_FILTER);
  lanes: LaneIndex = buildLanes([], 'process');
  /** connections per source address in the view */
  sources = new Map<string, number>();
  rate: RateBuckets = createRate();
  /** earliest start and latest end in the view */
  extent: { min: number; max: number } | null = null;
  loss: LossCounters = ZERO_LOSS;
  protocol: ProtocolCounters = ZERO_PROTOCOL;
  agentStats: { connections: number; clients: number } | null = null;
  lastStatus: StatusRecord | null = null;
  lostRecords: LostRecord[] = [];
  clockOffset = 0;
  selected: Conn | null = null;
  version = 0;

  private nextId = 1;
  private startedAt: string | null = null;
  /** records already held, consulted while a reconnect replays the backlog */
  private replayed: Set<string> | null = null;
  private listeners = new Set<() => void>();
  private pending = false;
  private readonly schedule: (fn: () => void, delayMs: number) => void;
  private readonly now: () => number;

  constructor(opts: StoreOptions = {}) {
    this.cap = opts.cap ?? DEFAULT_CAP;
    this.evictChunk = Math.max(1, Math.min(opts.evictChunk ?? Math.ceil(this.cap / 20), this.cap));
    this.schedule = opts.schedule ?? ((fn, ms) => setTimeout(fn, ms));
    this.now = opts.now ?? Date.now;
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getVersion = (): number => this.version;

  /** Data changes are coalesced (a flood of batches repaints ~10 times a second); interactions are not. */
  private changed(urgent: boolean): void {
    this.version++;
    if (this.pending && !urgent) return;
    this.pending = true;
    this.schedule(() => {
      this.pending = false;
      for (const l of this.listeners) l();
    }, urgent ? 0 : 250);
  }

  /** Apply one result from the WebSocket boundary. */
  receive(result: ParseResult): void {
    if (result.status === 'unknown-kind') {
      this.protocol = { ...this.protocol, unknownKinds: this.protocol.unknownKinds + 1 };
      this.changed(false);
      return;
    }
    if (result.status === 'malformed') {
      this.protocol = { ...this.protocol, malformedMessages: this.protocol.malformedMessages + 1 };
      this.changed(false);
      return;
    }
    if (result.unknownRecords || result.malformedRecords) {
      this.protocol = {
        ...this.protocol,
        unknownRecords: this.protocol.unknownRecords + result.unknownRecords,
        malformedRecords: this.protocol.malformedRecords + result.malformedRecords,
      };
    }
    this.handle(result.message);
  }

  private handle(m: ServerMessage): void {
    switch (m.kind) {
      case 'hello':
        // The same agent run replays its backlog after a reconnect: skip what is already here.
        this.replayed = m.startedAt === this.startedAt && m.backlog > 0 ? this.heldKeys() : null;
        this.startedAt = m.startedAt;
        break;
      case 'records':
        this.addRecords(m.records, m.backlog);
        return;
      case 'gap':
        this.loss = { ...this.loss, droppedHere: this.loss.droppedHere + m.dropped };
        break;
      case 'stats':
        this.loss = { ...this.loss, statsLostKernel: m.lostKernel, statsLostAgent: m.lostAgent };
        this.agentStats = { connections: m.connections, clients: m.clients };
        break;
      case 'bye':
        break;
    }
    this.changed(false);
  }

  private heldKeys(): Set<string> {
    const keys = new Set<string>();
    for (const c of this.all) keys.add(toNdjsonLine(c.rec));
    for (const r of this.lostRecords) keys.add(toNdjsonLine(r));
    if (this.lastStatus) keys.add(toNdjsonLine(this.lastStatus));
    return keys;
  }

  addRecords(records: readonly SrcRecord[], backlog: boolean): void {
    if (!backlog) this.replayed = null;
    const fresh: Conn[] = [];
    for (const rec of records) {
      if (this.replayed?.has(toNdjsonLine(rec))) continue;
      dispatchRecord<void>(rec, {
        connection: (r) => {
          fresh.push(toConn(r, this.nextId++));
        },
        lost: (r) => {
          this.loss = addLost(this.loss, r);
          this.lostRecords.push(r);
          if (this.lostRecords.length > MAX_SIDE_RECORDS) this.lostRecords.shift();
        },
        status: (r) => {
          this.lastStatus = r;
        },
      });
    }
    let newestEnd = -Infinity;
    const matched: Conn[] = [];
    for (const c of fresh) {
      this.all.push(c);
      if (c.end > newestEnd) newestEnd = c.end;
      if (this.filter.matches(c.rec)) matched.push(c);
    }
    if (!backlog && fresh.length > 0) this.clockOffset = updateClockOffset(this.clockOffset, newestEnd, this.now());
    if (this.all.length > this.cap) {
      const drop = this.all.length - (this.cap - this.evictChunk);
      this.all = this.all.slice(drop);
      this.loss = { ...this.loss, evicted: this.loss.evicted + drop };
      this.rebuild();
    } else {
      this.appendToView(matched);
    }
    this.changed(false);
  }

  private appendToView(conns: readonly Conn[]): void {
    if (conns.length === 0) return;
    for (const c of conns) {
      this.view.push(c);
      addRate(this.rate, c.start);
      if (this.extent === null) this.extent = { min: c.start, max: c.end };
      else {
        if (c.start < this.extent.min) this.extent.min = c.start;
        if (c.end > this.extent.max) this.extent.max = c.end;
      }
    }
    addSources(this.sources, conns.map((c) => c.rec.saddr));
    addToLanes(this.lanes, conns);
  }

  /** Recompute everything derived from `all` (filter or lane mode changed, or oldest evicted). */
  private rebuild(): void {
    this.view = [];
    this.lanes = buildLanes([], this.lanes.mode);
    this.sources = new Map();
    this.rate = createRate();
    this.extent = null;
    this.appendToView(this.all.filter((c) => this.filter.matches(c.rec)));
    this.generation++;
  }

  setFilter(text: FilterText): void {
    this.filterText = text;
    this.filter = compileFilter(text);
    this.rebuild();
    this.changed(true);
  }

  setLaneMode(mode: LaneMode): void {
    if (mode === this.lanes.mode) return;
    this.lanes = buildLanes(this.view, mode);
    this.changed(true);
  }

  select(conn: Conn | null): void {
    if (conn === this.selected) return;
    this.selected = conn;
    this.changed(true);
  }

  /** Agent time now, by this browser's clock. */
  agentNow(): number {
    return this.now() + this.clockOffset;
  }
}
