// Canvas timeline: owns the viewport (in refs, so panning never re-renders
// React) and repaints on the next animation frame after anything changes.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { Conn } from '../model/conn.js';
import type { LaneMode } from '../model/filter.js';
import { hitTest, laneKey } from '../model/lanes.js';
import { followNow, formatSpan, panBy, tOf, zoomAt, type Viewport } from '../model/scale.js';
import type { ConnectionStore } from '../model/store.js';
import { drawFrame } from '../timeline/draw.js';
import { LAYOUT, markRect, maxLaneScroll } from '../timeline/layout.js';

// One minute: fresh connections are visible marks, not slivers; zoom out for history.
const DEFAULT_SPAN_MS = 60_000;

interface Props {
  store: ConnectionStore;
  version: number;
  laneMode: LaneMode;
  onLaneMode: (m: LaneMode) => void;
}

interface Drag {
  x: number;
  y: number;
  vp: Viewport;
  scroll: number;
  moved: boolean;
}

export interface TimelineHook {
  t0: number;
  t1: number;
  live: boolean;
  lanes: number;
  /** lane labels, top to bottom */
  laneLabels: string[];
  /** client coordinates of the centre of a connection's mark, if it is on screen */
  markCenter: (id: number) => { x: number; y: number } | null;
}

export function Timeline({ store, version, laneMode, onLaneMode }: Props) {
  const wrapRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const vpRef = useRef<Viewport>(followNow({ t0: 0, t1: DEFAULT_SPAN_MS }, store.agentNow()));
  const scrollRef = useRef(0);
  const sizeRef = useRef({ w: 0, h: 0, dpr: 1 });
  const dirtyRef = useRef(true);
  const liveRef = useRef(true);
  const dragRef = useRef<Drag | null>(null);
  const [live, setLive] = useState(true);
  const [span, setSpan] = useState(DEFAULT_SPAN_MS);

  const setLiveBoth = useCallback((v: boolean) => {
    liveRef.current = v;
    setLive(v);
    dirtyRef.current = true;
  }, []);

  const setViewport = useCallback((vp: Viewport) => {
    vpRef.current = vp;
    dirtyRef.current = true;
    setSpan((s) => (Math.abs(s - (vp.t1 - vp.t0)) > 0.5 ? vp.t1 - vp.t0 : s));
  }, []);

  useEffect(() => {
    dirtyRef.current = true;
  }, [version, laneMode]);

  // size the backing store to the element and the device pixel ratio
  useEffect(() => {
    const wrap = wrapRef.current;
    const canvas = canvasRef.current;
    if (!wrap || !canvas || typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(() => {
      const dpr = window.devicePixelRatio || 1;
      const w = wrap.clientWidth;
      const h = wrap.clientHeight;
      sizeRef.current = { w, h, dpr };
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(h * dpr);
      canvas.style.width = `${w}px`;
      canvas.style.height = `${h}px`;
      dirtyRef.current = true;
    });
    ro.observe(wrap);
    return () => ro.disconnect();
  }, []);

  // the paint loop: repaint when dirty, or when following now and time moved a pixel
  useEffect(() => {
    const canvas = canvasRef.current;
    const ctx = canvas?.getContext('2d', { alpha: false, desynchronized: true });
    if (!canvas || !ctx) return;
    let raf = 0;
    const frame = (): void => {
      raf = requestAnimationFrame(frame);
      const { w, h, dpr } = sizeRef.current;
      if (w === 0 || h === 0) return;
      const now = store.agentNow();
      if (liveRef.current) {
        const vp = vpRef.current;
        const next = followNow(vp, now);
        const pxPerMs = (w - LAYOUT.labelW) / (vp.t1 - vp.t0);
        if (Math.abs(next.t1 - vp.t1) * pxPerMs >= 0.5) {
          vpRef.current = next;
          dirtyRef.current = true;
        }
      }
      if (!dirtyRef.current) return;
      dirtyRef.current = false;
      const lanes = store.lanes.lanes;
      scrollRef.current = Math.min(scrollRef.current, maxLaneScroll(lanes.length, h - LAYOUT.axisH));
      const sel = store.selected;
      const selectedLane = sel ? lanes.indexOf(store.lanes.byKey.get(laneKey(sel, store.lanes.mode).key)!) : -1;
      const t = performance.now();
      drawFrame(ctx, { width: w, height: h, dpr, vp: vpRef.current, lanes, scrollPx: scrollRef.current, selected: sel, selectedLane, now });
      // the benchmark sets drawTimes to an array to collect paint durations
      const sink = (window as unknown as { __srctrace?: { drawTimes?: number[] } }).__srctrace?.drawTimes;
      if (Array.isArray(sink)) sink.push(performance.now() - t);
    };
    raf = requestAnimationFrame(frame);
    return () => cancelAnimationFrame(raf);
  }, [store]);

  // hooks for end-to-end tests and the benchmark
  useEffect(() => {
    const hook: TimelineHook = {
      get t0() { return vpRef.current.t0; },
      get t1() { return vpRef.current.t1; },
      get live() { return liveRef.current; },
      get lanes() { return store.lanes.lanes.length; },
      get laneLabels() { return store.lanes.lanes.map((l) => l.label); },
      markCenter: (id) => {
        const canvas = canvasRef.current;
        const lanes = store.lanes.lanes;
        const c = store.view.find((x) => x.id === id);
        if (!canvas || !c) return null;
        const laneIdx = lanes.indexOf(store.lanes.byKey.get(laneKey(c, store.lanes.mode).key)!);
        const { w, h } = sizeRef.current;
        const r = markRect(lanes, laneIdx, c, vpRef.current, w, h, scrollRef.current);
        if (!r || r.x + r.w < LAYOUT.labelW || r.x > w) return null;
        const box = canvas.getBoundingClientRect();
        return { x: box.left + Math.max(r.x, LAYOUT.labelW) + Math.min(r.w, 2) / 2, y: box.top + r.y + r.h / 2 };
      },
    };
    const w = window as unknown as { __srctrace?: Record<string, unknown> };
    w.__srctrace = { ...w.__srctrace, timeline: hook };
  }, [store]);

  const plotWidth = (): number => Math.max(1, sizeRef.current.w - LAYOUT.labelW);

  const hit = (clientX: number, clientY: number): Conn | null => {
    const canvas = canvasRef.current;
    if (!canvas) return null;
    const box = canvas.getBoundingClientRect();
    const x = clientX - box.left - LAYOUT.labelW;
    const y = clientY - box.top - LAYOUT.axisH + scrollRef.current;
    if (x < 0 || clientY - box.top < LAYOUT.axisH) return null;
    const lane = store.lanes.lanes[Math.floor(y / LAYOUT.laneH)];
    if (!lane) return null;
    const vp = vpRef.current;
    const msPerPx = (vp.t1 - vp.t0) / plotWidth();
    return hitTest(lane, tOf(vp, plotWidth(), x), msPerPx * (LAYOUT.minMarkPx + 2));
  };

  // wheel zooms around the pointer (around now when live); shift+wheel scrolls lanes
  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    const onWheel = (e: WheelEvent): void => {
      e.preventDefault();
      if (e.shiftKey) {
        const { h } = sizeRef.current;
        const max = maxLaneScroll(store.lanes.lanes.length, h - LAYOUT.axisH);
        scrollRef.current = Math.max(0, Math.min(max, scrollRef.current + (e.deltaY || e.deltaX)));
        dirtyRef.current = true;
        return;
      }
      const box = canvas.getBoundingClientRect();
      const vp = vpRef.current;
      const anchor = liveRef.current ? vp.t1 : tOf(vp, plotWidth(), Math.max(0, e.clientX - box.left - LAYOUT.labelW));
      const delta = e.deltaMode === 1 ? e.deltaY * 16 : e.deltaY;
      setViewport(zoomAt(vp, Math.exp(delta * 0.0015), anchor));
    };
    canvas.addEventListener('wheel', onWheel, { passive: false });
    return () => canvas.removeEventListener('wheel', onWheel);
  }, [store, setViewport]);

  const onPointerDown = (e: React.PointerEvent<HTMLCanvasElement>): void => {
    if (e.button !== 0) return;
    e.currentTarget.setPointerCapture?.(e.pointerId);
    dragRef.current = { x: e.clientX, y: e.clientY, vp: vpRef.current, scroll: scrollRef.current, moved: false };
  };
  const onPointerMove = (e: React.PointerEvent<HTMLCanvasElement>): void => {
    const d = dragRef.current;
    if (!d) return;
    const dx = e.clientX - d.x;
    const dy = e.clientY - d.y;
    if (!d.moved && Math.abs(dx) + Math.abs(dy) < 4) return;
    if (!d.moved) {
      d.moved = true;
      if (liveRef.current) setLiveBoth(false);
    }
    const msPerPx = (d.vp.t1 - d.vp.t0) / plotWidth();
    vpRef.current = panBy(d.vp, -dx * msPerPx);
    const max = maxLaneScroll(store.lanes.lanes.length, sizeRef.current.h - LAYOUT.axisH);
    scrollRef.current = Math.max(0, Math.min(max, d.scroll - dy));
    dirtyRef.current = true;
  };
  const onPointerUp = (e: React.PointerEvent<HTMLCanvasElement>): void => {
    const d = dragRef.current;
    dragRef.current = null;
    if (d && !d.moved) store.select(hit(e.clientX, e.clientY));
  };

  const zoomButton = (factor: number): void => {
    const vp = vpRef.current;
    setViewport(zoomAt(vp, factor, liveRef.current ? vp.t1 : (vp.t0 + vp.t1) / 2));
  };
  const fitAll = (): void => {
    const ext = store.extent;
    if (!ext) return;
    const pad = Math.max(50, (ext.max - ext.min) * 0.02);
    setLiveBoth(false);
    setViewport({ t0: ext.min - pad, t1: ext.max + pad });
  };
  const jumpToNow = (): void => {
    setViewport(followNow(vpRef.current, store.agentNow()));
    setLiveBoth(true);
  };

  return (
    <section className="timeline" aria-label="Timeline">
      <div className="toolbar">
        <div className="seg" role="group" aria-label="Lanes">
          <button type="button" data-testid="lanes-process" aria-pressed={laneMode === 'process'} onClick={() => onLaneMode('process')}>
            per process
          </button>
          <button type="button" data-testid="lanes-source" aria-pressed={laneMode === 'source'} onClick={() => onLaneMode('source')}>
            per source
          </button>
          <button type="button" data-testid="lanes-route" aria-pressed={laneMode === 'route'} onClick={() => onLaneMode('route')} title="egress device and gateway of the route each connection used">
            per route
          </button>
          <button type="button" data-testid="lanes-netns" aria-pressed={laneMode === 'netns'} onClick={() => onLaneMode('netns')} title="network namespace (its ip netns name when it has one)">
            per namespace
          </button>
        </div>
        <button type="button" data-testid="live-toggle" onClick={() => setLiveBoth(!live)} title="Follow now / freeze the view">
          {live ? '❚❚ Pause' : '▶ Resume'}
        </button>
        <button type="button" data-testid="jump-now" onClick={jumpToNow} disabled={live}>
          Jump to now
        </button>
        <div className="seg" role="group" aria-label="Zoom">
          <button type="button" data-testid="zoom-in" onClick={() => zoomButton(0.5)} title="Zoom in">+</button>
          <button type="button" data-testid="zoom-out" onClick={() => zoomButton(2)} title="Zoom out">−</button>
          <button type="button" data-testid="zoom-fit" onClick={fitAll} title="Show all connections">Fit</button>
        </div>
        <span className="muted" data-testid="timeline-span">
          {formatSpan(span)} wide · {live ? <span className="live-dot">following now</span> : 'paused'}
        </span>
        <span className="spacer" />
        <span className="legend">
          <span className="key ok" /> established (colour = source address)
          <span className="key fail" /> failed: red frame (refused · timeout · unreachable · error)
        </span>
      </div>
      <div className="canvas-wrap" ref={wrapRef}>
        <canvas
          ref={canvasRef}
          data-testid="timeline-canvas"
          onPointerDown={onPointerDown}
          onPointerMove={onPointerMove}
          onPointerUp={onPointerUp}
          onPointerCancel={() => (dragRef.current = null)}
        />
        <div className="hint">drag to pan · wheel to zoom · shift+wheel scrolls lanes · click a mark</div>
      </div>
    </section>
  );
}
