// Paints the timeline. Work per frame is bounded by what is on screen: visible
// lanes only, and in each lane the marks between two binary searches, merged
// into one rectangle per colour wherever they touch at pixel resolution, filled
// into a pixel buffer that reaches the canvas in one putImageData.
import type { Conn } from '../model/conn.js';
import type { Columns, Lane } from '../model/lanes.js';
import { visibleRange } from '../model/lanes.js';
import { timeTicks, xOf, type Viewport } from '../model/scale.js';
import { LAYOUT, markRect, visibleLanes } from './layout.js';
import { packColor } from '../model/colors.js';
import { fillSpan, PixelBuffer, stampRows } from './raster.js';

export interface Frame {
  width: number;
  height: number;
  dpr: number;
  vp: Viewport;
  lanes: readonly Lane[];
  scrollPx: number;
  selected: Conn | null;
  selectedLane: number;
  now: number;
}

const C = {
  bg: '#ffffff',
  laneAlt: '#f6f7f9',
  labelBg: '#fbfbfc',
  grid: '#e6e8ec',
  axisText: '#5b6472',
  label: '#1d2430',
  border: '#d5d9e0',
  now: '#2563eb',
  fail: '#d92d20',
  selected: '#111827',
};

// more colours than this in one lane at once just paints more, smaller rectangles
const MAX_RUNS = 24;

/** Merges marks of one colour that touch, flushing a rectangle when a gap opens. */
class Runs {
  n = 0;
  readonly colors = new Uint32Array(MAX_RUNS);
  readonly x0 = new Float64Array(MAX_RUNS);
  readonly x1 = new Float64Array(MAX_RUNS);
  constructor(private readonly paint: (rgba: number, x0: number, x1: number) => void) {}

  add(rgba: number, a: number, b: number): void {
    for (let i = 0; i < this.n; i++) {
      if (this.colors[i] !== rgba) continue;
      if (a <= this.x1[i]! + 0.5) {
        if (b > this.x1[i]!) this.x1[i] = b;
        return;
      }
      this.paint(rgba, this.x0[i]!, this.x1[i]!);
      this.x0[i] = a;
      this.x1[i] = b;
      return;
    }
    if (this.n === MAX_RUNS) this.flushFirst();
    this.colors[this.n] = rgba;
    this.x0[this.n] = a;
    this.x1[this.n] = b;
    this.n++;
  }

  private flushFirst(): void {
    this.paint(this.colors[0]!, this.x0[0]!, this.x1[0]!);
    this.colors.copyWithin(0, 1, this.n);
    this.x0.copyWithin(0, 1, this.n);
    this.x1.copyWithin(0, 1, this.n);
    this.n--;
  }

  flush(): void {
    for (let i = 0; i < this.n; i++) this.paint(this.colors[i]!, this.x0[i]!, this.x1[i]!);
    this.n = 0;
  }
}

let buffer: PixelBuffer | null = null;
let scratch: { okCol: Uint32Array; failCol: Uint32Array; innerCol: Uint32Array; edge: Uint32Array; core: Uint32Array } | null = null;

/** Per-lane scratch rows, reused between frames. */
function laneRows(w: number) {
  if (!scratch || scratch.edge.length !== w) {
    scratch = { okCol: new Uint32Array(w), failCol: new Uint32Array(w), innerCol: new Uint32Array(w), edge: new Uint32Array(w), core: new Uint32Array(w) };
  }
  return scratch;
}

function plotBuffer(w: number, h: number): PixelBuffer {
  if (!buffer || buffer.width !== w || buffer.height !== h) buffer = new PixelBuffer(w, h);
  return buffer;
}

export function drawFrame(ctx: CanvasRenderingContext2D, f: Frame): void {
  const { width, height, vp, dpr } = f;
  const plotX = LAYOUT.labelW;
  const plotW = Math.max(1, width - plotX);
  const plotTop = LAYOUT.axisH;
  const plotH = Math.max(1, height - plotTop);
  const [first, last] = visibleLanes(f.lanes.length, f.scrollPx, plotH);
  const laneY = (i: number): number => i * LAYOUT.laneH - f.scrollPx; // relative to the plot top
  const ticks = timeTicks(vp, plotW);

  // plot area: stripes, grid and marks rasterised in device pixels
  const buf = plotBuffer(Math.round(plotW * dpr), Math.round(plotH * dpr));
  buf.fill(0, 0, buf.width, buf.height, packColor(C.bg));
  for (let i = first; i < last; i++) {
    if (i % 2 === 1) buf.fill(0, laneY(i) * dpr, buf.width, (laneY(i) + LAYOUT.laneH) * dpr, packColor(C.laneAlt));
  }
  const grid = packColor(C.grid);
  const gridW = Math.max(1, Math.round(dpr));
  for (const t of ticks) buf.fill(Math.round(t.x * dpr), 0, Math.round(t.x * dpr) + gridW, buf.height, grid);

  // Each lane is composed one pixel row at a time: the background row, then
  // successful marks, then failures (a red frame around the source colour).
  // Rows are stamped into the buffer with a memcpy each, so the cost is the
  // visible marks plus the visible pixels, whatever the overlap.
  const W = buf.width;
  const rows = laneRows(W);
  const minPx = LAYOUT.minMarkPx;
  const k = (plotW / (vp.t1 - vp.t0)) * dpr;
  const minDev = minPx * dpr;
  const inset = 2 * dpr;
  const red = packColor(C.fail);
  const gridCols = ticks.map((t) => Math.round(t.x * dpr)).filter((x) => x >= 0 && x < W);

  const okRuns = new Runs((rgba, a, b) => fillSpan(rows.okCol, a, b, rgba));
  const failRuns = new Runs((rgba, a, b) => {
    fillSpan(rows.failCol, a, b, red);
    // Wide failures: source colour framed in red. Narrow ones have no room for
    // side frames: source colour across, red left as the bands above and below.
    if (b - a > 5 * dpr) fillSpan(rows.innerCol, a + inset, b - inset, rgba);
    else fillSpan(rows.innerCol, a, b, rgba);
  });
  const scan = (cols: Columns, maxDur: number, runs: Runs): boolean => {
    const [lo, hi] = visibleRange(cols, maxDur, vp.t0, vp.t1);
    const { start, end, rgba } = cols;
    const t0 = vp.t0;
    let any = false;
    for (let j = lo; j < hi; j++) {
      const e = end[j]!;
      if (e < t0) continue;
      const a = (start[j]! - t0) * k;
      let b = (e - t0) * k;
      if (b - a < minDev) b = a + minDev;
      runs.add(rgba[j]!, a, b);
      any = true;
    }
    runs.flush();
    return any;
  };

  for (let i = first; i < last; i++) {
    const lane = f.lanes[i]!;
    rows.okCol.fill(0);
    rows.failCol.fill(0);
    rows.innerCol.fill(0);
    const hasOk = scan(lane.markCols, lane.maxDur, okRuns);
    const hasFail = scan(lane.failCols, lane.maxDur, failRuns);
    if (!hasOk && !hasFail) continue;

    const bg = packColor(i % 2 === 1 ? C.laneAlt : C.bg);
    const { edge, core, okCol, failCol, innerCol } = rows;
    edge.fill(bg);
    for (const x of gridCols) edge.fill(grid, x, x + gridW);
    core.set(edge);
    for (let x = 0; x < W; x++) {
      const fc = failCol[x]!;
      if (fc !== 0) {
        edge[x] = fc;
        const inner = innerCol[x]!;
        core[x] = inner !== 0 ? inner : fc;
      } else if (okCol[x] !== 0) core[x] = okCol[x]!;
    }
    const y = laneY(i) * dpr;
    const failTop = y + ((LAYOUT.laneH - LAYOUT.failH) / 2) * dpr;
    const markTop = y + ((LAYOUT.laneH - LAYOUT.markH) / 2) * dpr;
    const markBottom = markTop + LAYOUT.markH * dpr;
    const failBottom = failTop + LAYOUT.failH * dpr;
    if (hasFail) {
      stampRows(buf, edge, failTop, markTop);
      stampRows(buf, edge, markBottom, failBottom);
    }
    stampRows(buf, core, markTop, markBottom);
  }

  const nowX = xOf(vp, plotW, f.now);
  if (nowX >= 0 && nowX <= plotW) buf.fill(Math.round(nowX * dpr), 0, Math.round(nowX * dpr) + Math.max(2, Math.round(1.5 * dpr)), buf.height, packColor(C.now));

  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.putImageData(buf.image, Math.round(plotX * dpr), Math.round(plotTop * dpr));

  // vector parts on top, in CSS pixels
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  if (f.selected && f.selectedLane >= 0) {
    const r = markRect(f.lanes, f.selectedLane, f.selected, vp, width, height, f.scrollPx);
    if (r && r.y + r.h > plotTop) {
      ctx.save();
      ctx.beginPath();
      ctx.rect(plotX, plotTop, plotW, plotH);
      ctx.clip();
      ctx.strokeStyle = C.selected;
      ctx.lineWidth = 2;
      ctx.strokeRect(r.x - 2, r.y - 2, r.w + 4, r.h + 4);
      ctx.restore();
    }
  }

  // label column
  ctx.fillStyle = C.labelBg;
  ctx.fillRect(0, plotTop, plotX, plotH);
  ctx.font = '11px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace';
  ctx.textBaseline = 'middle';
  const charW = ctx.measureText('0').width || 6.6;
  const maxChars = Math.floor((LAYOUT.labelW - 14) / charW);
  for (let i = first; i < last; i++) {
    const y = plotTop + laneY(i);
    if (i % 2 === 1) {
      ctx.fillStyle = C.laneAlt;
      ctx.fillRect(0, y, plotX, LAYOUT.laneH);
    }
    const lane = f.lanes[i]!;
    const text = lane.label.length > maxChars ? `${lane.label.slice(0, maxChars - 1)}…` : lane.label;
    ctx.fillStyle = C.label;
    ctx.fillText(text, 8, y + LAYOUT.laneH / 2);
  }

  // axis and borders
  ctx.fillStyle = C.bg;
  ctx.fillRect(0, 0, width, plotTop);
  ctx.fillStyle = C.border;
  ctx.fillRect(0, plotTop - 1, width, 1);
  ctx.fillRect(plotX - 1, 0, 1, height);
  ctx.fillStyle = C.axisText;
  ctx.font = '11px system-ui, sans-serif';
  for (const t of ticks) {
    ctx.fillRect(Math.round(plotX + t.x), plotTop - 6, 1, 5);
    ctx.fillText(t.label, plotX + t.x + 3, plotTop / 2 - 1);
  }
  ctx.fillText(f.lanes.length === 1 ? '1 lane' : `${f.lanes.length} lanes`, 8, plotTop / 2 - 1);
}
