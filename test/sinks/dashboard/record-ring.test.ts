// The shared ring keeps exactly the newest records that fit its record and
// byte limits, in order, whatever their sizes and however often it wraps.
import { describe, expect, it } from 'vitest';
import { RecordRing } from '../../../agent/sinks/dashboard/record-ring.js';
import { ClientQueue } from '../../../agent/sinks/dashboard/client-queue.js';

function held(ring: RecordRing): unknown[] {
  if (ring.oldest === ring.head) return [];
  return JSON.parse(`[${Buffer.concat(ring.runs(ring.oldest, ring.head)).toString('utf8')}]`) as unknown[];
}

describe('RecordRing', () => {
  it('holds the newest records within both limits, across many wraps', () => {
    const ring = new RecordRing(50, 2000);
    const all: { i: number; pad: string }[] = [];
    let seed = 7;
    for (let i = 0; i < 5000; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const rec = { i, pad: 'é'.repeat(seed % 120) }; // multi-byte, so bytes != characters
      all.push(rec);
      // Text and bytes (how connection records come) take turns: both must store the same.
      const json = JSON.stringify(rec);
      expect(i % 2 ? ring.pushBytes(Buffer.from(json)) : ring.push(json)).toBe(true);
      const kept = held(ring);
      expect(kept).toEqual(all.slice(ring.oldest));
      expect(ring.head - ring.oldest).toBeLessThanOrEqual(50);
      // What is held is always a suffix of everything pushed (checked above) and fits the byte limit.
      const bytes = kept.reduce<number>((n, r) => n + Buffer.byteLength(JSON.stringify(r)) + 1, 0);
      expect(bytes).toBeLessThanOrEqual(2000);
    }
    expect(ring.head).toBe(5000);
  });

  it('refuses a record larger than the whole ring instead of corrupting it', () => {
    const ring = new RecordRing(10, 64);
    ring.push('{"a":1}');
    expect(ring.push(JSON.stringify({ big: 'x'.repeat(100) }))).toBe(false);
    expect(ring.pushBytes(Buffer.from(JSON.stringify({ big: 'y'.repeat(100) })))).toBe(false);
    expect(held(ring)).toEqual([{ a: 1 }]);
  });
});

describe('ClientQueue', () => {
  it('replays the backlog, then live records, and counts what overflowed as one gap', () => {
    const ring = new RecordRing(100, 1 << 20);
    for (let i = 0; i < 30; i++) ring.push(String(i));
    const q = new ClientQueue(ring, 10, 5);
    expect(q.backlogSize).toBe(10);
    expect(q.takeBatch(4, ring.head)).toEqual({ from: 20, to: 24, backlog: true });
    for (let i = 30; i < 40; i++) ring.push(String(i));
    // 10 live records against a limit of 5: the rest of the backlog and the 5 oldest live ones go.
    q.dropOverflow();
    expect(q.takeGap()).toEqual({ dropped: 11, totalDropped: 11 });
    expect(q.takeGap()).toBeNull();
    expect(q.takeBatch(100, 38)).toEqual({ from: 35, to: 38, backlog: false }); // only released records
    expect(q.takeBatch(100, ring.head)).toEqual({ from: 38, to: 40, backlog: false });
    expect(q.takeBatch(100, ring.head)).toBeNull();
  });
});
