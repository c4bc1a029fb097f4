// Geometry of the timeline canvas, shared by drawing and hit testing.
import type { Conn } from '../model/conn.js';
import type { Lane } from '../model/lanes.js';
import { xOf, type Viewport } from '../model/scale.js';

export const LAYOUT = {
  axisH: 26,
  laneH: 20,
  labelW: 180,
  /** narrowest mark, in CSS px, so a 0.1 ms connection is still visible and clickable */
  minMarkPx: 3,
  markH: 10,
  failH: 16,
};

/** Lanes [first, last) that intersect a plot of height viewH scrolled by scrollPx. */
export function visibleLanes(laneCount: number, scrollPx: number, viewH: number, laneH = LAYOUT.laneH): [number, number] {
  const first = Math.min(laneCount, Math.max(0, Math.floor(scrollPx / laneH)));
  const last = Math.min(laneCount, Math.ceil((scrollPx + Math.max(0, viewH)) / laneH));
  return [first, Math.max(first, last)];
}

export function maxLaneScroll(laneCount: number, viewH: number, laneH = LAYOUT.laneH): number {
  return Math.max(0, laneCount * laneH - viewH);
}

/** Horizontal extent of a mark in plot coordinates (CSS px from the plot's left edge). */
export function markSpan(c: Conn, vp: Viewport, plotW: number): [number, number] {
  const x0 = xOf(vp, plotW, c.start);
  const x1 = Math.max(xOf(vp, plotW, c.end), x0 + LAYOUT.minMarkPx);
  return [x0, x1];
}

/** Where a connection's mark is drawn, in canvas CSS px; null when its lane is scrolled away. */
export function markRect(
  lanes: readonly Lane[], laneIdx: number, c: Conn, vp: Viewport, width: number, height: number, scrollPx: number,
): { x: number; y: number; w: number; h: number } | null {
  const plotW = width - LAYOUT.labelW;
  const y = LAYOUT.axisH + laneIdx * LAYOUT.laneH - scrollPx;
  if (laneIdx < 0 || laneIdx >= lanes.length || y + LAYOUT.laneH < LAYOUT.axisH || y > height) return null;
  const [x0, x1] = markSpan(c, vp, plotW);
  const h = c.failed ? LAYOUT.failH : LAYOUT.markH;
  return { x: LAYOUT.labelW + x0, y: y + (LAYOUT.laneH - h) / 2, w: x1 - x0, h };
}
