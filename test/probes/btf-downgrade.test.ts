// The rewrite that lets Ubuntu 22.04's bpftrace 0.14 read this kernel's BTF
// in the compat run, checked on the real /sys/kernel/btf/vmlinux.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { downgradeBtf } from '../../agent/probes/btf-downgrade.js';

const VMLINUX = '/sys/kernel/btf/vmlinux';

interface BtfType { off: number; name: number; kind: number; kflag: boolean; vlen: number; sizeOrType: number }

/** Every type of a BTF blob, walked with the kinds libbpf 0.5 knows plus the three newer ones. */
function types(btf: Buffer): BtfType[] {
  const start = btf.readUInt32LE(4) + btf.readUInt32LE(8);
  const end = start + btf.readUInt32LE(12);
  const extra: Record<number, (v: number) => number> = {
    1: () => 4, 2: () => 0, 3: () => 12, 4: (v) => 12 * v, 5: (v) => 12 * v, 6: (v) => 8 * v, 7: () => 0, 8: () => 0, 9: () => 0, 10: () => 0,
    11: () => 0, 12: () => 0, 13: (v) => 8 * v, 14: () => 4, 15: (v) => 12 * v, 16: () => 0, 17: () => 4, 18: () => 0, 19: (v) => 12 * v,
  };
  const out: BtfType[] = [];
  for (let off = start; off < end;) {
    const info = btf.readUInt32LE(off + 4);
    const t = { off, name: btf.readUInt32LE(off), kind: (info >>> 24) & 0x1f, kflag: info >>> 31 === 1, vlen: info & 0xffff, sizeOrType: btf.readUInt32LE(off + 8) };
    out.push(t);
    off += 12 + extra[t.kind]!(t.vlen);
  }
  return out;
}

describe.skipIf(!existsSync(VMLINUX))('downgradeBtf on this kernel\'s BTF', () => {
  const input = readFileSync(VMLINUX);
  const { btf, counts } = downgradeBtf(input);
  const before = types(input);
  const after = types(btf);

  it('leaves no kind newer than libbpf 0.5 knows, and no signed ENUM', () => {
    // Kernel 6.18 has all three (this is why 0.14 could not read it).
    expect(counts.declTag).toBeGreaterThan(0);
    expect(counts.typeTag).toBeGreaterThan(0);
    expect(counts.enum64).toBeGreaterThan(0);
    expect(after.filter((t) => t.kind > 16)).toEqual([]);
    expect(after.filter((t) => t.kind === 6 && t.kflag)).toEqual([]);
  });

  it('keeps the size, every type id and offset, the strings, and everything else byte for byte', () => {
    expect(btf.length).toBe(input.length);
    expect(after.map((t) => t.off)).toEqual(before.map((t) => t.off));
    const strStart = input.readUInt32LE(4) + input.readUInt32LE(16);
    expect(btf.subarray(strStart).equals(input.subarray(strStart))).toBe(true);
    const changed = new Set(before.filter((t) => t.kind >= 17 || (t.kind === 6 && t.kflag)).map((t) => t.off));
    const same = before.filter((t) => !changed.has(t.off));
    expect(same.length).toBeGreaterThan(100_000);
    for (const t of same) expect(btf.subarray(t.off, t.off + 12).equals(input.subarray(t.off, t.off + 12))).toBe(true);
  });

  it('turns a type tag into const of the same type, and an ENUM64 into a union of its value names', () => {
    const i = before.findIndex((t) => t.kind === 18);
    expect(after[i]).toMatchObject({ kind: 10, sizeOrType: before[i]!.sizeOrType });
    const e = before.findIndex((t) => t.kind === 19);
    expect(after[e]).toMatchObject({ kind: 5, vlen: before[e]!.vlen, sizeOrType: before[e]!.sizeOrType });
    // Member names are the enumerators' names.
    expect(btf.readUInt32LE(after[e]!.off + 12)).toBe(input.readUInt32LE(before[e]!.off + 12));
  });
});
