// What attaching the probes costs a loopback connect storm, apart from what
// they do: the storm alone, then under bpftrace (with the drain helper) running
//   full       the real program (bpf/*.bt, as srctrace runs it, output thrown away)
//   noSyscall  the same without the connect() syscall probes (outcome-common.bt):
//              what the syscall tracepoints cost (they put every syscall of
//              every task on the kernel's slow path)
//   attached   every probe of it attached, each body reduced to a count
//   sockOnly   only the inet_sock_set_state probe, body reduced to a count
// then alone again; each ratio is against the mean of the two storms alone.
// --backend rawtracepoint measures that program (bpftrace >= 0.19, e.g.
// SRCTRACE_BPFTRACE pointing at a newer one). Not part of `npm run bench`: a
// diagnostic for where the overhead lives.
//
//   node --import tsx bench/probe-cost.ts [--rounds 2] [--seconds 10] [--backend tracepoint|rawtracepoint]
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { programFor } from '../agent/pipeline/program.js';
import { bpftracePath } from '../agent/probes/preflight.js';
import { BareBpftrace } from './lib/bare-bpftrace.js';
import { compileStorm, runStorm } from './lib/storm.js';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const { values: opt } = parseArgs({ options: { rounds: { type: 'string', default: '2' }, seconds: { type: 'string', default: '10' }, backend: { type: 'string', default: 'tracepoint' } } });
const ROUNDS = Number(opt.rounds);
const SECONDS = Number(opt.seconds);
if (opt.backend !== 'tracepoint' && opt.backend !== 'rawtracepoint') throw new Error(`--backend tracepoint|rawtracepoint, got ${opt.backend}`);
const backend = opt.backend;

// The real program's start/outcome probe and predicate, so the same events reach BPF.
const SOCK = backend === 'tracepoint'
  ? 'tracepoint:sock:inet_sock_set_state /args->protocol == 6 && (args->oldstate == 2 || (args->oldstate == 7 && args->newstate == 2))/'
  : 'rawtracepoint:inet_sock_set_state /arg1 == 2 || (arg1 == 7 && arg2 == 2)/';
const READY = 'BEGIN { printf("READY %llu\\n", nsecs); }';
const bt = (name: string) => readFileSync(join(root, 'bpf', name), 'utf8');
const programs = {
  full: programFor(backend, { root }),
  noSyscall: [bt(`srctrace-${backend}.bt`).replace(/^\s*clear\(@connect\);.*$/gm, ''), bt('process-exec.bt')].join('\n'),
  attached: `${READY}\n${SOCK} { @n = count(); }\ntracepoint:syscalls:sys_enter_connect { @e = count(); }\ntracepoint:syscalls:sys_exit_connect { @x = count(); }\ntracepoint:sched:sched_process_exec { @p = count(); }\n`,
  sockOnly: `${READY}\n${SOCK} { @n = count(); }\n`,
};

const bin = await compileStorm(join(root, 'bench', 'storm.c'), await import('node:os').then((os) => os.tmpdir()));
const alone = async () => (await runStorm(bin, SECONDS, 2)).perSecond;
async function under(program: string): Promise<number> {
  const bt = new BareBpftrace(bpftracePath(), program, 'devnull');
  await bt.ready();
  try {
    return (await runStorm(bin, SECONDS, 2)).perSecond;
  } finally {
    await bt.stop();
  }
}

for (let r = 1; r <= ROUNDS; r++) {
  const a = await alone();
  const rates = { full: await under(programs.full), noSyscall: await under(programs.noSyscall), attached: await under(programs.attached), sockOnly: await under(programs.sockOnly) };
  const c = await alone();
  const base = (a + c) / 2;
  const ratios = Object.fromEntries(Object.entries(rates).map(([k, v]) => [k, +(v / base).toFixed(3)]));
  console.log(JSON.stringify({ backend, round: r, aloneBefore: Math.round(a), aloneAfter: Math.round(c), ratios }));
}
