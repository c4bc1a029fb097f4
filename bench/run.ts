// `npm run bench`: the connect-storm overhead benchmark, twice: the issue's
// storm (one client thread, judged against the 0.85 target) and then the same
// with two client threads, which saturate both CPUs of the 2-core VM, so that
// srctrace's own CPU comes out of the storm too (reported, not the target's
// storm). With --all also the dashboard memory and UI frame benchmarks. Each
// runs in its own node process (its output shown as it comes); their final
// JSON lines are repeated at the end.
//
//   npm run bench [-- --all] [-- --seconds N --threads N ...]   (other flags go to connect-storm;
//                                                                with --threads only that storm runs)
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const argv = process.argv.slice(2);
const all = argv.includes('--all');
const stormArgs = argv.filter((a) => a !== '--all');

const benches: [string, string[]][] = stormArgs.some((a) => a === '--threads' || a.startsWith('--threads='))
  ? [['connect-storm.ts', stormArgs]]
  : [['connect-storm.ts', ['--threads', '1', ...stormArgs]], ['connect-storm.ts', ['--threads', '2', '--no-diagnostics', ...stormArgs.filter((a) => a !== '--diagnostics')]]];
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
  console.log(`\n=== ${file} ${args.join(' ')} ===`);
  results.push({ file, ...(await runOne(file, args)) });
}
console.log('\n=== results ===');
for (const r of results) console.log(r.json ?? JSON.stringify({ bench: r.file.replace(/\.ts$/, ''), error: `exited with ${r.code} without a result` }));
if (results.some((r) => r.code !== 0)) process.exitCode = 1;
