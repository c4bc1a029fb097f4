import { describe, expect, it } from 'vitest';
import { isCountedLine, LineAudit } from '../../agent/pipeline/line-audit.js';
import { captureLines } from '../helpers/capture.js';

const C = 'C 1 ffff 1 1 1 0 1 2 0 0 0 0 1 0 1 0 0 2 1 1 0';

describe('LineAudit: lines the probes printed but the agent never read', () => {
  it('counts C, S, O, P and F lines only', () => {
    expect(['C 1', 'S 1', 'O 1', 'P 1', 'F 1', 'X 1', 'READY 1', '@lines: 3', 'Lost 3 events', 'C', ''].map(isCountedLine))
      .toEqual([true, true, true, true, true, false, false, false, false, false, false]);
  });

  it('a real capture: every counted line arrived, so nothing is reported', () => {
    const a = new LineAudit();
    let lost = 0;
    for (const l of captureLines('joined-and-pending.txt')) {
      a.onLine(l);
      const m = /^@lines: (\d+)$/.exec(l);
      if (m) lost += a.onKernelCount(Number(m[1]));
    }
    expect(lost + a.final(false).missing).toBe(0);
  });

  it('judges a snapshot two snapshots later (lines may trail it), and the last one at exit', () => {
    const a = new LineAudit();
    for (let i = 0; i < 10; i++) a.onLine(C);
    expect(a.onKernelCount(12)).toBe(0); // 2 lines may still be in another CPU's buffer
    expect(a.onKernelCount(20)).toBe(0);
    a.onLine(C); // one of the two trailing lines arrives
    expect(a.onKernelCount(20)).toBe(1); // snapshot 12 judged: one never came
    expect(a.onKernelCount(20)).toBe(8); // the first 20 judged: 9 still missing, 1 of them already reported
    for (let i = 0; i < 9; i++) a.onLine(C); // late after all: counted once, never reported again
    expect(a.final(false).missing).toBe(0);
  });

  it('never reports the same missing line twice, ignores a count that went backwards, and starts over after final()', () => {
    const a = new LineAudit();
    a.onKernelCount(5);
    a.onKernelCount(5);
    expect(a.onKernelCount(5)).toBe(5);
    expect(a.onKernelCount(5)).toBe(0);
    expect(a.onKernelCount(2)).toBe(0);
    expect(a.final(false).missing).toBe(0);
    a.onLine(C);
    a.onKernelCount(3);
    expect(a.final(false).missing).toBe(2);
  });

  it('lines bpftrace already reported as "Lost N events" are not counted a second time', () => {
    const run = (kernelCount: number) => {
      const a = new LineAudit();
      for (let i = 0; i < 7; i++) a.onLine(C);
      a.onReportedLoss(3);
      a.onKernelCount(kernelCount);
      return a.final(false).missing;
    };
    expect(run(10)).toBe(0);
    expect(run(12)).toBe(2);
  });

  it('a line or entry read more often than the probes counted it is a surplus, judged against the count bpftrace prints as it exits', () => {
    const run = (read: number, clean: boolean, exitMarker = true) => {
      const a = new LineAudit();
      for (let i = 0; i < read; i++) {
        if (i % 2) a.onLine(C);
        else a.onCounted();
      }
      a.onReportedLoss(4); // what bpftrace said it lost was not read: no surplus from it
      a.onKernelCount(3); // a snapshot while tracing: read may pass it (entries drained since)
      if (exitMarker) a.onExitMarker();
      a.onKernelCount(10); // the exit dump's count: final
      return a.final(clean);
    };
    expect(run(10, true)).toEqual({ missing: 0, surplus: 0 });
    expect(run(13, true)).toEqual({ missing: 0, surplus: 3 });
    expect(run(7, true)).toEqual({ missing: 0, surplus: null }); // 3 never read (credited by the reported loss): a repeat could hide behind them
    // Not known when the last count may not be final: bpftrace did not exit cleanly, or END never ran.
    expect(run(13, false).surplus).toBeNull();
    expect(run(13, true, false).surplus).toBeNull();
    expect(new LineAudit().final(false)).toEqual({ missing: 0, surplus: 0 }); // nothing read: nothing to know
  });

  it('judges the run\'s end by the count frozen as tracing stops: lines counted after it (events after the stop, never read) are no loss', () => {
    const a = new LineAudit();
    for (let i = 0; i < 10; i++) a.onLine(C);
    a.onKernelCount(12); // the fresh count the tracer waited for: 2 of its lines still on their way
    expect(a.counts).toBe(1);
    a.freeze();
    expect(a.behind).toBe(2); // the tracer lets them arrive before it stops bpftrace
    a.onLine(C);
    a.onCounted();
    expect(a.behind).toBe(0);
    a.onExitMarker();
    expect(a.onKernelCount(40)).toBe(0); // the exit count: 28 more, printed after the stop and never read
    expect(a.final(true)).toEqual({ missing: 0, surplus: null });
    // Without a freeze, the exit count is judged (the run could not wait for a fresh count).
    const b = new LineAudit();
    for (let i = 0; i < 12; i++) b.onLine(C);
    b.onKernelCount(12);
    b.onExitMarker();
    b.onKernelCount(40);
    expect(b.final(true).missing).toBe(28);
    // A frozen count whose lines never came is loss at the end, as before.
    const c = new LineAudit();
    for (let i = 0; i < 10; i++) c.onLine(C);
    c.onKernelCount(12);
    c.freeze();
    expect(c.final(true).missing).toBe(2);
    expect(c.counts).toBe(0); // a new run starts without counts
  });
});

