// The issue's two reference points, measured here: "a bare bpftrace script
// printing one line per connection measured about 0.6, and a naive in-kernel
// join that printed nothing about 0.85". Both scripts are below, as short as
// such scripts are written; each runs under the same loopback storm as
// bench/connect-storm.ts, once with one client thread (the issue's "a small
// client connecting as fast as it can") and once with two (both CPUs of this
// VM saturated), so the figures say which storm the target was set against.
// Not part of `npm run bench`: a calibration of the benchmark itself.
//
//   node --import tsx bench/reference-points.ts [--rounds 2] [--seconds 10]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { bpftracePath } from '../agent/probes/preflight.js';
import { BareBpftrace } from './lib/bare-bpftrace.js';
import { compileStorm, runStorm } from './lib/storm.js';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const { values: opt } = parseArgs({ options: { rounds: { type: 'string', default: '2' }, seconds: { type: 'string', default: '10' } } });
const ROUNDS = Number(opt.rounds);
const SECONDS = Number(opt.seconds);
if (!Number.isInteger(ROUNDS) || ROUNDS < 1 || !(SECONDS > 0 && SECONDS <= 600)) {
  console.error('reference-points: --rounds expects an integer >= 1, --seconds 0 < N <= 600');
  process.exit(2);
}

const READY = 'BEGIN { printf("READY %llu\\n", nsecs); }';
const programs = {
  // One line per connection, in the connecting task: what a first try looks like.
  printfPerConnect: `${READY}
tracepoint:sock:inet_sock_set_state /args->protocol == 6 && args->oldstate == 7 && args->newstate == 2/
{ printf("%d %d %s %s %d\\n", pid, tid, comm, ntop(args->daddr), args->dport); }
`,
  // The start kept by socket, taken back at the outcome; nothing printed.
  naiveJoin: `${READY}
tracepoint:sock:inet_sock_set_state /args->protocol == 6 && args->oldstate == 7 && args->newstate == 2/
{ @start[args->skaddr] = (nsecs, pid, tid, comm); }
tracepoint:sock:inet_sock_set_state /args->protocol == 6 && args->oldstate == 2/
{ $s = @start[args->skaddr]; if ($s.0 != 0) { @joined = count(); delete(@start[args->skaddr]); } }
END { clear(@start); }
`,
};

const dir = await mkdtemp(join(tmpdir(), 'srctrace-refpoints-'));
try {
  const bin = await compileStorm(join(root, 'bench', 'storm.c'), dir);
  for (const threads of [1, 2]) {
    for (let r = 1; r <= ROUNDS; r++) {
      const a = (await runStorm(bin, SECONDS, threads)).perSecond;
      const under: Record<string, number> = {};
      for (const [name, program] of Object.entries(programs)) {
        const bt = new BareBpftrace(bpftracePath(), program, 'devnull');
        await bt.ready();
        try {
          under[name] = (await runStorm(bin, SECONDS, threads)).perSecond;
        } finally {
          await bt.stop();
        }
      }
      const c = (await runStorm(bin, SECONDS, threads)).perSecond;
      const base = (a + c) / 2;
      const ratios = Object.fromEntries(Object.entries(under).map(([k, v]) => [k, +(v / base).toFixed(3)]));
      console.log(JSON.stringify({ threads, round: r, aloneBefore: Math.round(a), aloneAfter: Math.round(c), ratios }));
    }
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
