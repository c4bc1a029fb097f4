import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { startTicks, watchPids } from '../../agent/cli/pid-watch.js';

const NO_SUCH_PID = 4_194_303;

describe('--pid processes watched until they have all exited', () => {
  it('reads a process start time, null for no process', () => {
    expect(startTicks(process.pid)).toMatch(/^\d+$/);
    expect(startTicks(NO_SUCH_PID)).toBeNull();
  });

  it('calls back once, only after the last of them has exited', async () => {
    const short = execa('sleep', ['0.2']);
    const long = execa('sleep', ['0.8']);
    const t0 = Date.now();
    let goneAt = 0;
    let calls = 0;
    watchPids([short.pid!, long.pid!], () => ((goneAt = Date.now()), calls++), 50);
    await short;
    await new Promise((r) => setTimeout(r, 200));
    expect(calls).toBe(0); // one of them still runs
    await long;
    await new Promise((r) => setTimeout(r, 300));
    expect(calls).toBe(1);
    expect(goneAt - t0).toBeGreaterThanOrEqual(700);
  });

  it('a pid that was not running at the start counts as gone; stopping the watch stops the calls', async () => {
    let calls = 0;
    watchPids([NO_SUCH_PID], () => calls++, 20);
    const stop = watchPids([process.pid], () => calls++, 20);
    await new Promise((r) => setTimeout(r, 150));
    stop();
    expect(calls).toBe(1);
  });
});
