import { describe, expect, it } from 'vitest';
import { followNow, MIN_SPAN_MS, panBy, tOf, timeTicks, xOf, zoomAt } from '../../ui/src/model/scale.js';
import { LAYOUT, markSpan, maxLaneScroll, visibleLanes } from '../../ui/src/timeline/layout.js';
import { conn, at } from './fixtures.js';

describe('time scale', () => {
  const vp = { t0: 1000, t1: 3000 };

  it('maps time to x and back', () => {
    expect([xOf(vp, 1000, 1000), xOf(vp, 1000, 2000), xOf(vp, 1000, 3500)]).toEqual([0, 500, 1250]);
    expect(tOf(vp, 1000, 250)).toBe(1500);
  });

  it('zooms around an anchor that stays put', () => {
    expect(zoomAt(vp, 0.5, 2000)).toEqual({ t0: 1500, t1: 2500 });
    expect(zoomAt(vp, 2, 3000)).toEqual({ t0: -1000, t1: 3000 });
    expect(zoomAt(vp, 1e-9, 1000)).toEqual({ t0: 1000, t1: 1000 + MIN_SPAN_MS });
  });

  it('pans and follows now', () => {
    expect(panBy(vp, -500)).toEqual({ t0: 500, t1: 2500 });
    expect(followNow(vp, 10_000)).toEqual({ t0: 8040, t1: 10_040 });
  });

  it('places ticks on round steps at least minGap apart', () => {
    const t0 = Date.parse('2025-03-01T12:00:00.000Z');
    const ticks = timeTicks({ t0: t0 + 1, t1: t0 + 60_000 }, 600, 90);
    const steps = ticks.slice(1).map((t, i) => t.t - ticks[i]!.t);
    expect(new Set(steps)).toEqual(new Set([10_000]));
    expect(ticks.map((t) => t.t - t0)).toEqual([10_000, 20_000, 30_000, 40_000, 50_000, 60_000]);
    expect(ticks[0]!.x).toBeCloseTo(xOf({ t0: t0 + 1, t1: t0 + 60_000 }, 600, t0 + 10_000));
  });
});

describe('timeline layout', () => {
  it('draws only the lanes inside the scrolled view', () => {
    expect(visibleLanes(1000, 0, 100, 20)).toEqual([0, 5]);
    expect(visibleLanes(1000, 30, 100, 20)).toEqual([1, 7]);
    expect(visibleLanes(3, 0, 400, 20)).toEqual([0, 3]);
    expect(visibleLanes(0, 0, 400, 20)).toEqual([0, 0]);
    expect(maxLaneScroll(100, 400, 20)).toBe(1600);
    expect(maxLaneScroll(3, 400, 20)).toBe(0);
  });

  it('gives short connections a minimum width', () => {
    const c = conn({ ts: at(0), latencyMs: 0.01 });
    const vp = { t0: c.start - 100, t1: c.start + 900 };
    expect(markSpan(c, vp, 1000)).toEqual([100, 100 + LAYOUT.minMarkPx]);
    const long = conn({ ts: at(0), latencyMs: 500 });
    expect(markSpan(long, vp, 1000)).toEqual([100, 600]);
  });
});
