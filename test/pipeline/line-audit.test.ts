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
    expect(lost + a.final()).toBe(0);
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
    expect(a.final()).toBe(0);
  });

  it('never reports the same missing line twice, ignores a count that went backwards, and starts over after final()', () => {
    const a = new LineAudit();
    a.onKernelCount(5);
    a.onKernelCount(5);
    expect(a.onKernelCount(5)).toBe(5);
    expect(a.onKernelCount(5)).toBe(0);
    expect(a.onKernelCount(2)).toBe(0);
    expect(a.final()).toBe(0);
    a.onLine(C);
    a.onKernelCount(3);
    expect(a.final()).toBe(2);
  });

  it('lines bpftrace already reported as "Lost N events" are not counted a second time', () => {
    const run = (kernelCount: number) => {
      const a = new LineAudit();
      for (let i = 0; i < 7; i++) a.onLine(C);
      a.onReportedLoss(3);
      a.onKernelCount(kernelCount);
      return a.final();
    };
    expect(run(10)).toBe(0);
    expect(run(12)).toBe(2);
  });
});
