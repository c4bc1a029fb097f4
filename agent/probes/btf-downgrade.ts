// The kernel's BTF rewritten for a libbpf that predates its newest type kinds,
// so an old bpftrace (Ubuntu 22.04's 0.14, libbpf 0.5) can compile programs
// against a newer kernel than its own (Ubuntu 22.04's HWE kernels; 6.18 here):
// handed to it as BPFTRACE_BTF (legacy-bpftrace.ts). Each newer kind is
// replaced in place by one of the same size that the old libbpf knows, as
// libbpf itself sanitises BTF for older kernels (btf.c, bpf_object__sanitize_btf):
//   DECL_TAG (17) -> INT (a 1-byte int nothing refers to)
//   TYPE_TAG (18) -> CONST (same referenced type: `int __user *` reads as `const int *`)
//   ENUM64   (19) -> UNION of its values' names, each an 8-byte int member
// and the signedness flag of ENUM (kernel 6.0) is cleared. Type ids, the
// string section and every other byte stay as they were.
//   node dist/agent/probes/btf-downgrade.js IN OUT   (by hand)
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const KIND = { INT: 1, STRUCT: 4, UNION: 5, ENUM: 6, CONST: 10, DECL_TAG: 17, TYPE_TAG: 18, ENUM64: 19 } as const;

/** Bytes after the 12-byte common header, per kind (include/uapi/linux/btf.h). */
function extraBytes(kind: number, vlen: number): number {
  switch (kind) {
    case 1: case 14: case 17: return 4; // INT, VAR, DECL_TAG
    case 3: return 12; // ARRAY
    case 4: case 5: case 15: case 19: return 12 * vlen; // STRUCT, UNION, DATASEC, ENUM64
    case 6: case 13: return 8 * vlen; // ENUM, FUNC_PROTO
    case 2: case 7: case 8: case 9: case 10: case 11: case 12: case 16: case 18: return 0;
    default: throw new Error(`BTF type kind ${kind} is unknown to this rewriter`);
  }
}

export interface DowngradeCounts { declTag: number; typeTag: number; enum64: number; signedEnum: number }

export function downgradeBtf(input: Buffer): { btf: Buffer; counts: DowngradeCounts } {
  const btf = Buffer.from(input);
  if (btf.readUInt16LE(0) !== 0xeb9f) throw new Error('not little-endian BTF (magic 0xeB9F)');
  const hdrLen = btf.readUInt32LE(4);
  const typeStart = hdrLen + btf.readUInt32LE(8);
  const typeEnd = typeStart + btf.readUInt32LE(12);
  const counts: DowngradeCounts = { declTag: 0, typeTag: 0, enum64: 0, signedEnum: 0 };

  // First pass: offsets of every type (ids start at 1), and an 8-byte INT for ENUM64's members.
  const offsets: number[] = [];
  let int64Id = 0;
  for (let off = typeStart; off < typeEnd;) {
    offsets.push(off);
    const info = btf.readUInt32LE(off + 4);
    const kind = (info >>> 24) & 0x1f;
    if (kind === KIND.INT && int64Id === 0 && btf.readUInt32LE(off + 8) === 8) int64Id = offsets.length;
    off += 12 + extraBytes(kind, info & 0xffff);
  }

  for (const off of offsets) {
    const info = btf.readUInt32LE(off + 4);
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    if (kind === KIND.DECL_TAG) {
      btf.writeUInt32LE(0, off);
      btf.writeUInt32LE(KIND.INT << 24, off + 4);
      btf.writeUInt32LE(1, off + 8);
      btf.writeUInt32LE(8, off + 12); // BTF_INT_ENC(0, 0, 8)
      counts.declTag++;
    } else if (kind === KIND.TYPE_TAG) {
      btf.writeUInt32LE(0, off);
      btf.writeUInt32LE(KIND.CONST << 24, off + 4);
      counts.typeTag++;
    } else if (kind === KIND.ENUM64) {
      if (int64Id === 0) throw new Error('no 8-byte INT type to stand in for ENUM64 values');
      btf.writeUInt32LE(((KIND.UNION << 24) | vlen) >>> 0, off + 4);
      for (let i = 0; i < vlen; i++) {
        const m = off + 12 + 12 * i; // {name_off, val_lo32, val_hi32} -> {name_off, type, offset}
        btf.writeUInt32LE(int64Id, m + 4);
        btf.writeUInt32LE(0, m + 8);
      }
      counts.enum64++;
    } else if (kind === KIND.ENUM && info >>> 31) {
      btf.writeUInt32LE((info & 0x7fffffff) >>> 0, off + 4);
      counts.signedEnum++;
    }
  }
  return { btf, counts };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [input, output] = process.argv.slice(2);
  if (!input || !output) {
    console.error('usage: btf-downgrade.ts IN OUT');
    process.exit(2);
  }
  const { btf, counts } = downgradeBtf(readFileSync(input));
  writeFileSync(output, btf);
  console.error(`btf-downgrade: ${JSON.stringify(counts)}`);
}
