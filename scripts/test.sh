#!/usr/bin/env bash
# The whole test suite from a fresh clone (as root): installs what the tests
# need, then typecheck, lint and every test (privileged ones included), then
# the end-to-end tests again with other bpftrace releases (Ubuntu 24.04's
# 0.20, Ubuntu 25.04's 0.21, Debian 13's 0.23 and Debian testing's 0.27, from
# chroots built once: scripts/bpftrace-compat.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
npm run typecheck
npm run lint
mkdir -p test-artifacts
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=test-artifacts/vitest.json || status=$?
# One plain closing line for CI logs: "tests: N passed, N failed, N skipped".
node -e '
  const r = JSON.parse(require("fs").readFileSync("test-artifacts/vitest.json", "utf8"));
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
' || true
compat=0
scripts/bpftrace-compat.sh || compat=$?
[ "$status" -ne 0 ] && exit "$status"
exit "$compat"
