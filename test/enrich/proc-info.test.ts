import { describe, expect, it } from 'vitest';
import { ProcInfo } from '../../agent/enrich/proc-info.js';

// A /proc stand-in: stat line (starttime is field 22, in 10 ms ticks) and cmdline per pid.
function procFs(entries: Record<number, { startTicks: number; cmdline: string; comm?: string }>) {
  const reads: string[] = [];
  const read = (path: string) => {
    reads.push(path);
    const m = /^\/proc\/(\d+)\/(stat|cmdline)$/.exec(path);
    const e = m && entries[Number(m[1])];
    if (!e) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    if (m[2] === 'cmdline') return e.cmdline;
    const rest = ['S', ...Array(18).fill('0'), String(e.startTicks), '0'];
    return `${m[1]} (${e.comm ?? 'x'}) ${rest.join(' ')}`;
  };
  return { read, reads };
}

describe('ProcInfo', () => {
  it('returns the command line only if the pid still belongs to the process that started at that time', () => {
    const fs = procFs({ 10: { startTicks: 500, cmdline: 'curl\0-s\0http://x\0', comm: 'a) (b' } });
    const p = new ProcInfo(fs.read);
    expect(p.cmdline(10, 500 * 10_000_000 + 3_000_000)).toBe('curl -s http://x');
    // Same pid, other start time: a recycled pid must not lend its command line.
    expect(p.cmdline(10, 900 * 10_000_000)).toBeNull();
  });

  it('reads /proc once per process, however many connections it makes', () => {
    const fs = procFs({ 10: { startTicks: 1, cmdline: 'storm\0' } });
    const p = new ProcInfo(fs.read);
    for (let i = 0; i < 100; i++) p.cmdline(10, 10_000_000);
    expect(fs.reads).toEqual(['/proc/10/stat', '/proc/10/cmdline']);
  });

  it('falls back to the argv captured at exec when the process is already gone, marking a cut one', () => {
    const p = new ProcInfo(procFs({}).read);
    expect(p.cmdline(77, 123)).toBeNull();
    p.onExec(77, 123, Buffer.from('/usr/bin/curl\0-s\0'), false);
    p.onExec(78, 456, Buffer.from('/bin/long\0xxxx'), true);
    expect(p.cmdline(77, 123)).toBe('/usr/bin/curl -s');
    expect(p.cmdline(78, 456)).toBe('/bin/long xxxx…');
    expect(p.cmdline(77, 999)).toBeNull();
  });
});
