// The drain helper's binary frames decode to exactly what the same connect's C
// line decodes to. Frames are built from the C lines of a real capture
// (recorded with the line format the helper's --text mode still prints), so
// both decoders are held to one truth; the real helper and kernel map are
// exercised in test/probes/map-drain.test.ts.
import { describe, expect, it } from 'vitest';
import { decodeLine } from '../../agent/decode/decode-line.js';
import { decodeFrame, FRAME_BYTES, frameToLine } from '../../agent/decode/joined-frame.js';
import { captureLines } from '../helpers/capture.js';

/** A C line's fields laid out as the kernel stores the @done entry (key sk, ts; 23 u64 values). */
function lineToFrame(line: string): Buffer {
  const f = line.split(' ').slice(1);
  const b = Buffer.alloc(FRAME_BYTES);
  const dec = (s: string) => BigInt.asUintN(64, BigInt(s));
  const hex = (s: string) => BigInt(`0x${s}`);
  // Field kinds in C-line order after the tag; the frame puts sk (field 2) first.
  const kinds = 'd h d d d d d d h h h h d d d h h d d d d h h h h'.split(' ');
  const values = f.map((v, i) => (kinds[i] === 'h' ? hex(v) : dec(v)));
  const order = [1, 0, ...Array.from({ length: 23 }, (_, i) => i + 2)];
  order.forEach((from, word) => b.writeBigUInt64LE(values[from]!, word * 8));
  return b;
}

describe('drained frames', () => {
  const lines = captureLines('joined-and-pending.txt').filter((l) => l.startsWith('C '));

  it('decode like the C lines of a real capture (hostile name, refused, IPv6, IPv4-mapped, bound)', () => {
    expect(lines.length).toBeGreaterThanOrEqual(5);
    for (const line of lines) {
      const frame = lineToFrame(line);
      expect(decodeFrame(frame)).toEqual(decodeLine(line));
      expect(frameToLine(frame)).toBe(line);
    }
  });

  it('decode at any offset of a chunk, and share repeated values', () => {
    const chunk = Buffer.concat([Buffer.alloc(3), ...lines.map(lineToFrame), ...lines.map(lineToFrame)]);
    const events = lines.concat(lines).map((_, i) => decodeFrame(chunk, 3 + i * FRAME_BYTES));
    expect(events).toEqual(lines.concat(lines).map((l) => decodeLine(l)));
    const [a, b] = [events[0]!, events[lines.length]!];
    if (a.kind !== 'joined' || b.kind !== 'joined') throw new Error('not joined');
    expect(b.start.commBytes).toBe(a.start.commBytes);
  });

  it('a buffer refilled in place (as the reader does for a frame cut between reads) decodes its new bytes', () => {
    const head = Buffer.alloc(FRAME_BYTES);
    const other = Buffer.concat([Buffer.alloc(5), lineToFrame(lines[2]!)]).subarray(5);
    for (const line of [lines[0]!, lines[1]!, lines[0]!]) {
      lineToFrame(line).copy(head);
      expect(decodeFrame(head)).toEqual(decodeLine(line));
      // Another buffer in between, at an odd offset of its memory.
      expect(decodeFrame(other)).toEqual(decodeLine(lines[2]!));
    }
  });

  it('a frame whose family is neither AF_INET nor AF_INET6 is malformed, not a record', () => {
    const frame = lineToFrame(lines[0]!);
    frame.writeBigUInt64LE(1n, 7 * 8);
    const ev = decodeFrame(frame);
    expect(ev.kind).toBe('malformed');
    expect(ev.kind === 'malformed' && ev.reason).toMatch(/family 1, neither AF_INET nor AF_INET6/);
  });
});
