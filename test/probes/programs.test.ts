// The probe programs compile on this machine's bpftrace. The kprobe set cannot
// attach on these VMs (no CONFIG_KPROBES), so bpftrace's dry run (-d: parse,
// semantic checks against BTF, codegen) is as far as it can be exercised here.
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { programFor } from '../../agent/pipeline/program.js';
import { ensureTracefs } from '../../agent/probes/preflight.js';

const isRoot = process.getuid?.() === 0;

async function dryRun(program: string) {
  return execa('bpftrace', ['-d', '-'], { input: program, reject: false, timeout: 60_000 });
}

describe.skipIf(!isRoot)('probe programs compile (bpftrace -d)', () => {
  // Tracepoint formats come from tracefs, which a fresh boot does not mount;
  // the agent mounts it itself, and so does this test, the same way.
  beforeAll(() => ensureTracefs());

  it.each(['tracepoint', 'kprobe'] as const)('%s set', async (backend) => {
    const r = await dryRun(programFor(backend));
    expect(r.stderr).not.toMatch(/\bERROR: (?!Unknown error -1: couldn't set RLIMIT)/);
    expect(r.exitCode).toBe(0);
  });

  it.each(['tracepoint', 'kprobe'] as const)('%s set with --children\'s fork probe', async (backend) => {
    const program = programFor(backend, { children: true });
    expect(program).toContain('tracepoint:sched:sched_process_fork');
    expect(programFor(backend)).not.toContain('sched_process_fork');
    const r = await dryRun(program);
    expect(r.stderr).not.toMatch(/\bERROR: (?!Unknown error -1: couldn't set RLIMIT)/);
    expect(r.exitCode).toBe(0);
  });

  it('the tracepoint set\'s program for bpftrace 0.14 (also valid bpftrace 0.17)', async () => {
    const r = await dryRun(programFor('tracepoint', { legacy: true }));
    expect(r.stderr).not.toMatch(/\bERROR: (?!Unknown error -1: couldn't set RLIMIT)/);
    expect(r.exitCode).toBe(0);
  });

  it('the dry run does catch a broken program (so the checks above mean something)', async () => {
    const broken = programFor('kprobe').replace('$c.skc_num', '$c.skc_no_such_field');
    const r = await dryRun(broken);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/does not contain a field named 'skc_no_such_field'/);
  });
});
