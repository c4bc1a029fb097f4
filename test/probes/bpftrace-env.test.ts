// The map size reaches every bpftrace under the name it reads: 0.17 only
// knows BPFTRACE_MAP_KEYS_MAX, 0.27 only BPFTRACE_MAX_MAP_KEYS (an old name
// alone left 0.27's maps at 4,096 keys, and the end-to-end map-full tests
// failed on it).
import { describe, expect, it } from 'vitest';
import { bpftraceEnv } from '../../agent/probes/bpftrace-process.js';

describe('bpftraceEnv', () => {
  it('defaults: 65,536 keys under both names, 1,024 perf buffer pages', () => {
    expect(bpftraceEnv({})).toEqual({ BPFTRACE_PERF_RB_PAGES: '1024', BPFTRACE_MAP_KEYS_MAX: '65536', BPFTRACE_MAX_MAP_KEYS: '65536' });
  });

  it.each([
    ['the old name', { BPFTRACE_MAP_KEYS_MAX: '64' }, '64'],
    ['the new name', { BPFTRACE_MAX_MAP_KEYS: '128' }, '128'],
    ['both: the new name wins', { BPFTRACE_MAP_KEYS_MAX: '64', BPFTRACE_MAX_MAP_KEYS: '128' }, '128'],
  ])('a size from the user under %s goes out under both names', (_name, env, keys) => {
    const out = bpftraceEnv(env);
    expect(out.BPFTRACE_MAP_KEYS_MAX).toBe(keys);
    expect(out.BPFTRACE_MAX_MAP_KEYS).toBe(keys);
  });

  it('keeps the perf buffer size the user set', () => {
    expect(bpftraceEnv({ BPFTRACE_PERF_RB_PAGES: '64' }).BPFTRACE_PERF_RB_PAGES).toBe('64');
  });
});
