// Agent-side cost per connection, without the kernel, through the real
// pipeline (decode -> correlate -> record -> NDJSON sink to /dev/null):
//   default   drain-helper frames (decode/joined-frame.ts): the common case
//   --lines   C lines (the same connects as text, as in test captures)
//   --split   S/O line pairs (the fallback when the kernel's pending map is full)
// Shaped like the real captures in test/fixtures/captures; socket addresses
// recycle as the kernel's slab recycles sockets. It runs the compiled agent
// (dist/, rebuilt when stale) as the CLI does: tsx's transpiled code differs
// (it wraps every closure in a naming helper, 5% of the time here).
//
//   node --max-semi-space-size=32 --import tsx bench/agent-throughput.ts [N] [--lines | --split]
//   (the flag is the one bin/srctrace gives node)
import { createWriteStream, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBuilt } from './lib/srctrace-run.js';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
ensureBuilt(root);
const dist = (m: string) => new URL(`../dist/agent/${m}`, import.meta.url).href;
const { FRAME_BYTES } = await import(dist('decode/joined-frame.js')) as typeof import('../agent/decode/joined-frame.js');
const { Tracer } = await import(dist('pipeline/tracer.js')) as typeof import('../agent/pipeline/tracer.js');
const { LineSplitter } = await import(dist('probes/line-splitter.js')) as typeof import('../agent/probes/line-splitter.js');
const { ndjsonSink } = await import(dist('sinks/ndjson-sink.js')) as typeof import('../agent/sinks/ndjson-sink.js');

const mode = process.argv.includes('--split') ? 'split' : process.argv.includes('--lines') ? 'lines' : 'frames';
const N = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 200_000);
const out = createWriteStream('/dev/null');
const tracer = new Tracer({
  backend: 'tracepoint', bpftrace: '/bin/false', filter: { pids: [], comms: [] }, sinks: [ndjsonSink(out)],
});

// This process as the connecting task, so its command line resolves as in a real storm.
const stat = readFileSync('/proc/self/stat', 'latin1');
const PID = process.pid;
const START_NS = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]) * 10_000_000;

const skOf = (i: number) => 0xffff888102000000 + (i % 4096) * 0x940;
const tsOf = (i: number) => 1_000_000_000_000 + i * 30_000;
const sportOf = (i: number) => 20000 + (i % 40000);
// Two client threads taking turns, as in the connect storm.
const tidOf = (i: number) => PID + (i % 2);

/** The input as the agent reads it: 64 KiB chunks. */
function textChunks(): string[] {
  const chunks: string[] = [];
  let chunk = '';
  for (let i = 0; i < N; i++) {
    const sk = skOf(i).toString(16);
    const ts = tsOf(i);
    if (mode === 'split') {
      chunk += `S ${ts} ${sk} ${PID} ${tidOf(i)} 4000 0 4026531833 2 ::ffff:127.0.0.1 ::ffff:127.0.0.1 0 40313 0 ${START_NS} 0000006d726f7473 0000000000000000\n`;
      chunk += `O ${ts + 10_000} ${sk} 1 ${sportOf(i)} 0 0000000000006f6c 0000000000000000 0000000000000000 0000000000000000\n`;
    } else {
      chunk += `C ${ts} ${sk} ${PID} ${tidOf(i)} 4000 0 4026531833 2 0000000000000000 0100007fffff0000 0000000000000000 0100007fffff0000 40313 0 ${START_NS} 0000006d726f7473 0000000000000000 ${ts + 10_000} 1 ${sportOf(i)} 0 0000000000006f6c 0000000000000000 0000000000000000 0000000000000000\n`;
    }
    if (chunk.length >= 65536 || i === N - 1) {
      chunks.push(chunk);
      chunk = '';
    }
  }
  return chunks;
}

function frameChunks(): Buffer[] {
  const perChunk = Math.floor(65536 / FRAME_BYTES);
  const chunks: Buffer[] = [];
  for (let i = 0; i < N; i += perChunk) {
    const n = Math.min(perChunk, N - i);
    const b = Buffer.alloc(n * FRAME_BYTES);
    for (let k = 0; k < n; k++) {
      const o = k * FRAME_BYTES;
      // Numbers below 2^53 as two u32 halves (BigInt writes made building the input slower than replaying it).
      const w = (idx: number, v: number) => {
        b.writeUInt32LE(v % 0x1_0000_0000, o + idx * 8);
        b.writeUInt32LE(Math.floor(v / 0x1_0000_0000), o + idx * 8 + 4);
      };
      const j = i + k;
      [skOf(j), tsOf(j), PID, tidOf(j), 4000, 0, 4026531833, 2, 0, 0, 0, 0, 40313, 0, START_NS, 0x6d726f7473, 0, tsOf(j) + 10_000, 1, sportOf(j), 0, 0x6f6c, 0, 0, 0]
        .forEach((v, idx) => w(idx, v));
      // ::ffff:127.0.0.1 as both addresses' second word (0x0100007fffff0000, beyond 2^53).
      for (const word of [9, 11]) b.writeBigUInt64LE(0x0100007fffff0000n, o + word * 8);
    }
    chunks.push(b);
  }
  return chunks;
}

const texts = mode === 'frames' ? [] : textChunks();
const frames = mode === 'frames' ? frameChunks() : [];
const splitter = new LineSplitter((l) => tracer.onLine(l));
const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
// Chunk by chunk, yielding between chunks so writes drain, as from a pipe.
for (const c of texts) {
  splitter.push(c);
  await new Promise((r) => setImmediate(r));
}
for (const b of frames) {
  tracer.onFrames(b, b.length / FRAME_BYTES);
  await new Promise((r) => setImmediate(r));
}
const t1 = process.hrtime.bigint();
const cpu = process.cpuUsage(cpu0);
await tracer.stop('bench over');
const wallUs = Number(t1 - t0) / 1e3;
const result = { mode, connections: tracer.summary.connections, usPerConnection: +(wallUs / N).toFixed(2), cpuUsPerConnection: +((cpu.user + cpu.system) / N).toFixed(2) };
console.log(`agent pipeline (${mode === 'split' ? 'S+O lines' : mode === 'lines' ? 'C lines' : 'drained frames'}): ${result.usPerConnection} us/connection wall, ${result.cpuUsPerConnection} us CPU (${N} connections)`);
console.log(JSON.stringify(result));
