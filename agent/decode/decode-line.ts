// One bpftrace output line -> one typed event. The line formats are the
// contract documented at the top of bpf/*.bt. Anything that does not match is a
// `malformed` event (counted and reported by the pipeline, never a crash).
import { commBytesFromWords } from './comm.js';
import { decodeSockaddr, normaliseAddr, wordsToBytes } from './addr.js';
import type { ProbeEvent, TaskInfo } from './events.js';

const DEC = /^\d{1,20}$/;
const SDEC = /^-?\d{1,20}$/;
const HEX = /^[0-9a-f]{1,16}$/;
const WORD = /^[0-9a-f]{16}$/;
const ADDR = /^[0-9a-fA-F:.]{2,45}$/;

type Kind = 'dec' | 'sdec' | 'hex' | 'word' | 'addr';
const CHECK: Record<Kind, RegExp> = { dec: DEC, sdec: SDEC, hex: HEX, word: WORD, addr: ADDR };

// Field layouts after the leading tag, in the order bpftrace prints them.
const LAYOUT = {
  S: ['dec', 'hex', 'dec', 'dec', 'sdec', 'dec', 'dec', 'dec', 'addr', 'addr', 'dec', 'dec', 'dec', 'dec', 'word', 'word'],
  O: ['dec', 'hex', 'dec', 'dec', 'sdec'],
  F: ['dec', 'dec', 'hex', 'dec', 'dec', 'sdec', 'dec', 'dec', 'dec', 'dec', 'word', 'word', 'word', 'dec', 'word', 'word'],
  X: ['dec', 'dec', 'dec', 'dec', ...Array<Kind>(16).fill('word')],
  READY: ['dec'],
} satisfies Record<string, Kind[]>;

const LOST = /^Lost (\d+) events$/;
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

export function decodeLine(line: string): ProbeEvent {
  if (line.trim() === '') return { kind: 'info', text: '' };
  const lost = LOST.exec(line);
  if (lost) return { kind: 'lost', count: Number(lost[1]) };
  if (ATTACHING.test(line)) return { kind: 'info', text: line };

  const f = line.split(' ');
  const tag = f.shift()!;
  if (!Object.hasOwn(LAYOUT, tag)) return malformed(line, `unknown line tag ${JSON.stringify(tag.slice(0, 20))}`);
  const layout = LAYOUT[tag as keyof typeof LAYOUT];
  if (f.length !== layout.length) return malformed(line, `${tag} line has ${f.length} fields, expected ${layout.length}`);
  for (let i = 0; i < layout.length; i++) {
    if (!CHECK[layout[i] as Kind].test(f[i]!)) return malformed(line, `${tag} field ${i + 1} is not ${layout[i]}: ${JSON.stringify(f[i]!.slice(0, 40))}`);
  }

  switch (tag) {
    case 'READY':
      return { kind: 'ready', ts: Number(f[0]) };
    case 'O':
      return { kind: 'outcome', ts: Number(f[0]), sk: f[1]!, newState: Number(f[2]), sport: Number(f[3]), skErr: Number(f[4]) };
    case 'S': {
      if (familyOf(f[7]!) === null) return malformed(line, `S family ${f[7]} is neither AF_INET nor AF_INET6`);
      const s = normaliseAddr(f[8]!);
      const d = normaliseAddr(f[9]!);
      return {
        kind: 'start', ts: Number(f[0]), sk: f[1]!, ...task(f, 2, 13, 14), netns: Number(f[6]),
        // An AF_INET6 socket talking to an IPv4-mapped peer is an IPv4 connection.
        family: d.family, saddr: s.addr, daddr: d.addr, sport: Number(f[10]), dport: Number(f[11]),
        bound: (Number(f[12]) & 4) !== 0,
      };
    }
    case 'X': {
      const len = Number(f[3]);
      const bytes = wordsToBytes(f.slice(4));
      return { kind: 'exec', ts: Number(f[0]), pid: Number(f[1]), startNs: Number(f[2]), argv: bytes.subarray(0, Math.min(len, bytes.length)), truncated: len > bytes.length };
    }
    case 'F': {
      const dest = decodeSockaddr(wordsToBytes([f[10]!, f[11]!, f[12]!]));
      if (!dest) return malformed(line, 'F sockaddr is neither AF_INET nor AF_INET6');
      return {
        kind: 'connect-error', ts: Number(f[0]), enterTs: Number(f[1]), sk: f[2]!, ...task(f, 3, 13, 14),
        netns: Number(f[7]), family: dest.family, daddr: dest.addr, dport: dest.port, errno: Number(f[9]),
      };
    }
  }
  return malformed(line, 'unreachable');
}
