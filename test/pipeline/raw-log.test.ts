// SRCTRACE_RAW_LOG keeps what bpftrace printed, for bug reports: but not the
// environment bytes the exec probe reads past a short command line.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Tracer } from '../../agent/pipeline/tracer.js';

const saved = process.env.SRCTRACE_RAW_LOG;
afterEach(() => {
  if (saved === undefined) delete process.env.SRCTRACE_RAW_LOG;
  else process.env.SRCTRACE_RAW_LOG = saved;
});

describe('the raw log', () => {
  it('holds every line, exec lines with the bytes past their arguments zeroed', async () => {
    const log = join(mkdtempSync(join(tmpdir(), 'srctrace-rawlog-')), 'raw.log');
    process.env.SRCTRACE_RAW_LOG = log;
    const tracer = new Tracer({ backend: 'tracepoint', bpftrace: '/nonexistent/bpftrace', filter: { pids: [], comms: [] }, program: 'unused', sinks: [] });
    // "sh\0-c\0" (6 bytes), then "PASSWORD=hunter2" from the environment.
    const area = Buffer.concat([Buffer.from('sh\0-c\0PASSWORD=hunter2\0', 'latin1'), Buffer.alloc(105)]);
    const words = Array.from({ length: 16 }, (_, k) => Buffer.from(area.subarray(8 * k, 8 * k + 8)).reverse().toString('hex'));
    const exec = `X 100 4242 99 6 ${words.join(' ')}`;
    tracer.onLine('@lines: 0');
    tracer.onLine(exec);
    await tracer.stop('test over');
    const lines = readFileSync(log, 'latin1').trim().split('\n');
    expect(lines[0]).toBe('@lines: 0');
    expect(lines[1]).toMatch(/^X 100 4242 99 6 /);
    expect(lines[1]).not.toBe(exec);
    const bytes = Buffer.concat(lines[1]!.split(' ').slice(5).map((w) => Buffer.from(w, 'hex').reverse()));
    expect(bytes.toString('latin1')).toBe(`sh\0-c\0${'\0'.repeat(122)}`);
  });
});
