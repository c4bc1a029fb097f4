// IPv4/IPv6 parsing and CIDR matching for the source/destination filters.
// Addresses become bigints so v4 and v6 share one prefix comparison.

export interface IpAddr {
  family: 4 | 6;
  value: bigint;
}

export interface Cidr {
  family: 4 | 6;
  /** network address with host bits cleared */
  network: bigint;
  bits: number;
}

const V4_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function parseIPv4(text: string): bigint | null {
  const m = V4_RE.exec(text);
  if (!m) return null;
  let v = 0n;
  for (let i = 1; i <= 4; i++) {
    const part = m[i]!;
    if (part.length > 1 && part.startsWith('0')) return null; // no octal-looking octets
    const n = Number(part);
    if (n > 255) return null;
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

export function parseIPv6(input: string): bigint | null {
  let text = input;
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  if (text.length === 0 || text.length > 45) return null;
  // An embedded dotted quad fills the last two groups (::ffff:10.0.0.1).
  let tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (lastColon >= 0 && text.indexOf('.', lastColon) >= 0) {
    const v4 = parseIPv4(text.slice(lastColon + 1));
    if (v4 === null) return null;
    tail = [Number(v4 >> 16n), Number(v4 & 0xffffn)];
    // keep a "::" that ends right before the dotted quad, drop a single ":"
    text = text[lastColon - 1] === ':' ? text.slice(0, lastColon + 1) : text.slice(0, lastColon);
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const parseGroups = (s: string): number[] | null => {
    if (s === '') return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = parseGroups(halves[0]!);
  if (head === null) return null;
  let groups: number[];
  if (halves.length === 2) {
    const rest = parseGroups(halves[1]!);
    if (rest === null) return null;
    const missing = 8 - head.length - rest.length - tail.length;
    if (missing < 1) return null;
    groups = [...head, ...new Array<number>(missing).fill(0), ...rest, ...tail];
  } else {
    groups = [...head, ...tail];
  }
  if (groups.length !== 8) return null;
  let v = 0n;
  for (const g of groups) v = (v << 16n) | BigInt(g);
  return v;
}

export function parseIp(text: string): IpAddr | null {
  const t = text.trim();
  const v4 = parseIPv4(t);
  if (v4 !== null) return { family: 4, value: v4 };
  if (!t.includes(':')) return null;
  const v6 = parseIPv6(t);
  return v6 === null ? null : { family: 6, value: v6 };
}

const V4_MAPPED_PREFIX = 0xffffn << 32n;

/** ::ffff:a.b.c.d as the IPv4 address it carries, else null. */
export function unmapV4(addr: IpAddr): IpAddr | null {
  if (addr.family === 6 && addr.value >> 32n === 0xffffn) return { family: 4, value: addr.value & 0xffffffffn };
  return null;
}

/** "10.0.0.0/8", "2001:db8::/32", or a bare address (a /32 or /128). Null when malformed. */
export function parseCidr(text: string): Cidr | null {
  const t = text.trim();
  const slash = t.indexOf('/');
  const addrText = slash >= 0 ? t.slice(0, slash) : t;
  const addr = parseIp(addrText);
  if (!addr) return null;
  const max = addr.family === 4 ? 32 : 128;
  let bits = max;
  if (slash >= 0) {
    const b = t.slice(slash + 1);
    if (!/^\d{1,3}$/.test(b)) return null;
    bits = Number(b);
    if (bits > max) return null;
  }
  return { family: addr.family, network: addr.value & prefixMask(addr.family, bits), bits };
}

function prefixMask(family: 4 | 6, bits: number): bigint {
  const width = family === 4 ? 32n : 128n;
  if (bits === 0) return 0n;
  const all = (1n << width) - 1n;
  return all ^ ((1n << (width - BigInt(bits))) - 1n);
}

/** Whether addr is inside cidr; an IPv4-mapped IPv6 address also matches IPv4 networks. */
export function cidrContains(cidr: Cidr, addr: IpAddr): boolean {
  let a: IpAddr | null = addr;
  if (cidr.family !== a.family) {
    a = cidr.family === 4 ? unmapV4(addr) : { family: 6, value: V4_MAPPED_PREFIX | addr.value };
    if (!a) return false;
  }
  return (a.value & prefixMask(cidr.family, cidr.bits)) === cidr.network;
}

/** A matcher for address strings that parses each distinct address once. */
export function cidrMatcher(cidr: Cidr): (address: string | null) => boolean {
  const cache = new Map<string, boolean>();
  return (address) => {
    if (address === null) return false;
    let hit = cache.get(address);
    if (hit === undefined) {
      const parsed = parseIp(address);
      hit = parsed !== null && cidrContains(cidr, parsed);
      if (cache.size > 50_000) cache.clear();
      cache.set(address, hit);
    }
    return hit;
  };
}
