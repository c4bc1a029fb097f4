// What --children costs a host that forks a lot: a fork storm (each child
// exits at once: bench/fork-storm.c) alone, under srctrace, under srctrace
// --pid (this process) --children, which adds a probe printing a line per
// fork (bpf/process-fork.bt), and alone again. Each ratio is against the mean
// of the two storms alone. Not part of `npm run bench`: --children is off by
// default, and this is the figure the README quotes for it.
//
//   node --import tsx bench/fork-cost.ts [--rounds 2] [--seconds 5]
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { ensureBuilt, SrctraceRun } from './lib/srctrace-run.js';
import { compileStorm } from './lib/storm.js';

const run = promisify(execFile);
const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const { values: opt } = parseArgs({ options: { rounds: { type: 'string', default: '2' }, seconds: { type: 'string', default: '5' } } });
const ROUNDS = Number(opt.rounds);
const SECONDS = Number(opt.seconds);
if (!(ROUNDS >= 1) || !(SECONDS > 0)) throw new Error('--rounds N (>= 1) --seconds S (> 0)');
if (process.getuid?.() !== 0) throw new Error('bench/fork-cost.ts needs root (srctrace runs bpftrace)');

ensureBuilt(root);
const dir = mkdtempSync(join(tmpdir(), 'srctrace-forkbench-'));
try {
  const bin = await compileStorm(join(root, 'bench', 'fork-storm.c'), dir);
  const storm = async () => (JSON.parse((await run(bin, [String(SECONDS)], { timeout: (SECONDS + 30) * 1000 })).stdout) as { perSecond: number }).perSecond;
  const under = async (extra: string[], name: string) => {
    const agent = new SrctraceRun(root, join(dir, `${name}.ndjson`), SECONDS * 4 + 120, extra);
    await agent.ready();
    try {
      return await storm();
    } finally {
      await agent.stop();
    }
  };
  const rounds: { alone: number; traced: number; children: number }[] = [];
  for (let r = 1; r <= ROUNDS; r++) {
    const a = await storm();
    const traced = await under([], `traced-${r}`);
    const children = await under(['--pid', String(process.pid), '--children'], `children-${r}`);
    const c = await storm();
    const alone = (a + c) / 2;
    rounds.push({ alone, traced, children });
    console.log(`round ${r}: alone ${Math.round(a)} / ${Math.round(c)} forks/s; srctrace ${Math.round(traced)} (${(traced / alone).toFixed(3)}); srctrace --children ${Math.round(children)} (${(children / alone).toFixed(3)})`);
  }
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  const traced = median(rounds.map((r) => r.traced / r.alone));
  const children = median(rounds.map((r) => r.children / r.alone));
  console.log(JSON.stringify({ bench: 'fork-cost', seconds: SECONDS, rounds, ratioTraced: Number(traced.toFixed(3)), ratioChildren: Number(children.toFixed(3)) }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
