import { describe, expect, it } from 'vitest';
import { commBytesFromWords, commToString } from '../../agent/decode/comm.js';
import { decodeLine, redactExecLine } from '../../agent/decode/decode-line.js';
import { captureLines } from '../helpers/capture.js';

const bytes = (hex: string) => Uint8Array.from(Buffer.from(hex, 'hex'));

describe('decodeLine on a real capture (loopback, hostile task names, unreachable)', () => {
  const lines = captureLines('loopback-hostile-names.txt');
  const events = lines.map(decodeLine);

  it('decodes every line of the capture (no malformed)', () => {
    expect(events.filter((e) => e.kind === 'malformed')).toEqual([]);
    expect(events.filter((e) => e.kind === 'start')).toHaveLength(8);
    expect(events.filter((e) => e.kind === 'outcome')).toHaveLength(8);
    expect(events.filter((e) => e.kind === 'connect-error')).toHaveLength(7);
  });

  it('decodes a start with a hostile name byte-exactly', () => {
    expect(decodeLine(lines[2]!)).toEqual({
      kind: 'start', ts: 710348393230, sk: 'ffff888102a3a500', pid: 10941, tid: 10943, ppid: 10854, uid: 0,
      startNs: 710313592562, commBytes: bytes('22275c0a09ff80fe41'), netns: 4026531833, family: 4,
      saddr: '127.0.0.1', daddr: '127.0.0.1', sport: 0, dport: 47001, bound: false, portBound: false, devBound: false, mark: 0, tos: 0,
    });
    expect(commToString(bytes('22275c0a09ff80fe41'))).toBe('"\'\\\n\t\ufffd\ufffd\ufffdA');
  });

  it('decodes the outcome line with the final port and socket error', () => {
    expect(decodeLine(lines[3]!)).toEqual({ kind: 'outcome', ts: 710348539828, sk: 'ffff888102a3a500', newState: 7, sport: 47930, skErr: 111, route: { devBytes: null, gateway: null } });
  });

  it('treats an IPv6 socket talking to an IPv4-mapped peer as IPv4', () => {
    const ev = decodeLine(lines[11]!);
    expect(ev).toMatchObject({ kind: 'start', family: 4, saddr: '127.0.0.1', daddr: '127.0.0.1', pid: 10952 });
  });

  it('marks an explicitly bound source (sk_userlocks has SOCK_BINDADDR_LOCK)', () => {
    expect(decodeLine(lines[14]!)).toMatchObject({ kind: 'start', saddr: '127.0.0.3', bound: true, sport: 34349 });
  });

  it('decodes connect() errors with the destination from the sockaddr', () => {
    expect(decodeLine(lines[17]!)).toEqual({
      kind: 'connect-error', ts: 710508284765, enterTs: 710508263495, sk: 'ffff888102a3a500', pid: 10958, tid: 10959,
      ppid: 10854, uid: 0, startNs: 710474849847, commBytes: bytes('1b5b33316d726564'), netns: 4026532383,
      family: 4, daddr: '198.18.99.1', dport: 80, errno: 101, synSent: null, // this capture predates the synsent field
    });
    expect(decodeLine(lines[18]!)).toMatchObject({ kind: 'connect-error', family: 6, daddr: '2001:db8::9', dport: 443, errno: 99 });
    expect(decodeLine(lines[13]!)).toMatchObject({ kind: 'connect-error', family: 4, daddr: '127.0.0.1', dport: 47001 });
  });

  it('recognises bpftrace chatter', () => {
    expect(decodeLine('Attaching 5 probes...')).toEqual({ kind: 'info', text: 'Attaching 5 probes...' });
    expect(decodeLine('READY 708049192267')).toEqual({ kind: 'ready', ts: 708049192267 });
    expect(decodeLine('K 708049192300 4242 4250')).toEqual({ kind: 'fork', ts: 708049192300, parent: 4242, child: 4250 });
    expect(decodeLine('K 708049192300 4242')).toMatchObject({ kind: 'malformed', reason: 'K line has 2 fields, expected 3' });
    expect(decodeLine('Lost 17 events')).toEqual({ kind: 'lost', count: 17 });
    expect(decodeLine('')).toEqual({ kind: 'info', text: '' });
    // bpftrace's dump of @done at exit: the drain helper hands those connects over, so it is not a record (nor malformed).
    expect(decodeLine('@done[0xffff888104bd5340, 14309331876001]: (32194, 32194, 32159, 0, 4026531833, 2, 0, 72058143793676288, 0, 72058143793676288, 34135, 0, 14308965977709, 14476648585132400, 0, 14309331942737, 1, 48528, 0, 28524, 0, 0, 0)').kind).toBe('info');
  });
});

describe('decodeLine on a real capture of S lines (@pend full: BPFTRACE_MAP_KEYS_MAX=2, bpftrace 0.17)', () => {
  // Five pending connects from one task with a hostile name (IPv4, IPv6, and
  // an IPv6 socket to an IPv4-mapped peer): two fit in @pend (drained as C
  // entries), three fall back to S lines, laid out as P lines.
  const events = captureLines('pend-full-s-lines.txt').map(decodeLine);
  const starts = events.filter((e) => e.kind === 'start');

  it('decodes every line (no malformed)', () => {
    expect(events.filter((e) => e.kind === 'malformed')).toEqual([]);
    expect(starts).toHaveLength(3);
    expect(events.filter((e) => e.kind === 'outcome')).toHaveLength(3);
    expect(events.filter((e) => e.kind === 'joined')).toHaveLength(2);
  });

  it('reads the address words: IPv6, and IPv4-mapped as IPv4', () => {
    expect(starts[0]).toEqual({
      kind: 'start', ts: 63892300224258, sk: 'ffff888117f0a700', pid: 7746, tid: 7746, ppid: 7705, uid: 0,
      startNs: 63891962812821, commBytes: bytes('6361702022735c6c696e65ff'), netns: 4026532176, family: 6,
      saddr: '2001:db8::1', daddr: '2001:db8:1::7', sport: 0, dport: 80, bound: false, portBound: false, devBound: false, mark: 0, tos: 0,
    });
    expect(starts[1]).toMatchObject({ family: 6, saddr: '2001:db8::1', daddr: '2001:db8:1::8', dport: 443 });
    expect(starts[2]).toMatchObject({ family: 4, saddr: '192.0.2.1', daddr: '198.51.100.9', dport: 8080 });
  });

  it('reads the userlocks field: a bound address or port, a device, the TOS byte, the socket\'s mark (up to 2^32 - 1, past 2^53 in all)', () => {
    const s = (flags: string) => decodeLine(`S 1 ff 1 2 3 0 4 2 0000000000000000 010200c0ffff0000 0000000000000000 010112c6ffff0000 80 ${flags} 5 0000000000000061 0000000000000000`);
    expect(s('0')).toMatchObject({ kind: 'start', bound: false, portBound: false, devBound: false, mark: 0, tos: 0 });
    expect(s('4')).toMatchObject({ kind: 'start', bound: true, portBound: false, devBound: false, mark: 0, tos: 0 });
    expect(s('8')).toMatchObject({ kind: 'start', bound: false, portBound: true, devBound: false, mark: 0, tos: 0 });
    expect(s('256')).toMatchObject({ kind: 'start', bound: false, devBound: true, mark: 0, tos: 0 });
    expect(s(String(0xb8n << 16n))).toMatchObject({ kind: 'start', bound: false, portBound: false, devBound: false, mark: 0, tos: 0xb8 });
    expect(s(String((42n << 32n) | 0x104n))).toMatchObject({ kind: 'start', bound: true, devBound: true, mark: 42, tos: 0 });
    expect(s(String((0xffffffffn << 32n) | (0xffn << 16n) | 0x10fn))).toMatchObject({ kind: 'start', bound: true, portBound: true, devBound: true, mark: 0xffffffff, tos: 0xff });
    expect(s('18446744073709551615')).toMatchObject({ kind: 'start', mark: 0xffffffff, tos: 0xff });
  });

  it('still reads the text layout (the kprobe set, earlier captures)', () => {
    expect(decodeLine('S 1 ff 1 2 3 0 4 10 2001:db8::1 2001:db8:1::7 41242 80 4 5 0000000000000061 0000000000000000')).toMatchObject({
      kind: 'start', pid: 1, tid: 2, family: 6, saddr: '2001:db8::1', daddr: '2001:db8:1::7', sport: 41242, dport: 80, bound: true,
    });
  });
});

describe('decodeLine on a real capture of bpftrace 0.14 (its own program: S, O, F lines, map dumps at exit)', () => {
  // Recorded on this VM: Ubuntu 22.04's bpftrace 0.14.0 from a chroot, a task
  // named 'c14 "q\\<TAB><LF><0x80><0xff>' in a namespace of its own, X lines removed.
  const lines = captureLines('bpftrace-0.14.txt');
  const events = lines.map(decodeLine);

  it('decodes every line: S, O, F, and the dumps 0.14 leaves at exit (no END to clear them) as nothing', () => {
    expect(events.filter((e) => e.kind === 'malformed')).toEqual([]);
    expect(events.filter((e) => e.kind === 'start')).toHaveLength(7);
    expect(events.filter((e) => e.kind === 'outcome')).toHaveLength(6);
    expect(events.filter((e) => e.kind === 'connect-error')).toHaveLength(3);
    const dumps = lines.filter((l) => /^@(ready|syn|cts|cfd|caddr)\b/.test(l));
    expect(dumps).toHaveLength(5); // a thread was still inside a blocking connect() at exit
    for (const d of dumps) expect(decodeLine(d), d).toEqual({ kind: 'info', text: '' });
    expect(events.filter((e) => e.kind === 'line-count').at(-1)).toEqual({ kind: 'line-count', count: 16 });
  });

  it('reads the hostile name byte-exactly and the addresses of each family', () => {
    const starts = events.filter((e) => e.kind === 'start');
    for (const st of starts) expect(st.commBytes).toEqual(bytes('6331342022715c090a80ff'));
    expect(starts.map((st) => [st.family, st.saddr, st.daddr, st.dport])).toEqual([
      [4, '127.0.0.1', '127.0.0.1', expect.any(Number)], [4, '127.0.0.1', '127.0.0.1', 9], [6, '::1', '::1', 9],
      [4, '192.0.2.1', '198.51.100.7', 80], [6, '2001:db8::1', '2001:db8:1::7', 80], [4, '192.0.2.1', '198.51.100.9', 8080],
      [4, '192.0.2.1', '198.51.100.20', 443],
    ]);
  });

  it('still rejects the dump of a map no program has', () => {
    expect(decodeLine('@pendx[1]: 2')).toMatchObject({ kind: 'malformed' });
    expect(decodeLine('@syn[1]: x')).toMatchObject({ kind: 'malformed' });
  });
});

describe('decodeLine rejects what does not match the contract', () => {
  const good = 'O 710348539828 ffff888102a3a500 7 47930 111';
  it.each([
    ['truncated line', 'O 710348539828 ffff888102a3a500 7 47930'],
    ['extra field', `${good} 5`],
    ['non-numeric field', 'O 7103485x9828 ffff888102a3a500 7 47930 111'],
    ['unknown tag', 'X 1 2 3'],
    ['half a start line (split by a newline in older formats)', 'S 710348393230 ffff888102a3a500 10941 10943 10854 0 4026531833 2 ::ffff:127.0.0.1'],
    ['text where a comm word belongs', 'S 1 ff 1 1 1 0 1 2 ::1 ::1 0 80 0 1 evil"name\\\\0000 0000000000000000'],
    ['bad family', 'S 1 ff 1 1 1 0 1 7 ::1 ::1 0 80 0 1 0000000000000000 0000000000000000'],
    ['bad family (word layout)', 'S 1 ff 1 1 1 0 1 7 0000000000000000 0000000000000000 0000000000000000 0000000000000000 80 0 1 0000000000000000 0000000000000000'],
    ['an address word one digit short', 'S 1 ff 1 1 1 0 1 2 000000000000000 0100007fffff0000 0000000000000000 0100007fffff0000 80 0 1 0000000000000000 0000000000000000'],
  ])('%s', (_why, line) => {
    expect(decodeLine(line)).toMatchObject({ kind: 'malformed' });
  });

  it('cuts very long malformed lines in the report', () => {
    const ev = decodeLine(`Z${'x'.repeat(10_000)}`);
    expect(ev.kind).toBe('malformed');
    expect(ev.kind === 'malformed' && ev.line.length).toBeLessThan(400);
  });
});

describe('comm words', () => {
  it('reads little-endian words and stops at the first NUL', () => {
    expect(Buffer.from(commBytesFromWords('6f7463656e6e6f63', '0000000000000072')).toString()).toBe('connector');
    expect(Buffer.from(commBytesFromWords('74697720656d616e', '0065636170732068')).toString()).toBe('name with space');
    expect(commBytesFromWords('0000000000000000', 'ffffffffffffffff')).toEqual(new Uint8Array(0));
  });
});

describe('exec lines (argv of new programs, captured for short-lived processes)', () => {
  const [connector, echo] = captureLines('exec-argv.txt').map(decodeLine);
  it('decodes argv bytes up to the argument length', () => {
    expect(connector).toMatchObject({ kind: 'exec', truncated: false });
    expect(connector!.kind === 'exec' && Buffer.from(connector!.argv).toString('latin1')).toBe(['/tmp/connector', '-d', '127.0.0.1', '-p', '1', '-N', '68692074686572650a', ''].join('\x00'));
  });
  it('keeps quotes, backslashes and newlines, and says when argv was longer than 128 bytes', () => {
    expect(echo).toMatchObject({ kind: 'exec', truncated: true });
    const text = echo!.kind === 'exec' ? Buffer.from(echo!.argv).toString('latin1') : '';
    expect(text.startsWith('/bin/echo\0a"b\\c\0new\nline\0xxxx')).toBe(true);
    expect(text).toHaveLength(128);
  });
});

describe('redactExecLine (what SRCTRACE_RAW_LOG keeps of an exec line)', () => {
  /** An X line as process-exec.bt prints it: 128 bytes from arg_start as 16 little-endian words. */
  function xLine(area: Buffer, arglen: number): string {
    const padded = Buffer.concat([area, Buffer.alloc(128 - area.length)]);
    const words = Array.from({ length: 16 }, (_, k) => Buffer.from(padded.subarray(8 * k, 8 * k + 8)).reverse().toString('hex'));
    return `X 100 42 99 ${arglen} ${words.join(' ')}`;
  }
  const argv = Buffer.from('curl\0-s\0http://x/\0', 'latin1'); // 21 bytes: ends inside word 2
  const line = xLine(Buffer.concat([argv, Buffer.from('AWS_SECRET_ACCESS_KEY=hunter2\0HOME=/root\0')]), argv.length);

  it('zeroes every byte past the argument area, keeps the arguments, and decodes the same', () => {
    expect(line).toContain(Buffer.from('hunter2').reverse().toString('hex').slice(0, 6)); // the secret is on the raw line
    const red = redactExecLine(line);
    const words = red.split(' ').slice(5);
    const bytes = Buffer.concat(words.map((w) => Buffer.from(w, 'hex').reverse()));
    expect(bytes.subarray(0, argv.length)).toEqual(argv);
    expect(bytes.subarray(argv.length).every((b) => b === 0)).toBe(true);
    expect(decodeLine(red)).toEqual(decodeLine(line));
  });

  it('leaves a 128-byte command line (truncated) and anything that is not an X line as it is', () => {
    const full = xLine(Buffer.alloc(128, 0x61), 300);
    expect(redactExecLine(full)).toBe(full);
    for (const other of ['X 1 2 3', 'S 1 ff', 'garbage']) expect(redactExecLine(other)).toBe(other);
  });

  it('decodes every exec line of the real captures the same after redaction', () => {
    for (const file of ['exec-argv.txt', 'joined-and-pending.txt']) {
      for (const l of captureLines(file).filter((x) => x.startsWith('X '))) {
        expect(decodeLine(redactExecLine(l)), l).toEqual(decodeLine(l));
        expect(redactExecLine(l), 'the committed captures are redacted already').toBe(l);
      }
    }
  });
});
