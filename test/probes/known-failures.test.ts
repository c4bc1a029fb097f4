// The start failures of other bpftrace releases, as they printed them on the
// development VM (scripts/bpftrace-compat.sh's chroots, kernel 6.18).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { knownFailure } from '../../agent/probes/known-failures.js';

const stderrOf = (file: string) => readFileSync(join(import.meta.dirname, '..', 'fixtures', 'bpftrace-stderr', file), 'utf8');

describe('knownFailure', () => {
  it('names the cause of each release failure seen here, and a different one for each', () => {
    const hints = ['ubuntu-22.04-0.14-begin-trigger.txt', 'ubuntu-22.04-0.14-btf.txt', 'ubuntu-26.04-0.25-no-proc-modules.txt'].map((f) => knownFailure(stderrOf(f)));
    expect(hints[0]).toMatch(/stripped/);
    expect(hints[1]).toMatch(/BTF/);
    expect(hints[2]).toMatch(/module support/);
    expect(new Set(hints).size).toBe(3);
  });

  it('recognises the header fallback of a bpftrace without usable BTF and without kernel headers', () => {
    expect(knownFailure("/bpftrace/include/clang_workarounds.h:14:10: fatal error: 'linux/types.h' file not found")).toMatch(/BTF/);
  });

  it('says nothing about failures that are srctrace\'s own program or unknown', () => {
    // What 0.20 and 0.21 said about earlier programs (since fixed in bpf/): a
    // hint pointing at the release would send the user the wrong way.
    expect(knownFailure('stdin:81:11-114: ERROR: Ternary return type unsupported inet')).toBeNull();
    expect(knownFailure('error: <unknown>:0:0: in function tracepoint_sock_inet_sock_set_state_2 i64 (ptr): Looks like the BPF stack limit is exceeded.')).toBeNull();
    expect(knownFailure('ERROR: fake bpftrace could not attach')).toBeNull();
    expect(knownFailure('')).toBeNull();
    expect(knownFailure(undefined)).toBeNull();
  });
});
