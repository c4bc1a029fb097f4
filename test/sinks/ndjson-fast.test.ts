// The NDJSON sink writes connection records as bytes, from fragments reused
// while their fields repeat, straight into batches of one buffer (both for
// speed). The bytes must be exactly what JSON.stringify and plain string
// writes would give, whatever the record holds and whatever came before it.
import { describe, expect, it } from 'vitest';
import { decodeLine } from '../../agent/decode/decode-line.js';
import { CONNECTION_FIELDS, type ConnectionRecord, type SrcRecord } from '../../agent/model/record.js';
import { Tracer } from '../../agent/pipeline/tracer.js';
import { batchedWriter } from '../../agent/sinks/batched-writer.js';
import { ndjsonSink } from '../../agent/sinks/ndjson-sink.js';
import type { TextOut } from '../../agent/sinks/sink.js';
import { captureLines } from '../helpers/capture.js';
import { hostileRecord } from '../helpers/sample-record.js';

// Plain strings here; the hostile ones come in the variants below.
const base: ConnectionRecord = { ...hostileRecord, comm: 'curl', commHex: '6375726c', cmdline: 'curl -s http://192.0.2.1/', dev: 'eth0' };

/** The records through one NDJSON sink (its caches live across the list): each line as written. */
async function sinkLines(records: SrcRecord[]): Promise<string[]> {
  const chunks: Buffer[] = [];
  const sink = ndjsonSink({ write: (c) => (chunks.push(Buffer.from(c)), true), once: () => undefined });
  for (const r of records) sink.write(r);
  await sink.close();
  const text = Buffer.concat(chunks).toString('utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text.slice(0, -1).split('\n');
}

async function expectExact(records: SrcRecord[]): Promise<void> {
  const lines = await sinkLines(records);
  expect(lines).toHaveLength(records.length);
  records.forEach((r, i) => expect(lines[i]).toBe(JSON.stringify(r)));
}

describe('connection records as NDJSON', () => {
  it('match JSON.stringify byte for byte, hostile strings and nulls included', async () => {
    const variants: ConnectionRecord[] = [
      base,
      hostileRecord,
      { ...base, comm: '\x1b[2J\n"\\\t\u2028\ufffd', commHex: '1b5b324a0a225c09', cmdline: null, saddr: null, sport: null, errno: null, error: null, latencyMs: null, sourceReason: null, dev: null, gateway: null, routeSrc: null, mark: null, stateRaw: null },
      { ...base, cmdline: 'x\ud800y', latencyMs: Number.NaN, family: 4, saddr: '192.0.2.1', daddr: '198.51.100.1' },
      // Fragments are reused while their fields repeat: a change of any one field alone, right after base, must show.
      ...CONNECTION_FIELDS.flatMap((k) => {
        const v = base[k];
        const changed = typeof v === 'number' ? v + 1 : typeof v === 'string' ? `${v}x` : typeof v === 'boolean' ? !v : 'was null';
        return [base, { ...base, [k]: changed }, { ...base, [k]: null }];
      }),
    ];
    await expectExact(variants);
  });

  it('stay exact when only a number changes, and for numbers of every shape', async () => {
    const numbers = [0, 1, 9, 10, 65535, 0xffffffff, 0x100000000, -1, -0, 0.5, 1.25, 1e21, 1e-7, 123.456, Number.MAX_SAFE_INTEGER, -1.2345678901234567e-308, Infinity, -Infinity, Number.NaN, null];
    await expectExact(numbers.flatMap((n) => [{ ...base, sport: n }, { ...base, latencyMs: n }, { ...base, dport: n as number, stateRaw: n }, { ...base, pid: n as number }]));
  });

  it('stay exact when fragments are reused, and after the per-thread cache fills and starts over', async () => {
    // More threads than the task cache holds, each record twice (built, then reused), with
    // escapes that a stale or mixed-up fragment would get wrong.
    const records: ConnectionRecord[] = [];
    for (let i = 0; i < 10_000; i++) {
      const r: ConnectionRecord = {
        ...base, ts: `2026-01-01T00:00:${String(i % 60).padStart(2, '0')}.${String(i % 1000).padStart(3, '0')}Z`,
        tid: base.tid + (i % 1500), cmdline: `c${i % 3}`,
        daddr: `2001:db8::${i.toString(16)}`, dev: `e"${i}\\`, gateway: i % 3 ? `192.0.2.${i % 256}` : null, error: i % 2 ? null : `note\n${i % 7}`,
      };
      records.push(r, { ...r });
    }
    await expectExact(records);
  });

  it('match JSON.stringify for every record of a real capture replayed through the agent', async () => {
    const records: SrcRecord[] = [];
    const tracer = new Tracer({ backend: 'tracepoint', bpftrace: '/bin/false', filter: { pids: [], comms: [] }, sinks: [{ write: (r) => records.push(r), close: async () => {} }] });
    for (const file of ['joined-and-pending.txt', 'loopback-hostile-names.txt']) {
      for (const line of captureLines(file)) if (decodeLine(line).kind !== 'ready') tracer.onLine(line);
    }
    await tracer.stop('replay over');
    const conns = records.filter((r) => r.type === 'connection');
    expect(conns.length).toBeGreaterThanOrEqual(15);
    await expectExact(records);
  });
});

describe('batched writer', () => {
  it('writes exactly the lines given, multi-byte text and lines longer than a batch included', async () => {
    const chunks: Buffer[] = [];
    const out: TextOut = { write: (c) => (chunks.push(Buffer.from(c)), true), once: () => undefined };
    const w = batchedWriter(out);
    const lines = ['plain', 'ünïcödé \ufffd 💥', 'x'.repeat(300_000), '', ...Array.from({ length: 5000 }, (_, i) => `line ${i} ${'é'.repeat(i % 50)}`)];
    for (const l of lines) w.line(l);
    await new Promise((r) => setImmediate(r));
    expect(Buffer.concat(chunks).toString('utf8')).toBe(lines.map((l) => `${l}\n`).join(''));
    expect(chunks.length).toBeGreaterThan(1); // batched, not one write per line, not one huge write
    expect(chunks.length).toBeLessThan(100);
  });

  it('reuses a batch buffer only once the stream is done with it', async () => {
    // A stream that keeps the chunks it was given (no copy) and says it is done with one only later.
    const held: Uint8Array[] = [];
    const pendingDone: (() => void)[] = [];
    const out: TextOut = { write: (c, done) => (held.push(c as Uint8Array), done && pendingDone.push(() => done()), true), once: () => undefined };
    const w = batchedWriter(out);
    const lines = Array.from({ length: 3000 }, (_, i) => `${i} ${'y'.repeat(400)}`);
    for (const l of lines) w.line(l); // several full batches, none written yet
    w.flush();
    expect(held.length).toBeGreaterThan(2);
    const firstBuffers = new Set(held.map((c) => c.buffer));
    expect(firstBuffers.size).toBe(held.length); // each batch in a buffer of its own
    for (const l of lines) w.line(l.toUpperCase()); // had a held buffer been reused, the first lines would change
    w.flush();
    expect(Buffer.concat(held.slice(0, firstBuffers.size)).toString()).toBe(lines.map((l) => `${l}\n`).join(''));
    // Once the stream is done with them, the buffers serve later batches.
    for (const done of pendingDone.splice(0)) done();
    const before = held.length;
    for (const l of lines.slice(0, 1000)) w.line(l);
    w.flush();
    expect(held.slice(before).some((c) => firstBuffers.has(c.buffer))).toBe(true);
  });
});

