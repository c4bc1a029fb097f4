#!/usr/bin/env bash
# The probes against a second bpftrace release, next to the system's (Debian
# 12: 0.17): Debian 13's bpftrace (0.23) from a minimal trixie chroot, run
# through a wrapper so srctrace uses it via SRCTRACE_BPFTRACE. The chroot is
# built once (debootstrap from deb.debian.org, a few minutes) and kept in
# /var/tmp. The wrapper mounts /proc, /sys and /dev into the chroot inside a
# private mount namespace of its own, so no mount outlives bpftrace.
#   scripts/bpftrace-compat.sh    (after scripts/setup.sh --test) end-to-end
#                                 tests (raw tracepoint program, and the lab
#                                 test with the tracepoint one) and the kprobe
#                                 set's compile check
set -euo pipefail
cd "$(dirname "$0")/.."
root=/var/tmp/srctrace-bpftrace-trixie

if [ ! -x "$root/usr/bin/bpftrace" ]; then
  command -v debootstrap >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null; }
  echo "compat: building a Debian trixie chroot with bpftrace in $root (once)" >&2
  rm -rf "$root.tmp"
  debootstrap --variant=minbase --include=bpftrace trixie "$root.tmp" http://deb.debian.org/debian >/dev/null
  mv "$root.tmp" "$root"
fi

wrapper=$(mktemp -d)/bpftrace
trap 'rm -rf "$(dirname "$wrapper")"' EXIT
cat > "$wrapper" <<WRAP
#!/bin/sh
exec unshare --mount --propagation private sh -c 'for d in proc sys dev; do mount --rbind /\$d $root/\$d; done; exec chroot $root /usr/bin/bpftrace "\$@"' bpftrace "\$@"
WRAP
chmod +x "$wrapper"
echo "compat: $("$wrapper" --version)" >&2

# The kprobe set cannot attach here: compile it only (0.23's -d means something else; --emit-elf stops before attaching).
node --input-type=module -e "import { programFor } from './dist/agent/pipeline/program.js'; process.stdout.write(programFor('kprobe'));" > "$(dirname "$wrapper")/kprobe.bt"
if ! "$wrapper" --emit-elf /dev/null - < "$(dirname "$wrapper")/kprobe.bt" > "$(dirname "$wrapper")/kprobe.log" 2>&1; then
  cat "$(dirname "$wrapper")/kprobe.log" >&2
  echo "compat: the kprobe set does not compile on $("$wrapper" --version)" >&2
  exit 1
fi

mkdir -p test-artifacts
status=0
# This bpftrace can attach the raw tracepoint, so srctrace picks that program
# by itself: every end-to-end test with it (SRCTRACE_TEST_BACKEND makes each
# test check that it really ran), then the lab test with the stable
# tracepoint program too, which Debian 12's run above covers in full.
SRCTRACE_BPFTRACE="$wrapper" SRCTRACE_TEST_BACKEND=rawtracepoint npx vitest run test/e2e test/probes/sched.test.ts \
  --reporter=default --reporter=json --outputFile.json=test-artifacts/vitest-compat.json || status=$?
SRCTRACE_BPFTRACE="$wrapper" SRCTRACE_TEST_BACKEND=tracepoint npx vitest run test/e2e/trace-lab.test.ts \
  --reporter=default --reporter=json --outputFile.json=test-artifacts/vitest-compat-tp.json || status=$?
node -e '
  const n = (f) => JSON.parse(require("fs").readFileSync(`test-artifacts/${f}`, "utf8"));
  const [r, t] = [n("vitest-compat.json"), n("vitest-compat-tp.json")];
  console.log(`compat tests (bpftrace from Debian trixie): ${r.numPassedTests + t.numPassedTests} passed, ${r.numFailedTests + t.numFailedTests} failed (rawtracepoint: all end-to-end tests; tracepoint: the lab test)`);
' || true
exit "$status"
