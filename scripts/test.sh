#!/usr/bin/env bash
# The whole test suite from a fresh clone (as root): installs what the tests
# need, then typecheck, lint and every test (privileged ones included).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
npm run check
