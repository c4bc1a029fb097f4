#!/usr/bin/env bash
# Installs everything srctrace needs on Debian/Ubuntu (as root) and builds it.
# Idempotent: packages already present and an up-to-date build are skipped.
#   scripts/setup.sh          runtime: bpftrace, iproute2, util-linux, gcc and
#                             libc6-dev (to build the drain helper), node deps, build
#   scripts/setup.sh --test   also what the test suite needs (chromium; bpftool where packaged)
set -euo pipefail
cd "$(dirname "$0")/.."

want=(bpftrace iproute2 util-linux gcc libc6-dev)
[ "${1:-}" = "--test" ] && want+=(chromium)

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: need root to install: ${missing[*]} (run with sudo)" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# bpftool (tests only: test/e2e/pend-watch.test.ts writes a map entry with
# it) is not packaged on every Debian/Ubuntu release: where apt has none, that
# test says it is skipped and why.
if [ "${1:-}" = "--test" ] && ! command -v bpftool >/dev/null && [ "$(id -u)" -eq 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends bpftool >/dev/null 2>&1 \
    || { apt-get update -qq && apt-get install -y -qq --no-install-recommends bpftool >/dev/null 2>&1; } \
    || echo "setup: no bpftool package here; test/e2e/pend-watch.test.ts will be skipped" >&2
fi

if ! command -v node >/dev/null || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  echo "setup: srctrace needs Node.js 20 or newer (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

# Reinstall only when the lockfile changed since the last install.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

# Rebuild when any source is newer than the build stamp.
stamp=dist/.build-stamp
if [ ! -f "$stamp" ] || [ ! -x dist/native/srctrace-drain ] || [ -n "$(find agent ui/src ui/index.html bpf package.json -newer "$stamp" -print -quit 2>/dev/null)" ]; then
  npm run build --silent
  touch "$stamp"
fi
