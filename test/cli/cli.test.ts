// The real CLI process: usage errors, preflight errors with their fixes, and
// that bpftrace never outlives srctrace (fake bpftrace, so no kernel needed
// beyond the preflight checks).
import { chmodSync, existsSync, mkdtempSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { programFor } from '../../agent/pipeline/program.js';
import { downgradeBtf } from '../../agent/probes/btf-downgrade.js';
import { CLI, ROOT } from '../helpers/srctrace.js';

const FAKE = join(import.meta.dirname, '..', 'fixtures', 'fake-bpftrace.sh');
// The tracepoint program is drained by a helper; fake bpftrace has no map to drain.
const FAKE_DRAIN = join(import.meta.dirname, '..', 'fixtures', 'fake-drain.sh');
const CAPTURE = join(import.meta.dirname, '..', 'fixtures', 'captures', 'loopback-hostile-names.txt');
const CAPTURE_014 = join(import.meta.dirname, '..', 'fixtures', 'captures', 'bpftrace-0.14.txt');
const VMLINUX = '/sys/kernel/btf/vmlinux';
const isRoot = process.getuid?.() === 0;

function run(args: string[], env: Record<string, string> = {}, opts: { timeout?: number } = {}) {
  return execa(CLI[0]!, [...CLI.slice(1), ...args], { cwd: ROOT, env, reject: false, timeout: opts.timeout ?? 60_000, stdin: 'ignore' });
}

function alive(pidfile: string): number[] {
  return readFileSync(pidfile, 'utf8').split('\n').filter(Boolean).map(Number).filter((p) => {
    try {
      process.kill(p, 0);
      return true;
    } catch {
      return false;
    }
  });
}

describe('usage', () => {
  it.each([
    [['--bogus'], /Unknown option '--bogus'; see srctrace --help/],
    [['--format', 'xml'], /--format must be table, ndjson or csv, got "xml"/],
    [['--pid', 'abc'], /--pid expects a process id \(1\.\.4194304\), got "abc"/],
    [['--duration', '0'], /--duration expects a positive number of seconds, got "0"/],
    [['--backend', 'magic'], /--backend must be auto, tracepoint, rawtracepoint or kprobe/],
    [['--comm', 'a-name-longer-than-15'], /--comm expects a task name of 1 to 15 bytes/],
    [['frobnicate'], /unknown command "frobnicate": expected trace, ui or lab/],
    [['ui', '--listen', 'nope'], /--listen expects HOST:PORT/],
    // A negative value reaches the flag's own check instead of parseArgs's advice on its syntax.
    [['--duration', '-3'], /^srctrace: --duration expects a positive number of seconds, got "-3"$/],
    [['-d', '-0.5'], /^srctrace: --duration expects a positive number of seconds, got "-0.5"$/],
    [['-p', '-12'], /^srctrace: --pid expects a process id \(1\.\.4194304\), got "-12"$/],
    // Dashboard flags without "ui" would be ignored silently.
    [['--listen', '127.0.0.1:9000'], /^srctrace: --listen applies to the dashboard only: srctrace ui --listen \.\.\.; see srctrace --help$/],
    [['trace', '--open'], /^srctrace: --open applies to the dashboard only/],
    [['--children'], /^srctrace: --children applies to --pid: srctrace --pid PID --children; see srctrace --help$/],
    [['--dst', '198.18.1.0/40'], /^srctrace: --dst expects an IPv4 or IPv6 address, optionally with a prefix length \(198\.18\.1\.0\/24, 2001:db8::\/32\), got "198\.18\.1\.0\/40"$/],
    [['--dport', '70000'], /^srctrace: --dport expects a port number \(1\.\.65535\), got "70000"$/],
  ])('%j exits 2 with a one-line error', async (args, message) => {
    const r = await run(args);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toBe('');
  });

  it.skipIf(!isRoot)('a bad SRCTRACE_PEND_DUMP_S or SRCTRACE_OUTCOME_DEADLINE_S exits 2 with a one-line error, before bpftrace starts', async () => {
    const knobs = [
      ['SRCTRACE_PEND_DUMP_S', 3600, ['0', '10s', '3601']],
      ['SRCTRACE_OUTCOME_DEADLINE_S', 86_400, ['0', '-5', '1.5', '86401']],
    ] as const;
    for (const [name, max, bads] of knobs) {
      for (const bad of bads) {
        const r = await run(['--duration', '1'], { [name]: bad, SRCTRACE_BPFTRACE: '/nonexistent/bpftrace' });
        expect(r.exitCode).toBe(2);
        expect(r.stderr.trim()).toBe(`srctrace: ${name} must be a whole number of seconds from 1 to ${max}, not "${bad}"`);
      }
    }
  });

  it('--help and --version', async () => {
    const help = await run(['--help']);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toMatch(/^srctrace: which source address/);
    expect(help.stdout).toMatch(/--pid PID/);
    // Fits a terminal, and names the environment knobs.
    expect(help.stdout.split('\n').filter((l) => l.length > 80)).toEqual([]);
    expect(help.stdout).toMatch(/SRCTRACE_SCHED=normal/);
    expect(help.stdout).toMatch(/SRCTRACE_PEND_DUMP_S=N/);
    expect(help.stdout).toMatch(/SRCTRACE_OUTCOME_DEADLINE_S=N/);
    const version = await run(['--version']);
    expect(version.stdout.trim()).toBe(`srctrace ${(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version}`);
  });
});

describe.skipIf(!isRoot)('preflight errors say what to do (needs root to get past the root check)', () => {
  it('missing bpftrace', async () => {
    const r = await run(['-d', '1'], { SRCTRACE_BPFTRACE: '/nonexistent/bpftrace' });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/bpftrace not found \(\/nonexistent\/bpftrace\): install it with "apt-get install bpftrace"/);
  });

  it.each(['v0.9.4', 'v0.13.0'])('bpftrace too old (%s)', async (version) => {
    const r = await run(['-d', '1'], { SRCTRACE_BPFTRACE: FAKE, FAKE_VERSION: `bpftrace ${version}` });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`bpftrace ${version.slice(1)} is too old: srctrace needs 0.14 or newer (Ubuntu 22.04 ships 0.14,`);
  });

  it.each(['kprobe', 'rawtracepoint'])('bpftrace 0.14 with --backend %s: says it runs only the tracepoint set', async (backend) => {
    const r = await run(['-d', '1', '--backend', backend], { SRCTRACE_BPFTRACE: FAKE, FAKE_VERSION: 'bpftrace v0.14.0' });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`--backend ${backend} needs bpftrace 0.15 or newer (this one runs only the tracepoint set): use --backend tracepoint`);
  });

  it('not root', async () => {
    // Same CLI as an unprivileged user (nobody); HOME/tmp redirected so tsx can cache.
    const home = mkdtempSync(join(tmpdir(), 'srctrace-nobody-'));
    chmodSync(home, 0o777);
    const r = await execa('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', ...CLI, '-d', '1'], {
      cwd: ROOT, reject: false, env: { HOME: home, TMPDIR: home }, stdin: 'ignore',
    });
    expect(r.stderr).toMatch(/srctrace must run as root to load BPF programs: run it with sudo/);
    expect(r.exitCode).toBe(1);
  });

  it('drain helper not built: says how to build it, exit 1', async () => {
    const r = await run(['-f', 'ndjson', '--backend', 'tracepoint'], { SRCTRACE_BPFTRACE: FAKE, SRCTRACE_DRAIN_HELPER: '/nonexistent/srctrace-drain' });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/the helper \/nonexistent\/srctrace-drain is missing: build it with "scripts\/setup.sh"/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('bpftrace that cannot attach: its error, exit 1, nothing left running', async () => {
    const pidfile = join(mkdtempSync(join(tmpdir(), 'srctrace-cli-')), 'pids');
    writeFileSync(pidfile, '');
    const r = await run(['-f', 'ndjson'], { SRCTRACE_BPFTRACE: FAKE, FAKE_MODE: 'die-early', FAKE_PIDFILE: pidfile });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/srctrace: bpftrace failed to start; exit code 1; bpftrace said: ERROR: fake bpftrace could not attach/);
    expect(alive(pidfile)).toEqual([]);
  });
});

describe.skipIf(!isRoot || !existsSync(VMLINUX))('bpftrace 0.14 (fake): its own program, a rewritten BTF', () => {
  const env = (dir: string) => ({
    // FAKE_RAW: it would list the raw tracepoint, yet 0.14 must get the tracepoint set.
    SRCTRACE_BPFTRACE: FAKE, FAKE_VERSION: 'bpftrace v0.14.0', FAKE_CAPTURE: CAPTURE_014, FAKE_RAW: '1',
    FAKE_PROGRAM: join(dir, 'program'), FAKE_BTF_COPY: join(dir, 'btf'),
    // The 0.14 program keeps nothing in the kernel: no helper is needed, or run.
    SRCTRACE_DRAIN_HELPER: '/nonexistent/srctrace-drain',
  });

  it('runs the 0.14 program on the kernel\'s BTF rewritten for it, and removes that copy at exit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'srctrace-cli-'));
    const r = await run(['-f', 'ndjson', '--duration', '1'], env(dir));
    // The capture: 7 attempts, and a blocking connect() still waiting at its end.
    expect(r.stderr).toMatch(/srctrace: 8 connection\(s\); lost 0 in kernel, 0 in agent; 1 still awaiting an outcome$/m);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/"state":"started","backend":"tracepoint"/);
    expect(readFileSync(join(dir, 'program'), 'utf8')).toBe(programFor('tracepoint', { legacy: true }));
    const btfPath = readFileSync(join(dir, 'btf.path'), 'utf8').trim();
    expect(btfPath).toMatch(/\/srctrace-btf-[^/]+\/vmlinux$/);
    expect(readFileSync(join(dir, 'btf')).equals(downgradeBtf(readFileSync(VMLINUX)).btf)).toBe(true);
    expect(existsSync(dirname(btfPath))).toBe(false);
  });

  it('leaves a BPFTRACE_BTF the user set alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'srctrace-cli-'));
    writeFileSync(join(dir, 'mine.btf'), 'my BTF');
    const r = await run(['-f', 'ndjson', '--duration', '1'], { ...env(dir), BPFTRACE_BTF: join(dir, 'mine.btf') });
    expect(r.exitCode).toBe(0);
    expect(readFileSync(join(dir, 'btf.path'), 'utf8').trim()).toBe(join(dir, 'mine.btf'));
    expect(readFileSync(join(dir, 'btf'), 'utf8')).toBe('my BTF');
  });
});

describe.skipIf(!isRoot)('no bpftrace outlives srctrace', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)('%s: exit 0, records flushed, bpftrace gone', async (signal) => {
    const pidfile = join(mkdtempSync(join(tmpdir(), 'srctrace-cli-')), 'pids');
    writeFileSync(pidfile, '');
    const proc = execa(CLI[0]!, [...CLI.slice(1), '-f', 'ndjson'], {
      cwd: ROOT, reject: false, env: { SRCTRACE_BPFTRACE: FAKE, SRCTRACE_DRAIN_HELPER: FAKE_DRAIN, FAKE_CAPTURE: CAPTURE, FAKE_PIDFILE: pidfile }, stdin: 'ignore',
    });
    let out = '';
    proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    while (!out.includes('"state":"started"')) await new Promise((r) => setTimeout(r, 50));
    expect(alive(pidfile)).toHaveLength(2); // bpftrace and the drain helper
    proc.kill(signal);
    const r = await proc;
    expect(r.exitCode).toBe(0);
    expect(out.split('\n').filter((l) => l.includes('"type":"connection"'))).toHaveLength(10);
    expect(r.stderr).toMatch(new RegExp(`srctrace: 10 connection\\(s\\); lost 0 in kernel, 0 in agent`));
    expect(alive(pidfile)).toEqual([]);
  });

  it('SIGKILL of srctrace itself still takes bpftrace down (parent-death signal)', async () => {
    const pidfile = join(mkdtempSync(join(tmpdir(), 'srctrace-cli-')), 'pids');
    writeFileSync(pidfile, '');
    const proc = execa(CLI[0]!, [...CLI.slice(1), '-f', 'ndjson'], {
      cwd: ROOT, reject: false, env: { SRCTRACE_BPFTRACE: FAKE, SRCTRACE_DRAIN_HELPER: FAKE_DRAIN, FAKE_PIDFILE: pidfile }, stdin: 'ignore',
    });
    let out = '';
    proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    while (!out.includes('"state":"started"')) await new Promise((r) => setTimeout(r, 50));
    proc.kill('SIGKILL');
    await proc;
    expect(readFileSync(pidfile, 'utf8').trim().split('\n')).toHaveLength(2);
    const deadline = Date.now() + 5000;
    while (alive(pidfile).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(alive(pidfile)).toEqual([]);
  });

  it('a drain helper that dies while tracing restarts bpftrace with it, and says why', async () => {
    const proc = execa(CLI[0]!, [...CLI.slice(1), '-f', 'ndjson'], {
      cwd: ROOT, reject: false, env: { SRCTRACE_BPFTRACE: FAKE, SRCTRACE_DRAIN_HELPER: FAKE_DRAIN, FAKE_DRAIN_MODE: 'die' }, stdin: 'ignore',
    });
    let out = '';
    proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    const deadline = Date.now() + 20_000;
    while (!out.includes('"state":"restarting"') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    proc.kill('SIGINT');
    await proc;
    expect(out).toMatch(/"state":"restarting","backend":"tracepoint","detail":"bpftrace exited \(code 0: srctrace-drain exited while tracing \(exit code 3\): srctrace-drain: fake failure\); restart 1 in \d+ ms"/);
  });

  it.each([
    ['counted once, read twice: repeated on the way from the kernel', 1, /1 attempt\(s\) handed over twice, the repeats dropped \(1 more line\(s\) and drained entries read than the probes counted: repeated on the way from the kernel\)/],
    ['counted twice: repeated in the kernel', 2, /1 attempt\(s\) handed over twice, the repeats dropped \(the probes counted them twice: repeated in the kernel\)/],
  ] as const)('a connect handed over twice is one record, and the summary says so: %s', async (_name, counted, said) => {
    const dir = mkdtempSync(join(tmpdir(), 'srctrace-cli-'));
    const c = readFileSync(join(dirname(CAPTURE), 'joined-and-pending.txt'), 'utf8').split('\n').find((l) => l.startsWith('C '))!;
    writeFileSync(join(dir, 'lines'), `${c}\n${c}\n`);
    writeFileSync(join(dir, 'end'), `Z 99\n@lines: ${counted}\n`);
    const r = await run(['-f', 'ndjson', '--duration', '1'], { SRCTRACE_BPFTRACE: FAKE, SRCTRACE_DRAIN_HELPER: FAKE_DRAIN, FAKE_LINES: join(dir, 'lines'), FAKE_END: join(dir, 'end') });
    expect(r.exitCode).toBe(0);
    expect(r.stdout.split('\n').filter((l) => l.includes('"type":"connection"'))).toHaveLength(1);
    expect(r.stderr).toMatch(said);
    expect(r.stdout).toMatch(/"state":"stopped".*handed over twice/);
  });

  it.each([
    ['auto, bpftrace lists the raw tracepoint', [], { FAKE_RAW: '1' }, 'rawtracepoint'],
    ['auto, bpftrace rejects it (0.17)', [], {}, 'tracepoint'],
    ['--backend tracepoint although raw would work', ['--backend', 'tracepoint'], { FAKE_RAW: '1' }, 'tracepoint'],
  ] as const)('backend: %s', async (_name, args, env, backend) => {
    const r = await run(['-f', 'ndjson', '--duration', '0.5', ...args], { SRCTRACE_BPFTRACE: FAKE, SRCTRACE_DRAIN_HELPER: FAKE_DRAIN, ...env });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(`"state":"started","backend":"${backend}"`);
  });

  it('--backend rawtracepoint with a bpftrace that cannot attach it: says so, exit 1', async () => {
    const r = await run(['-f', 'ndjson', '--backend', 'rawtracepoint'], { SRCTRACE_BPFTRACE: FAKE, SRCTRACE_DRAIN_HELPER: FAKE_DRAIN });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/--backend rawtracepoint: .*fake-bpftrace.sh cannot attach rawtracepoint:inet_sock_set_state \(bpftrace 0.19 or newer (is )?needed[^)]*\); use --backend tracepoint/);
  });

  it('--pid ends the run once its processes have exited (not with --comm, which may match a later one)', async () => {
    const env = { SRCTRACE_BPFTRACE: FAKE, SRCTRACE_DRAIN_HELPER: FAKE_DRAIN };
    const target = execa('sleep', ['1']);
    const r = await run(['-f', 'csv', '--pid', String(target.pid)], env, { timeout: 30_000 });
    await target;
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toMatch(/srctrace: stopped \(tracepoint probes\): every --pid process has exited/);
    const other = execa('sleep', ['0.2']);
    const withComm = await run(['-f', 'csv', '--pid', String(other.pid), '--comm', 'later', '--duration', '2'], env);
    expect(withComm.stderr).toMatch(/--duration 2s elapsed/);
  });

  it('--dst and --dport keep only connections to those destinations (every kind given must match)', async () => {
    const env = { SRCTRACE_BPFTRACE: FAKE, SRCTRACE_DRAIN_HELPER: FAKE_DRAIN, FAKE_CAPTURE: CAPTURE };
    const records = (r: { stdout: string }) => r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).filter((x) => x.type === 'connection');
    const [all, some] = await Promise.all([
      run(['-f', 'ndjson', '--duration', '1'], env),
      run(['-f', 'ndjson', '--duration', '1', '--dst', '127.0.0.0/8', '--dst', '::1', '--dport', '47001'], env),
    ]);
    const expected = records(all).filter((x) => (x.daddr === '::1' || String(x.daddr).startsWith('127.')) && x.dport === 47001);
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(records(all).length);
    expect(records(some).map((x) => [x.pid, x.tid, x.daddr, x.dport])).toEqual(expected.map((x) => [x.pid, x.tid, x.daddr, x.dport]));
  });

  it('--duration ends the run by itself with a summary', async () => {
    const r = await run(['-f', 'csv', '--duration', '1'], { SRCTRACE_BPFTRACE: FAKE, SRCTRACE_DRAIN_HELPER: FAKE_DRAIN, FAKE_CAPTURE: CAPTURE });
    expect(r.exitCode).toBe(0);
    // Hostile names hold newlines inside quoted cells: count rows by their leading timestamp.
    const lines = r.stdout.trim().split('\n');
    expect(lines.filter((l) => /^\d{4}-\d\d-\d\dT/.test(l))).toHaveLength(10);
    expect(r.stdout).toContain(`"""'\\\n\t`); // the hostile comm, CSV-quoted: " doubled, newline kept
    expect(lines[0]).toBe('ts,pid,tid,ppid,uid,comm,cmdline,netns,proto,family,saddr,sport,daddr,dport,outcome,errno,error,latencyMs,sourceReason,dev,gateway,stateRaw,commHex,netnsName,routeSrc,mark');
    expect(r.stderr).toMatch(/srctrace: stopped \(tracepoint probes\): --duration 1s elapsed; 10 connection\(s\) recorded/);
  });

  it('an attempt without an outcome whose socket is gone at exit is counted as lost, not as still awaiting', async () => {
    // A start line of this very thread, in its own namespace, to an address it
    // never connected to, and no outcome line: the kernel's table (read for
    // real) has no such SYN_SENT socket, so the probes missed how it ended.
    const netns = /\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/net'))![1];
    const capture = join(mkdtempSync(join(tmpdir(), 'srctrace-cli-')), 'unseen.txt');
    const pid = process.pid;
    writeFileSync(capture, `S 1000000000 ffff888100000040 ${pid} ${pid} 1 0 ${netns} 2 ::ffff:192.0.2.1 ::ffff:198.18.9.9 0 9 0 1 000000006f6e7379 0000000000000000\n`);
    const r = await run(['-f', 'ndjson', '--duration', '1'], { SRCTRACE_BPFTRACE: FAKE, SRCTRACE_DRAIN_HELPER: FAKE_DRAIN, FAKE_CAPTURE: capture });
    expect(r.exitCode).toBe(0);
    const records = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.filter((x) => x.type === 'connection')).toEqual([
      expect.objectContaining({ pid, daddr: '198.18.9.9', dport: 9, outcome: 'error', errno: null, error: 'its socket had ended before tracing stopped, but no outcome was seen (lost in the kernel)' }),
    ]);
    expect(records.filter((x) => x.type === 'lost')).toEqual([expect.objectContaining({ where: 'kernel', count: 1 })]);
    expect(r.stderr).toMatch(/srctrace: 1 connection\(s\); lost 1 in kernel, 0 in agent \(LOSS\)/);
    expect(r.stderr).not.toMatch(/still awaiting/);
  });
});
