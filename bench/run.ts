// `npm run bench`: the connect-storm overhead benchmark; with --all also the
// dashboard memory and UI frame benchmarks. Each runs in its own node process
// (its output shown as it comes); their final JSON lines are repeated at the end.
//
//   npm run bench [-- --all] [-- --seconds N --threads N ...]   (other flags go to connect-storm)
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const argv = process.argv.slice(2);
const all = argv.includes('--all');
const stormArgs = argv.filter((a) => a !== '--all');

const benches: [string, string[]][] = [['connect-storm.ts', stormArgs]];
if (all) benches.push(['dashboard-memory.ts', []], ['ui-frames.ts', []]);

/** A benchmark's result is the last stdout line that is a JSON object. */
function isJsonObject(line: string): boolean {
  if (!line.startsWith('{')) return false;
  try {
    return typeof JSON.parse(line) === 'object';
  } catch {
    return false;
  }
}

function runOne(file: string, args: string[]): Promise<{ code: number | null; json: string | null }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'bench', file), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let json: string | null = null;
    let rest = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      process.stdout.write(chunk);
      const lines = (rest + chunk).split('\n');
      rest = lines.pop()!;
      for (const l of lines) if (isJsonObject(l)) json = l;
    });
    child.on('close', (code) => {
      if (isJsonObject(rest)) json = rest;
      done({ code, json });
    });
  });
}

const results: { file: string; code: number | null; json: string | null }[] = [];
for (const [file, args] of benches) {
  console.log(`\n=== ${file} ===`);
  results.push({ file, ...(await runOne(file, args)) });
}
console.log('\n=== results ===');
for (const r of results) console.log(r.json ?? JSON.stringify({ bench: r.file.replace(/\.ts$/, ''), error: `exited with ${r.code} without a result` }));
if (results.some((r) => r.code !== 0)) process.exitCode = 1;
