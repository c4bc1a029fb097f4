// comm travels as two little-endian u64s in hex so no byte of a process name
// (quotes, newlines, 0x80-0xff) can break the line between bpftrace and us.

const utf8 = new TextDecoder('utf-8', { fatal: false });

/** Two 16-digit hex words (little-endian u64s) -> comm bytes up to the first NUL. */
export function commBytesFromWords(word0: string, word1: string): Uint8Array {
  const out = new Uint8Array(16);
  let n = 0;
  for (const word of [word0, word1]) {
    // The last hex pair of a word is its lowest byte, which comes first in memory.
    for (let i = 14; i >= 0; i -= 2) {
      const byte = parseInt(word.slice(i, i + 2), 16);
      if (byte === 0) return out.subarray(0, n);
      out[n++] = byte;
    }
  }
  return out.subarray(0, n);
}

/** Invalid UTF-8 becomes U+FFFD; everything else is kept byte-exact. */
export function commToString(bytes: Uint8Array): string {
  return utf8.decode(bytes);
}

export function bytesToHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}
