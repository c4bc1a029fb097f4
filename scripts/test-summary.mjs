// Prints the closing lines of a test run from vitest JSON reports:
//   node scripts/test-summary.mjs LABEL REPORT.json [RERUN.json]
// or the files that failed, space-separated, to run again (test.sh and
// bpftrace-compat.sh both do):
//   node scripts/test-summary.mjs --failed-files REPORT.json
// "LABEL: N passed, N failed, N skipped", then one line per failed test with
// the first lines of its error. CI logs are often read from the end only, so
// scripts/test.sh prints this last: a failure must be readable there, not
// only hundreds of lines above it.
import fs from "node:fs";
import path from "node:path";

if (process.argv[2] === '--failed-files') {
  const r = JSON.parse(fs.readFileSync(process.argv[3], "utf8"));
  console.log(r.testResults.filter((t) => t.status === "failed").map((t) => path.relative(process.cwd(), t.name)).join(" "));
  process.exit(0);
}

const [label, reportFile, rerunFile] = process.argv.slice(2);
if (!label || !reportFile) {
  console.error("usage: node scripts/test-summary.mjs LABEL REPORT.json [RERUN.json]");
  process.exit(2);
}

function read(file) {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    console.log(`${label}: no report (${file}: ${e.code ?? e.message})`);
    return null;
  }
}

/** Failed tests of a report: "file > describe > test" and the error's head. */
function failures(report) {
  const out = [];
  for (const file of report.testResults ?? []) {
    const rel = path.relative(process.cwd(), file.name);
    const failedTests = (file.assertionResults ?? []).filter((t) => t.status === "failed");
    for (const t of failedTests) {
      const msg = (t.failureMessages ?? []).join("\n");
      out.push({ name: `${rel} > ${t.fullName}`, msg });
    }
    // A file can fail without a failed test (an error while loading it, a hook).
    if (file.status === "failed" && failedTests.length === 0) out.push({ name: rel, msg: file.message ?? "" });
  }
  return out;
}

// The first lines of the message, without ANSI colours, stack frames dropped.
function head(msg) {
  const lines = msg.replace(/\x1b\[[0-9;]*m/g, "").split("\n").filter((l) => l.trim() && !/^\s+at /.test(l));
  return lines.slice(0, 6).map((l) => `      ${l.slice(0, 300)}`).join("\n");
}

const report = read(reportFile);
if (!report) process.exit(0);
const skipped = report.numPendingTests + report.numTodoTests;
const rerun = rerunFile ? read(rerunFile) : null;
const flaky = rerun && rerun.numFailedTests === 0 && rerun.success !== false;
console.log(
  `${label}: ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${skipped} skipped` +
    (rerun ? (flaky ? "; every failure passed when its file ran again (FLAKY)" : "; failed again when run once more") : ""),
);
for (const f of failures(report)) console.log(`  FAILED ${f.name}\n${head(f.msg)}`);
