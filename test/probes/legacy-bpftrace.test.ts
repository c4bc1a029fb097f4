// bpftrace 0.14's own program and its rewritten BTF (legacy-bpftrace.ts).
// The program itself runs on the real 0.14 in the compat run
// (scripts/bpftrace-compat.sh, Ubuntu 22.04).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KernelSupportError } from '../../agent/errors.js';
import { programFiles, programFor } from '../../agent/pipeline/program.js';
import { downgradeBtf } from '../../agent/probes/btf-downgrade.js';
import { isLegacyBpftrace, legacyBtf, removeStaleBtf } from '../../agent/probes/legacy-bpftrace.js';

const VMLINUX = '/sys/kernel/btf/vmlinux';
const ourDirs = () => readdirSync(tmpdir()).filter((d) => d.startsWith('srctrace-btf-')).sort();

describe('which bpftrace gets the 0.14 program', () => {
  it.each([['0.14.0', true], ['0.14', true], ['0.9.4', true], ['0.15.0', false], ['0.17.0', false], ['0.27.0', false], ['1.0.0', false]] as const)('%s: %s', (v, legacy) => {
    expect(isLegacyBpftrace(v)).toBe(legacy);
  });
});

describe('the 0.14 program', () => {
  it('is the tracepoint set only, READY last, with no BEGIN or END (Ubuntu\'s 0.14 cannot attach them)', () => {
    expect(programFiles('tracepoint', true)).toEqual(['srctrace-tracepoint-0.14.bt', 'process-exec.bt', 'ready-0.14.bt']);
    // --children's fork probe goes before READY, which must come last.
    expect(programFiles('tracepoint', true, true)).toEqual(['srctrace-tracepoint-0.14.bt', 'process-exec.bt', 'process-fork.bt', 'ready-0.14.bt']);
    expect(() => programFiles('kprobe', true)).toThrow(/0.14 runs only the tracepoint set/);
    expect(() => programFiles('rawtracepoint', true)).toThrow(/0.14 runs only the tracepoint set/);
    const program = programFor('tracepoint', { legacy: true });
    expect(program).not.toMatch(/^\s*(BEGIN|END)\b/m);
    // No tuples: 0.14 packs them and the verifier refuses the misaligned stack access.
    const code = program.replace(/\/\*[\s\S]*?\*\//g, '');
    expect(code).not.toMatch(/@\w+(\[[^\]]*\])?\s*=\s*\([^;]*,/);
    expect(programFor('tracepoint').replace(/\/\*[\s\S]*?\*\//g, '')).toMatch(/@\w+(\[[^\]]*\])?\s*=\s*\([^;]*,/); // the check can see one
    const probes = code.match(/^[a-z]+:[^\s{]+/gm);
    expect(probes?.at(-1)).toBe('interval:ms:100');
    expect(programFor('tracepoint')).toMatch(/^BEGIN\b/m); // the others keep theirs
  });
});

describe.skipIf(!existsSync(VMLINUX))('legacyBtf', () => {
  it('writes the kernel\'s BTF, rewritten, to a private file named in BPFTRACE_BTF; remove() deletes it', () => {
    const btf = legacyBtf({});
    const file = btf.env.BPFTRACE_BTF!;
    expect(readFileSync(file).equals(downgradeBtf(readFileSync(VMLINUX)).btf)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(file)).mode & 0o777).toBe(0o700);
    btf.remove();
    expect(existsSync(dirname(file))).toBe(false);
    btf.remove(); // twice is harmless (the CLI's finally after a failed start)
  });

  it('leaves a BPFTRACE_BTF the user set alone, writing nothing', () => {
    const before = ourDirs();
    const btf = legacyBtf({ BPFTRACE_BTF: '/my/btf' });
    expect(btf.env).toEqual({});
    expect(ourDirs()).toEqual(before);
  });
});

describe('legacyBtf on BTF it cannot rewrite', () => {
  it('fails with what to do, and leaves no file behind', () => {
    const junk = join(mkdtempSync(join(tmpdir(), 'srctrace-test-')), 'vmlinux');
    writeFileSync(junk, Buffer.alloc(64, 0x41));
    const before = ourDirs();
    expect(() => legacyBtf({}, junk)).toThrow(KernelSupportError);
    expect(() => legacyBtf({}, junk)).toThrow(/rewriting it for that bpftrace failed \(not little-endian BTF .*\): use bpftrace 0.15 or newer, or set BPFTRACE_BTF/);
    expect(ourDirs()).toEqual(before);
  });
});

describe('copies left by a run killed with SIGKILL', () => {
  it('are removed by the next run: those of gone pids only', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'srctrace-test-'));
    // A pid that has exited (a child reaped here), and this process's own.
    const { pid: gone } = await new Promise<{ pid: number }>((resolve) => {
      const c = spawn('true');
      c.once('exit', () => resolve({ pid: c.pid! }));
    });
    for (const name of [`srctrace-btf-${gone}-AbC123`, `srctrace-btf-${process.pid}-XyZ789`, 'srctrace-btf-notapid', 'other-dir']) {
      mkdirSync(join(tmp, name));
      writeFileSync(join(tmp, name, 'vmlinux'), 'x');
    }
    removeStaleBtf(tmp);
    expect(readdirSync(tmp).sort()).toEqual([`srctrace-btf-${process.pid}-XyZ789`, 'other-dir', 'srctrace-btf-notapid'].sort());
    // legacyBtf sweeps first, then names its own copy after this pid.
    mkdirSync(join(tmp, `srctrace-btf-${gone}-Again1`));
    const junk = join(tmp, 'junk');
    writeFileSync(junk, Buffer.alloc(64, 0x41));
    expect(() => legacyBtf({}, junk, tmp)).toThrow(KernelSupportError);
    expect(readdirSync(tmp).filter((d) => d.includes(String(gone)))).toEqual([]);
  });
});
