// One bpftrace output line -> one typed event. The line formats are the
// contract documented at the top of bpf/*.bt. Anything that does not match is a
// `malformed` event (counted and reported by the pipeline, never a crash).
import { commBytesFromWords } from './comm.js';
import { addrFromWords, decodeSockaddr, normaliseAddr, wordsToBytes } from './addr.js';
import type { ProbeEvent, RouteInfo, StartEvent, TaskInfo } from './events.js';
import { LOST_EVENTS } from '../probes/bpftrace-text.js';

const DEC = /^\d{1,20}$/;
const SDEC = /^-?\d{1,20}$/;
const HEX = /^[0-9a-f]{1,16}$/;
const WORD = /^[0-9a-f]{16}$/;
const ADDR = /^[0-9a-fA-F:.]{2,45}$/;

type Kind = 'dec' | 'sdec' | 'hex' | 'word' | 'addr';
const CHECK: Record<Kind, RegExp> = { dec: DEC, sdec: SDEC, hex: HEX, word: WORD, addr: ADDR };

// Field layouts after the leading tag, in the order bpftrace prints them.
const LAYOUT = {
  C: ['dec', 'hex', 'dec', 'dec', 'sdec', 'dec', 'dec', 'dec', 'word', 'word', 'word', 'word', 'dec', 'dec', 'dec', 'word', 'word', 'dec', 'dec', 'dec', 'sdec', 'word', 'word', 'word', 'word'],
  P: ['dec', 'hex', 'dec', 'dec', 'sdec', 'dec', 'dec', 'dec', 'word', 'word', 'word', 'word', 'dec', 'dec', 'dec', 'word', 'word'],
  // S: a start printed because @pend was full, laid out as P (the tracepoint sets).
  S: ['dec', 'hex', 'dec', 'dec', 'sdec', 'dec', 'dec', 'dec', 'word', 'word', 'word', 'word', 'dec', 'dec', 'dec', 'word', 'word'],
  // S lines of the kprobe set (and of the tracepoint sets before session 9):
  // ntop() text addresses and the source port.
  S16: ['dec', 'hex', 'dec', 'dec', 'sdec', 'dec', 'dec', 'dec', 'addr', 'addr', 'dec', 'dec', 'dec', 'dec', 'word', 'word'],
  O: ['dec', 'hex', 'dec', 'dec', 'sdec', 'word', 'word', 'word', 'word'],
  // O lines of earlier programs (as in the capture loopback-hostile-names.txt) had no route words.
  O5: ['dec', 'hex', 'dec', 'dec', 'sdec'],
  F: ['dec', 'dec', 'hex', 'dec', 'dec', 'sdec', 'dec', 'dec', 'dec', 'dec', 'word', 'word', 'word', 'dec', 'word', 'word', 'dec'],
  // F lines of earlier programs (as in loopback-hostile-names.txt) had no synsent field.
  F16: ['dec', 'dec', 'hex', 'dec', 'dec', 'sdec', 'dec', 'dec', 'dec', 'dec', 'word', 'word', 'word', 'dec', 'word', 'word'],
  X: ['dec', 'dec', 'dec', 'dec', ...Array<Kind>(16).fill('word')],
  // A fork (bpf/process-fork.bt, with --children): ts parent child.
  K: ['dec', 'dec', 'dec'],
  READY: ['dec'],
  // Markers around the periodic @pend dump (bpf/pend-dump.bt) and before END's.
  D: ['dec'],
  E: ['dec'],
  Z: ['dec'],
} satisfies Record<string, Kind[]>;

const WHOLE = Object.fromEntries(
  Object.entries(LAYOUT).map(([tag, kinds]) => [tag, new RegExp(`^${tag.replace(/\d+$/, '')} ${kinds.map((k) => `(${CHECK[k as Kind].source.slice(1, -1)})`).join(' ')}$`)]),
) as Record<keyof typeof LAYOUT, RegExp>;

function whatIsWrong(line: string, tag: keyof typeof LAYOUT): ProbeEvent {
  const f = line.split(' ').slice(1);
  const layout = LAYOUT[tag];
  if (f.length !== layout.length) return malformed(line, `${tag} line has ${f.length} fields, expected ${layout.length}`);
  for (let i = 0; i < layout.length; i++) {
    if (!CHECK[layout[i] as Kind].test(f[i]!)) return malformed(line, `${tag} field ${i + 1} is not ${layout[i]}: ${JSON.stringify(f[i]!.slice(0, 40))}`);
  }
  return malformed(line, `${tag} line does not match its layout`);
}

const LINES = /^@lines: (\d{1,20})$/;
const FORKS = /^@forks: (\d{1,20})$/;
// END's print(@pend): connects still awaiting an outcome, as decimal tuple fields.
const PEND = /^@pend\[0x([0-9a-f]{1,16})\]: \((\d{1,20}(?:, \d{1,20}){15})\)$/;
// bpftrace's dump at exit of the 0.14 program's maps other than @lines.
const LEGACY_DUMP = /^@(?:ready: \d{1,20}|(?:syn|cts|cfd|caddr)\[\d{1,20}\]: -?\d{1,20})$/;
const ATTACHING = /^Attaching \d+ probes?\.\.\.$/;

function malformed(line: string, reason: string): ProbeEvent {
  return { kind: 'malformed', line: line.length > 300 ? `${line.slice(0, 300)}...` : line, reason };
}

function task(f: string[], pidAt: number, startAt: number, commAt: number): TaskInfo {
  return {
    pid: Number(f[pidAt]), tid: Number(f[pidAt + 1]), ppid: Number(f[pidAt + 2]), uid: Number(f[pidAt + 3]),
    startNs: Number(f[startAt]), commBytes: commBytesFromWords(f[commAt]!, f[commAt + 1]!),
  };
}

function familyOf(raw: string): 4 | 6 | null {
  return raw === '2' ? 4 : raw === '10' ? 6 : null;
}

/**
 * A start from the kernel-side record (C, S, P line or @pend entry), its fields at
 * the C line's positions: ts sk pid tid ppid uid netns family s0 s1 d0 d1 dport
 * userlocks start comm0 comm1. `marked`: the userlocks field carries the
 * socket's mark and device binding (C and S lines); P lines and @pend
 * entries carry sk_userlocks alone, so their mark is not known.
 */
function startFrom(f: string[], marked: boolean): StartEvent | null {
  if (familyOf(f[7]!) === null) return null;
  const s = addrFromWords(f[8]!, f[9]!);
  const d = addrFromWords(f[10]!, f[11]!);
  // Spelled out rather than spreading task(): this runs for every connect.
  // Unmarked lines hold sk_userlocks alone: only its bits count; device, mark and TOS are not known.
  const fl = sockFlags(f[13]!);
  return {
    kind: 'start', ts: Number(f[0]), sk: f[1]!,
    pid: Number(f[2]), tid: Number(f[3]), ppid: Number(f[4]), uid: Number(f[5]),
    startNs: Number(f[14]), commBytes: commBytesFromWords(f[15]!, f[16]!), netns: Number(f[6]),
    family: d.family, saddr: s.addr, daddr: d.addr, sport: 0, dport: Number(f[12]), bound: fl.bound, portBound: fl.portBound, devBound: marked && fl.devBound,
    mark: marked ? fl.mark : null, tos: marked ? fl.tos : null,
  };
}

/**
 * The userlocks field of C and S lines (decimal): sk_userlocks in its low
 * byte (4: a bound address, 8: a bound port), 0x100 for a socket bound to a
 * device, its IP TOS byte in bits 16-23, the socket's mark in the upper 32
 * bits (bpf/srctrace-tracepoint.bt). Lines of earlier programs carry
 * sk_userlocks alone, which reads as no device, mark 0 and TOS 0.
 */
export function sockFlags(text: string): Pick<StartEvent, 'bound' | 'portBound' | 'devBound' | 'mark' | 'tos'> {
  // Up to 15 digits is exact as a double; a mark makes the value larger.
  const low = text.length <= 15 ? Number(text) % 0x1_0000_0000 : Number(BigInt(text) & 0xffff_ffffn);
  const mark = text.length <= 15 ? Math.floor(Number(text) / 0x1_0000_0000) : Number((BigInt(text) >> 32n) & 0xffff_ffffn);
  return { bound: (low & 4) !== 0, portBound: (low & 8) !== 0, devBound: (low & 0x100) !== 0, mark, tos: (low >>> 16) & 0xff };
}

const ZERO_WORD = '0000000000000000';
const NO_ROUTE: RouteInfo = { devBytes: null, gateway: null };

/** Device name words and gateway words (the tracepoint's address layout) -> route info. */
function routeFrom(dev0: string, dev1: string, gw0: string, gw1: string): RouteInfo {
  if (dev0 === ZERO_WORD && dev1 === ZERO_WORD) return NO_ROUTE;
  const gw = gw0 === ZERO_WORD && gw1 === ZERO_WORD ? null : addrFromWords(gw0, gw1).addr;
  return { devBytes: commBytesFromWords(dev0, dev1), gateway: gw === '0.0.0.0' || gw === '::' ? null : gw };
}

function decodePending(line: string): ProbeEvent {
  const m = PEND.exec(line);
  if (!m) return malformed(line, '@pend entry does not have the 16 fields of bpf/srctrace-tracepoint.bt');
  const v = m[2]!.split(', ');
  const word = (i: number) => BigInt(v[i]!).toString(16).padStart(16, '0');
  if (v.some((x) => BigInt(x) >= 1n << 64n)) return malformed(line, '@pend field exceeds 64 bits');
  // Lay the tuple out at the C line's positions so startFrom() reads both.
  const f = [v[0]!, m[1]!, v[1]!, v[2]!, v[3]!, v[4]!, v[5]!, v[6]!, word(7), word(8), word(9), word(10), v[11]!, v[12]!, v[13]!, word(14), word(15)];
  return startFrom(f, false) ?? malformed(line, `@pend family ${v[6]} is neither AF_INET nor AF_INET6`);
}

export function decodeLine(line: string): ProbeEvent {
  if (line.trim() === '') return { kind: 'info', text: '' };
  const lost = LOST_EVENTS.exec(line);
  if (lost) return { kind: 'lost', count: Number(lost[1]) };
  if (ATTACHING.test(line)) return { kind: 'info', text: line };
  if (line.charCodeAt(0) === 64 /* @: a map bpftrace printed */) {
    if (line.startsWith('@pend[')) return decodePending(line);
    const counted = LINES.exec(line);
    if (counted) return { kind: 'line-count', count: Number(counted[1]) };
    const forks = FORKS.exec(line);
    if (forks) return { kind: 'fork-count', count: Number(forks[1]) };
    // bpftrace dumps every map left at exit; @done's entries are printed by
    // srctrace-drain, which empties the map after bpftrace has exited, and
    // the 0.14 program has no END to clear its scratch maps (bpf/ready-0.14.bt).
    if (line.startsWith('@done[') || LEGACY_DUMP.test(line)) return { kind: 'info', text: '' };
  }

  let tag = line.slice(0, line.indexOf(' ') >>> 0);
  if (!Object.hasOwn(LAYOUT, tag)) return malformed(line, `unknown line tag ${JSON.stringify(tag.slice(0, 20))}`);
  // One anchored match validates every field (the hot path); only a line that
  // fails it is taken apart field by field, to say what is wrong.
  let m = WHOLE[tag as keyof typeof LAYOUT].exec(line);
  if (!m && tag === 'O' && (m = WHOLE.O5.exec(line))) tag = 'O5';
  if (!m && tag === 'F' && (m = WHOLE.F16.exec(line))) tag = 'F16';
  if (!m && tag === 'S' && (m = WHOLE.S16.exec(line))) tag = 'S16';
  if (!m) return whatIsWrong(line, tag as keyof typeof LAYOUT);
  const f = m.slice(1);

  switch (tag) {
    case 'READY':
      return { kind: 'ready', ts: Number(f[0]) };
    case 'K':
      return { kind: 'fork', ts: Number(f[0]), parent: Number(f[1]), child: Number(f[2]) };
    case 'D':
    case 'E':
    case 'Z':
      return { kind: 'pend-dump', edge: tag === 'D' ? 'begin' : tag === 'E' ? 'end' : 'exit', ts: Number(f[0]) };
    case 'O5':
      return { kind: 'outcome', ts: Number(f[0]), sk: f[1]!, newState: Number(f[2]), sport: Number(f[3]), skErr: Number(f[4]), route: NO_ROUTE };
    case 'O':
      return { kind: 'outcome', ts: Number(f[0]), sk: f[1]!, newState: Number(f[2]), sport: Number(f[3]), skErr: Number(f[4]), route: routeFrom(f[5]!, f[6]!, f[7]!, f[8]!) };
    case 'C': {
      const start = startFrom(f, true);
      if (!start) return malformed(line, `C family ${f[7]} is neither AF_INET nor AF_INET6`);
      return {
        kind: 'joined', start,
        outcome: { kind: 'outcome', ts: Number(f[17]), sk: f[1]!, newState: Number(f[18]), sport: Number(f[19]), skErr: Number(f[20]), route: routeFrom(f[21]!, f[22]!, f[23]!, f[24]!) },
      };
    }
    case 'P':
    case 'S':
      // P: a start whose outcome never fired (its socket began a new connect);
      // S: a start whose outcome follows as an O line. Both start the same way.
      return startFrom(f, tag === 'S') ?? malformed(line, `${tag} family ${f[7]} is neither AF_INET nor AF_INET6`);
    case 'S16': {
      if (familyOf(f[7]!) === null) return malformed(line, `S family ${f[7]} is neither AF_INET nor AF_INET6`);
      const s = normaliseAddr(f[8]!);
      const d = normaliseAddr(f[9]!);
      return {
        kind: 'start', ts: Number(f[0]), sk: f[1]!, ...task(f, 2, 13, 14), netns: Number(f[6]),
        // An AF_INET6 socket talking to an IPv4-mapped peer is an IPv4 connection.
        family: d.family, saddr: s.addr, daddr: d.addr, sport: Number(f[10]), dport: Number(f[11]),
        ...sockFlags(f[12]!),
      };
    }
    case 'X': {
      const len = Number(f[3]);
      const bytes = wordsToBytes(f.slice(4));
      return { kind: 'exec', ts: Number(f[0]), pid: Number(f[1]), startNs: Number(f[2]), argv: bytes.subarray(0, Math.min(len, bytes.length)), truncated: len > bytes.length };
    }
    case 'F':
    case 'F16': {
      const dest = decodeSockaddr(wordsToBytes([f[10]!, f[11]!, f[12]!]));
      if (!dest) return malformed(line, 'F sockaddr is neither AF_INET nor AF_INET6');
      return {
        kind: 'connect-error', ts: Number(f[0]), enterTs: Number(f[1]), sk: f[2]!, ...task(f, 3, 13, 14),
        netns: Number(f[7]), family: dest.family, daddr: dest.addr, dport: dest.port, errno: Number(f[9]),
        synSent: tag === 'F16' ? null : f[16] === '1',
      };
    }
  }
  return malformed(line, 'unreachable');
}

/**
 * An X line with every byte past the argument area zeroed. process-exec.bt
 * reads a fixed 128 bytes from arg_start, and on a short command line they
 * run on into the environment (SHELL=..., and whatever secrets come next).
 * The decoder never uses those bytes; this keeps them out of what srctrace
 * writes down (SRCTRACE_RAW_LOG). A line that is not a well-formed X line is
 * returned as it is.
 */
export function redactExecLine(line: string): string {
  const m = WHOLE.X.exec(line);
  if (!m) return line;
  const f = m.slice(1);
  let keep = Number(f[3]);
  const words = f.slice(4).map((w) => {
    const bytes = Math.max(0, Math.min(8, keep));
    keep -= 8;
    // Little-endian: the word's first bytes are its last hex digits.
    return bytes === 8 ? w : '0'.repeat(16 - 2 * bytes) + w.slice(16 - 2 * bytes);
  });
  return ['X', ...f.slice(0, 4), ...words].join(' ');
}
