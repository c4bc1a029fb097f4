import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packColor } from '../../ui/src/model/colors.js';
import { buildLanes } from '../../ui/src/model/lanes.js';
import { drawFrame } from '../../ui/src/timeline/draw.js';
import { LAYOUT } from '../../ui/src/timeline/layout.js';
import { fillSpan } from '../../ui/src/timeline/raster.js';
import { at, conn, refused } from './fixtures.js';

/** Node has no ImageData; the rasteriser only needs its shape. */
class FakeImageData {
  data: Uint8ClampedArray;
  constructor(readonly width: number, readonly height: number) {
    this.data = new Uint8ClampedArray(width * height * 4);
  }
}

/** Records the plot image; every other canvas call is a no-op. */
function fakeContext() {
  const put: { image: FakeImageData; x: number; y: number }[] = [];
  const ctx = new Proxy({} as Record<string | symbol, unknown>, {
    get: (t, k) => (k === 'putImageData' ? (image: FakeImageData, x: number, y: number) => put.push({ image, x, y })
      : k === 'measureText' ? () => ({ width: 6.6 })
      : k in t ? t[k] : () => {}),
    set: (t, k, v) => ((t[k] = v), true),
  });
  return { ctx: ctx as unknown as CanvasRenderingContext2D, put };
}

describe('timeline raster', () => {
  const had = 'ImageData' in globalThis;
  beforeAll(() => {
    if (!had) (globalThis as Record<string, unknown>).ImageData = FakeImageData;
  });
  afterAll(() => {
    if (!had) delete (globalThis as Record<string, unknown>).ImageData;
  });

  it('packs #rrggbb as little-endian opaque RGBA', () => {
    expect(packColor('#102030')).toBe(0xff302010);
  });

  it('fills spans clipped to the row', () => {
    const row = new Uint32Array(8);
    fillSpan(row, -3, 2.2, 7);
    fillSpan(row, 6.5, 40, 9);
    expect(Array.from(row)).toEqual([7, 7, 7, 0, 0, 0, 9, 9]);
  });

  it('paints a success in its source colour and a failure framed in red, where the scale puts them', () => {
    const ok = conn({ ts: at(1000), latencyMs: 1000, saddr: '10.0.0.5' }, 1);
    const bad = conn({ ts: at(5000), latencyMs: 2000, saddr: '10.0.0.5', ...refused }, 2);
    const lanes = buildLanes([ok, bad], 'process').lanes;
    const width = LAYOUT.labelW + 1000; // 1000 px for 10 s: 10 ms per pixel
    const vp = { t0: Date.parse(at(0)), t1: Date.parse(at(10_000)) };
    const { ctx, put } = fakeContext();
    drawFrame(ctx, { width, height: LAYOUT.axisH + 100, dpr: 1, vp, lanes, scrollPx: 0, selected: null, selectedLane: -1, now: 0 });

    expect(put.map((p) => [p.x, p.y, p.image.width, p.image.height])).toEqual([[LAYOUT.labelW, LAYOUT.axisH, 1000, 100]]);
    const px = new Uint32Array(put[0]!.image.data.buffer);
    const at_ = (x: number, y: number) => px[y * 1000 + x];
    const white = packColor('#ffffff');
    const red = packColor('#d92d20');
    const markMid = LAYOUT.laneH / 2;
    // success: x 100..200 in the source colour, mark rows only
    expect([at_(99, markMid), at_(100, markMid), at_(199, markMid), at_(201, markMid)]).toEqual([white, ok.rgba, ok.rgba, white]);
    expect(at_(150, 3)).toBe(white); // above the success mark: failures are taller, successes are not
    // failure: x 500..700 framed in red (top rows and side columns), source colour inside
    expect([at_(600, 3), at_(500, markMid), at_(501, markMid), at_(503, markMid), at_(650, markMid), at_(699, markMid)]).toEqual([red, red, red, bad.rgba, bad.rgba, red]);
    // the second lane row is empty
    expect(at_(150, LAYOUT.laneH + markMid)).toBe(white);
  });

  it('keeps the source colour of a failure too short for side frames, with red above and below', () => {
    const blip = conn({ ts: at(3000), latencyMs: 0.1, saddr: '10.0.0.7', ...refused }, 3);
    const lanes = buildLanes([blip], 'process').lanes;
    const vp = { t0: Date.parse(at(0)), t1: Date.parse(at(10_000)) };
    const { ctx, put } = fakeContext();
    drawFrame(ctx, { width: LAYOUT.labelW + 1000, height: LAYOUT.axisH + 100, dpr: 1, vp, lanes, scrollPx: 0, selected: null, selectedLane: -1, now: 0 });
    const px = new Uint32Array(put[0]!.image.data.buffer);
    const markMid = LAYOUT.laneH / 2;
    expect([px[markMid * 1000 + 301], px[3 * 1000 + 301]]).toEqual([blip.rgba, packColor('#d92d20')]);
  });
});
