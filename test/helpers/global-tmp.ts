// vitest globalSetup: every temporary file the tests make (mkdtemp under
// os.tmpdir(): connector builds, fake bpftrace state, CLI output, srctrace's
// own BTF copy for bpftrace 0.14) goes under one directory per run, removed
// when the run ends. Runs used to leave several hundred directories in /tmp.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'srctrace-tests-'));
  // Others may traverse it: the not-root CLI test runs srctrace as nobody with a home in here.
  chmodSync(root, 0o755);
  process.env.TMPDIR = root;
  return () => rmSync(root, { recursive: true, force: true });
}
