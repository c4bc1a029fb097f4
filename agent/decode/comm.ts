// comm travels as two little-endian u64s in hex so no byte of a process name
// (quotes, newlines, 0x80-0xff) can break the line between bpftrace and us.

const utf8 = new TextDecoder('utf-8', { fatal: false });

// A storm comes from few task names: decode each distinct name once. The
// returned arrays are shared and must not be modified.
const cache = new Map<string, Uint8Array>();
const CACHE_MAX = 4096;

// The name decoded last: consecutive lines mostly carry the same one.
let last0 = '';
let last1 = '';
let lastBytes: Uint8Array = new Uint8Array(0);

/** Two 16-digit hex words (little-endian u64s) -> comm bytes up to the first NUL. */
export function commBytesFromWords(word0: string, word1: string): Uint8Array {
  if (word0 === last0 && word1 === last1) return lastBytes;
  const key = word0 + word1;
  let bytes = cache.get(key);
  if (bytes === undefined) {
    bytes = decodeWords(word0, word1);
    if (cache.size >= CACHE_MAX) cache.clear();
    cache.set(key, bytes);
  }
  last0 = word0;
  last1 = word1;
  lastBytes = bytes;
  return bytes;
}

function decodeWords(word0: string, word1: string): Uint8Array {
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

type Described = { text: string; hex: string };
const texts = new WeakMap<Uint8Array, Described>();
// Every record asks for its task name (text and hex) and its device: the two
// arrays asked last are answered without the WeakMap (a hash lookup each).
const NONE: Described = { text: '', hex: '' };
let lastA: Uint8Array | null = null, descA = NONE;
let lastB: Uint8Array | null = null, descB = NONE;

function describe(bytes: Uint8Array): Described {
  if (bytes === lastA) return descA;
  if (bytes === lastB) return descB;
  let d = texts.get(bytes);
  if (!d) {
    let hex = '';
    for (const b of bytes) hex += b.toString(16).padStart(2, '0');
    d = { text: utf8.decode(bytes), hex };
    texts.set(bytes, d);
  }
  lastB = lastA;
  descB = descA;
  lastA = bytes;
  descA = d;
  return d;
}

/** Invalid UTF-8 becomes U+FFFD; everything else is kept byte-exact. */
export function commToString(bytes: Uint8Array): string {
  return describe(bytes).text;
}

export function bytesToHex(bytes: Uint8Array): string {
  return describe(bytes).hex;
}
