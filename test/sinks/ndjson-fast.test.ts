// The NDJSON sink writes connection records field by field and in batches
// into one buffer (both for speed). The bytes must be exactly what
// JSON.stringify and plain string writes would give, whatever the record holds.
import { describe, expect, it } from 'vitest';
import { decodeLine } from '../../agent/decode/decode-line.js';
import { agentNdjsonLine } from '../../agent/model/format.js';
import type { ConnectionRecord, SrcRecord } from '../../agent/model/record.js';
import { Tracer } from '../../agent/pipeline/tracer.js';
import { batchedWriter } from '../../agent/sinks/batched-writer.js';
import type { TextOut } from '../../agent/sinks/sink.js';
import { captureLines } from '../helpers/capture.js';
import { hostileRecord } from '../helpers/sample-record.js';

// Plain strings here; the hostile ones come in the variants below.
const base: ConnectionRecord = { ...hostileRecord, comm: 'curl', commHex: '6375726c', cmdline: 'curl -s http://192.0.2.1/', dev: 'eth0' };

describe('connection records as NDJSON', () => {
  it('match JSON.stringify byte for byte, hostile strings and nulls included', () => {
    const variants: ConnectionRecord[] = [
      base,
      hostileRecord,
      { ...base, comm: '\x1b[2J\n"\\\t\u2028\ufffd', commHex: '1b5b324a0a225c09', cmdline: null, saddr: null, sport: null, errno: null, error: null, latencyMs: null, sourceReason: null, dev: null, gateway: null, stateRaw: null },
      { ...base, cmdline: 'x\ud800y', latencyMs: Number.NaN, family: 4, saddr: '192.0.2.1', daddr: '198.51.100.1' },
      // The task fragment is reused while pid..netns repeat: each change alone, right after base, must show.
      ...[
        ...(['pid', 'tid', 'ppid', 'uid', 'netns'] as const).map((k) => ({ ...base, [k]: base[k] + 1 })),
        { ...base, comm: 'curl2' }, { ...base, commHex: '00' }, { ...base, cmdline: 'other' }, { ...base, cmdline: null },
      ].flatMap((v) => [base, v]),
    ];
    for (const r of variants) expect(agentNdjsonLine(r)).toBe(JSON.stringify(r));
  });

  it('stay exact when repeated strings are quoted from the cache, and after it fills and starts over', () => {
    // More distinct values than the cache holds, each seen twice (a miss, then a hit), with
    // escapes that a stale or mixed-up entry would get wrong.
    for (let i = 0; i < 10_000; i++) {
      const r: ConnectionRecord = {
        ...base, ts: `2026-01-01T00:00:${String(i % 60).padStart(2, '0')}.${String(i % 1000).padStart(3, '0')}Z`,
        daddr: `2001:db8::${i.toString(16)}`, dev: `e"${i}\\`, gateway: i % 3 ? `192.0.2.${i % 256}` : null, error: i % 2 ? null : `note\n${i % 7}`,
      };
      expect(agentNdjsonLine(r)).toBe(JSON.stringify(r));
      expect(agentNdjsonLine(r)).toBe(JSON.stringify(r));
    }
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
    for (const r of records) expect(agentNdjsonLine(r)).toBe(JSON.stringify(r));
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
});
