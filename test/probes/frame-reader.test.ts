// The drain helper's output arrives in pipe reads of any size: the hello line
// and frames may be cut anywhere, and output that is not the helper's must be
// refused rather than read as frames.
import { describe, expect, it } from 'vitest';
import { FRAME_BYTES } from '../../agent/decode/joined-frame.js';
import { FrameReader } from '../../agent/probes/map-drain.js';

function frames(n: number): Buffer {
  const b = Buffer.alloc(n * FRAME_BYTES);
  for (let i = 0; i < n; i++) b.writeUInt32LE(1000 + i, i * FRAME_BYTES);
  return b;
}

describe('FrameReader', () => {
  it('hands over each whole frame once, however the output is cut', () => {
    const output = Buffer.concat([Buffer.from('DRAINING\n'), frames(7)]);
    for (const cut of [1, 3, 9, 10, 137, 199, 200, 201, 333, 450, output.length]) {
      const seen: number[] = [];
      let hellos = 0;
      const r = new FrameReader(() => hellos++, (buf, count) => {
        for (let i = 0; i < count; i++) seen.push(buf.readUInt32LE(i * FRAME_BYTES));
      });
      for (let o = 0; o < output.length; o += cut) expect(r.push(output.subarray(o, o + cut))).toBe(true);
      expect(hellos).toBe(1);
      expect(seen).toEqual([1000, 1001, 1002, 1003, 1004, 1005, 1006]);
      expect(r.partial).toBe(0);
    }
  });

  it('reports a frame cut off by the end of the output', () => {
    const r = new FrameReader(() => {}, () => {});
    r.push(Buffer.concat([Buffer.from('DRAINING\n'), frames(2).subarray(0, 250)]));
    expect(r.partial).toBe(50);
  });

  it('refuses output that does not start with the hello line', () => {
    let called = false;
    const r = new FrameReader(() => (called = true), () => (called = true));
    expect(r.push(Buffer.from('srctrace-drain: oops\n'))).toBe(false);
    expect(r.protocolError).toMatch(/srctrace-drain printed "srctrace-drain: oop.*" instead of "DRAINING\\n"/);
    expect(r.push(frames(1))).toBe(false);
    expect(called).toBe(false);
  });
});
