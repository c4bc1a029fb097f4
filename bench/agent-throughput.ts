// Agent-side cost per connection, without the kernel: replays C lines (one per
// connect, the common case) or, with --split, S/O line pairs (the fallback when
// the kernel's pending map is full), shaped like the real captures in
// test/fixtures/captures, through the real pipeline (decode -> correlate ->
// record -> NDJSON sink to /dev/null).
//
//   node --import tsx bench/agent-throughput.ts [N] [--split]
import { createWriteStream } from 'node:fs';
import { Tracer } from '../agent/pipeline/tracer.js';
import { ndjsonSink } from '../agent/sinks/ndjson-sink.js';

const split = process.argv.includes('--split');
const N = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 200_000);
const out = createWriteStream('/dev/null');
const tracer = new Tracer({
  backend: 'tracepoint', bpftrace: '/bin/false', filter: { pids: [], comms: [] }, sinks: [ndjsonSink(out)],
});
const lines: string[] = [];
for (let i = 0; i < N; i++) {
  const sk = (0xffff888102000000 + i * 0x40).toString(16);
  const ts = 1_000_000_000_000 + i * 30_000;
  if (split) {
    lines.push(`S ${ts} ${sk} 4242 4243 4000 0 4026531833 2 ::ffff:127.0.0.1 ::ffff:127.0.0.1 0 40313 0 712876928285 0000006d726f7473 0000000000000000`);
    lines.push(`O ${ts + 10_000} ${sk} 1 ${20000 + (i % 40000)} 0 0000000000006f6c 0000000000000000 0000000000000000 0000000000000000`);
  } else {
    lines.push(`C ${ts} ${sk} 4242 4243 4000 0 4026531833 2 0000000000000000 0100007fffff0000 0000000000000000 0100007fffff0000 40313 0 712876928285 0000006d726f7473 0000000000000000 ${ts + 10_000} 1 ${20000 + (i % 40000)} 0 0000000000006f6c 0000000000000000 0000000000000000 0000000000000000`);
  }
}
const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
// Fed in chunks like a pipe delivers them, yielding between chunks so writes drain.
for (let i = 0; i < lines.length; i += 200) {
  for (let j = i; j < Math.min(i + 200, lines.length); j++) tracer.onLine(lines[j]!);
  await new Promise((r) => setImmediate(r));
}
const t1 = process.hrtime.bigint();
const cpu = process.cpuUsage(cpu0);
await tracer.stop('bench over');
const wallUs = Number(t1 - t0) / 1e3;
const result = { connections: tracer.summary.connections, usPerConnection: +(wallUs / N).toFixed(2), cpuUsPerConnection: +((cpu.user + cpu.system) / N).toFixed(2) };
console.log(`agent pipeline (${split ? 'S+O lines' : 'C lines'}): ${result.usPerConnection} us/connection wall, ${result.cpuUsPerConnection} us CPU (${N} connections)`);
console.log(JSON.stringify(result));
