// Address helpers for the two encodings bpftrace hands us: ntop() text of the
// tracepoint's IPv6 field (IPv4 sockets appear IPv4-mapped) and raw sockaddr bytes.

const MAPPED = /^::ffff:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i;

/** ntop() text -> plain address and family; IPv4-mapped IPv6 becomes IPv4. */
export function normaliseAddr(text: string): { addr: string; family: 4 | 6 } {
  const m = MAPPED.exec(text);
  if (m) return { addr: m[1]!, family: 4 };
  if (/^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(text)) return { addr: text, family: 4 };
  return { addr: text.toLowerCase(), family: 6 };
}

/** Three little-endian u64 hex words -> the 24 sockaddr bytes they hold. */
export function wordsToBytes(words: string[]): Uint8Array {
  const out = new Uint8Array(words.length * 8);
  words.forEach((w, k) => {
    for (let i = 0; i < 8; i++) out[k * 8 + i] = parseInt(w.slice(14 - 2 * i, 16 - 2 * i), 16);
  });
  return out;
}

/** Canonical RFC 5952 text for 16 IPv6 bytes (what inet_ntop prints). */
export function ipv6ToString(b: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((b[i]! << 8) | b[i + 1]!);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  }
  // Longest run of zero groups (length >= 2) collapses to '::'.
  let bestStart = -1, bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** struct sockaddr_in / sockaddr_in6 bytes -> destination, or null for other families. */
export function decodeSockaddr(b: Uint8Array): { family: 4 | 6; addr: string; port: number } | null {
  const saFamily = b[0]! | (b[1]! << 8);
  const port = (b[2]! << 8) | b[3]!;
  if (saFamily === 2) return { family: 4, addr: `${b[4]}.${b[5]}.${b[6]}.${b[7]}`, port };
  if (saFamily === 10) {
    const { addr, family } = normaliseAddr(ipv6ToString(b.subarray(8, 24)));
    return { family, addr, port };
  }
  return null;
}

// Addresses repeat (a service talks to few peers): decoding each pair of words
// once matters at tens of thousands of connects per second.
const wordCache = new Map<string, { addr: string; family: 4 | 6 }>();

// Source and destination alternate, so the last two decodings are checked first.
const recent: { w0: string; w1: string; hit: { addr: string; family: 4 | 6 } }[] = [];

/** The tracepoint's 16-byte address field as two little-endian u64 hex words -> plain address and family. */
export function addrFromWords(w0: string, w1: string): { addr: string; family: 4 | 6 } {
  for (const r of recent) if (r.w0 === w0 && r.w1 === w1) return r.hit;
  const key = w0 + w1;
  let hit = wordCache.get(key);
  if (!hit) {
    hit = normaliseAddr(ipv6ToString(wordsToBytes([w0, w1])));
    if (wordCache.size >= 4096) wordCache.clear();
    wordCache.set(key, hit);
  }
  recent.unshift({ w0, w1, hit });
  if (recent.length > 2) recent.pop();
  return hit;
}
