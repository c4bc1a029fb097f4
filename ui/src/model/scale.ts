// The timeline's time window and its mapping to pixels. A viewport is just
// [t0, t1] in epoch ms; zoom and pan return new viewports.

export interface Viewport {
  t0: number;
  t1: number;
}

export const MIN_SPAN_MS = 20;
export const MAX_SPAN_MS = 7 * 24 * 3600_000;

export function xOf(vp: Viewport, width: number, t: number): number {
  return ((t - vp.t0) / (vp.t1 - vp.t0)) * width;
}

export function tOf(vp: Viewport, width: number, x: number): number {
  return vp.t0 + (x / width) * (vp.t1 - vp.t0);
}

/** Zoom by factor (<1 zooms in) keeping time `anchor` at the same pixel. */
export function zoomAt(vp: Viewport, factor: number, anchor: number): Viewport {
  const span = vp.t1 - vp.t0;
  const next = Math.min(MAX_SPAN_MS, Math.max(MIN_SPAN_MS, span * factor));
  const ratio = span > 0 ? (anchor - vp.t0) / span : 1;
  const t0 = anchor - ratio * next;
  return { t0, t1: t0 + next };
}

export function panBy(vp: Viewport, dtMs: number): Viewport {
  return { t0: vp.t0 + dtMs, t1: vp.t1 + dtMs };
}

/** The same span ending at now, with a little room on the right. */
export function followNow(vp: Viewport, now: number): Viewport {
  const span = vp.t1 - vp.t0;
  const t1 = now + span * 0.02;
  return { t0: t1 - span, t1 };
}

const STEPS_MS = [
  1, 2, 5, 10, 20, 50, 100, 200, 500,
  1000, 2000, 5000, 10_000, 15_000, 30_000,
  60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000,
  3_600_000, 7_200_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000,
];

export interface Tick {
  t: number;
  x: number;
  label: string;
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** Tick marks at a round step so that labels are at least minGapPx apart; local time. */
export function timeTicks(vp: Viewport, width: number, minGapPx = 90): Tick[] {
  const span = vp.t1 - vp.t0;
  if (!(span > 0) || width <= 0) return [];
  const want = (span / width) * minGapPx;
  const step = STEPS_MS.find((s) => s >= want) ?? Math.ceil(want / 86_400_000) * 86_400_000;
  const offset = new Date(vp.t0).getTimezoneOffset() * 60_000;
  const first = Math.ceil((vp.t0 - offset) / step) * step + offset;
  const ticks: Tick[] = [];
  for (let t = first; t <= vp.t1; t += step) {
    const d = new Date(t);
    let label = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
    if (step < 60_000) label += `:${pad(d.getSeconds())}`;
    if (step < 1000) label += `.${pad(d.getMilliseconds(), 3)}`;
    if (step >= 86_400_000) label = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
    ticks.push({ t, x: xOf(vp, width, t), label });
  }
  return ticks;
}

export function formatSpan(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${+(ms / 1000).toFixed(1)} s`;
  if (ms < 7_200_000) return `${+(ms / 60_000).toFixed(1)} min`;
  return `${+(ms / 3_600_000).toFixed(1)} h`;
}
