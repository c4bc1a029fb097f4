// The drain helper's binary frames (agent/native/srctrace-drain.c) -> joined
// events. One frame is one @done map entry exactly as the kernel stores it:
// key (sk, ts) then 23 u64 values, little-endian, 200 bytes. It carries the
// same fields as a C line (decode-line.ts), without the text: at tens of
// thousands of connects per second, splitting and parsing 25 text fields was
// the agent's largest cost. Repeated values (task name, addresses, device,
// socket) are decoded once and shared; shared byte arrays must not be changed.
import { ipv6ToString, normaliseAddr } from './addr.js';
import type { JoinedEvent, MalformedEvent, RouteInfo } from './events.js';

export const FRAME_BYTES = 200;

// Byte offsets within a frame (word index * 8), in the order of the @done tuple
// in bpf/srctrace-tracepoint.bt.
const W = (i: number) => i * 8;
const SK = W(0), TS = W(1), PID = W(2), TID = W(3), PPID = W(4), UID = W(5), NETNS = W(6), FAMILY = W(7);
const SADDR = W(8), DADDR = W(10), DPORT = W(12), USERLOCKS = W(13), START = W(14), COMM = W(15);
const OTS = W(17), NEWSTATE = W(18), SPORT = W(19), SKERR = W(20), DEV = W(21), GW = W(23);

// Reads go through a DataView on the frame's buffer: Buffer's readUInt32LE
// validates its offset on every call, a quarter of the decoder's time in a
// storm profile. The view is made once per buffer the helper's reads fill,
// fetched once per frame and handed to the helpers below.
let viewOf: Buffer | null = null;
let dv: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));
function view(b: Buffer): DataView<ArrayBufferLike> {
  if (b !== viewOf) {
    dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    viewOf = b;
  }
  return dv;
}

const u64 = (v: DataView<ArrayBufferLike>, o: number) => v.getUint32(o, true) + v.getUint32(o + 4, true) * 0x1_0000_0000;

// Caches: a storm repeats few values (one task name, a few addresses), and
// socket addresses recycle. Each is keyed by numbers read from the frame, so
// a hit allocates nothing; a full cache starts over.
const MAX = 4096;
const NO_ROUTE: RouteInfo = { devBytes: null, gateway: null };

const skCache = new Map<number, { hi: number; text: string }>();

/** The socket address as `%llx` prints it (the form every text line uses). */
function sk(v: DataView<ArrayBufferLike>, o: number): string {
  const lo = v.getUint32(o, true);
  const hi = v.getUint32(o + 4, true);
  const hit = skCache.get(lo);
  if (hit && hit.hi === hi) return hit.text;
  const text = hi === 0 ? lo.toString(16) : hi.toString(16) + lo.toString(16).padStart(8, '0');
  if (skCache.size >= MAX) skCache.clear();
  skCache.set(lo, { hi, text });
  return text;
}

type Addr = { addr: string; family: 4 | 6 };
const v4Cache = new Map<number, Addr>();
const v6Cache = new Map<string, Addr>();

/** 16 address bytes in network order (the tracepoint's saddr_v6 layout) -> plain address. */
function addr(b: Buffer, v: DataView<ArrayBufferLike>, o: number): Addr {
  // IPv4 sockets (and IPv4-mapped peers): ::ffff:a.b.c.d, keyed by the IPv4 word.
  if (v.getUint32(o, true) === 0 && v.getUint32(o + 4, true) === 0 && v.getUint32(o + 8, true) === 0xffff0000) {
    const v4 = v.getUint32(o + 12, true);
    let hit = v4Cache.get(v4);
    if (!hit) {
      hit = { addr: `${b[o + 12]}.${b[o + 13]}.${b[o + 14]}.${b[o + 15]}`, family: 4 };
      if (v4Cache.size >= MAX) v4Cache.clear();
      v4Cache.set(v4, hit);
    }
    return hit;
  }
  const key = b.toString('latin1', o, o + 16);
  let hit = v6Cache.get(key);
  if (!hit) {
    hit = normaliseAddr(ipv6ToString(new Uint8Array(b.subarray(o, o + 16))));
    if (v6Cache.size >= MAX) v6Cache.clear();
    v6Cache.set(key, hit);
  }
  return hit;
}

const nameCache = new Map<string, Uint8Array>();
type LastName = { w: number[]; bytes: Uint8Array };
const lastComm: LastName = { w: [-1, -1, -1, -1], bytes: new Uint8Array(0) };
const lastDev: LastName = { w: [-1, -1, -1, -1], bytes: new Uint8Array(0) };

/** A NUL-padded 16-byte name (task or device) -> its bytes up to the first NUL; `last` remembers one. */
function name(b: Buffer, v: DataView<ArrayBufferLike>, o: number, lastName: LastName): Uint8Array {
  const w = lastName.w;
  const w0 = v.getUint32(o, true), w1 = v.getUint32(o + 4, true), w2 = v.getUint32(o + 8, true), w3 = v.getUint32(o + 12, true);
  if (w0 === w[0] && w1 === w[1] && w2 === w[2] && w3 === w[3]) return lastName.bytes;
  let n = 0;
  while (n < 16 && b[o + n] !== 0) n++;
  const key = b.toString('latin1', o, o + n);
  let bytes = nameCache.get(key);
  if (!bytes) {
    bytes = new Uint8Array(b.subarray(o, o + n));
    if (nameCache.size >= MAX) nameCache.clear();
    nameCache.set(key, bytes);
  }
  lastName.w = [w0, w1, w2, w3];
  lastName.bytes = bytes;
  return bytes;
}

function isZero(v: DataView<ArrayBufferLike>, o: number, words: number): boolean {
  for (let i = 0; i < words * 8; i += 4) if (v.getUint32(o + i, true) !== 0) return false;
  return true;
}

// Consecutive connects mostly leave by the same route: its object is shared
// (like the name bytes, it must not be changed).
let lastRoute: RouteInfo = NO_ROUTE;

function route(b: Buffer, v: DataView<ArrayBufferLike>, o: number): RouteInfo {
  if (isZero(v, o + DEV, 2)) return NO_ROUTE;
  const g = isZero(v, o + GW, 2) ? null : addr(b, v, o + GW).addr;
  const gateway = g === '0.0.0.0' || g === '::' ? null : g;
  const devBytes = name(b, v, o + DEV, lastDev);
  if (lastRoute.devBytes !== devBytes || lastRoute.gateway !== gateway) lastRoute = { devBytes, gateway };
  return lastRoute;
}

/** The frame at byte offset `o` of `b` (which must hold FRAME_BYTES from there). */
export function decodeFrame(b: Buffer, o = 0): JoinedEvent | MalformedEvent {
  const v = view(b);
  const family = v.getInt32(o + FAMILY, true);
  if (family !== 2 && family !== 10) {
    return { kind: 'malformed', line: `frame ${b.toString('hex', o, o + 64)}...`, reason: `drained connect has family ${family}, neither AF_INET nor AF_INET6` };
  }
  const socket = sk(v, o + SK);
  const d = addr(b, v, o + DADDR);
  const locks = v.getUint32(o + USERLOCKS, true); // the userlocks word's low half (decode-line.ts's sockFlags): sk_userlocks, 0x100 bound to a device, the TOS byte
  return {
    kind: 'joined',
    start: {
      kind: 'start', ts: u64(v, o + TS), sk: socket,
      pid: v.getInt32(o + PID, true), tid: v.getInt32(o + TID, true), ppid: v.getInt32(o + PPID, true), uid: v.getUint32(o + UID, true),
      startNs: u64(v, o + START), commBytes: name(b, v, o + COMM, lastComm), netns: v.getUint32(o + NETNS, true),
      family: d.family, saddr: addr(b, v, o + SADDR).addr, daddr: d.addr, sport: 0, dport: v.getInt32(o + DPORT, true),
      bound: (locks & 4) !== 0, portBound: (locks & 8) !== 0, devBound: (locks & 0x100) !== 0, tos: (locks >>> 16) & 0xff,
      mark: v.getUint32(o + USERLOCKS + 4, true), // the mark: the word's upper half
    },
    outcome: {
      kind: 'outcome', ts: u64(v, o + OTS), sk: socket, newState: v.getInt32(o + NEWSTATE, true), sport: v.getInt32(o + SPORT, true),
      skErr: v.getInt32(o + SKERR, true), route: route(b, v, o),
    },
  };
}

/**
 * The frame as the C line it replaces (the format decode-line.ts reads): for
 * SRCTRACE_RAW_LOG, so a bug report's log replays as text.
 */
export function frameToLine(b: Buffer, o = 0): string {
  const dec = (at: number) => b.readBigUInt64LE(o + at).toString();
  const int = (at: number) => String(b.readInt32LE(o + at));
  const uint = (at: number) => String(b.readUInt32LE(o + at));
  const word = (at: number) => b.readBigUInt64LE(o + at).toString(16).padStart(16, '0');
  return ['C', dec(TS), b.readBigUInt64LE(o + SK).toString(16), int(PID), int(TID), int(PPID), uint(UID), uint(NETNS), int(FAMILY),
    word(SADDR), word(SADDR + 8), word(DADDR), word(DADDR + 8), int(DPORT), dec(USERLOCKS), dec(START), word(COMM), word(COMM + 8),
    dec(OTS), int(NEWSTATE), int(SPORT), int(SKERR), word(DEV), word(DEV + 8), word(GW), word(GW + 8)].join(' ');
}
