// Real connections through the lab: listeners in the router namespaces, a
// client in the host namespace, each attempt reported as the client saw it.
import { createInterface } from 'node:readline';
import { execa, type ResultPromise } from 'execa';
import type { Outcome } from '../model/record.js';
import { LabError, describeProcessFailure } from './errors.js';
import { labScript } from './paths.js';
import { labStatus } from './status.js';
import { labTopology, DEFAULT_PREFIX, type DestinationKind, type LabFamily, type LabDestination } from './topology.js';

export interface LabAttempt {
  kind: DestinationKind;
  family: LabFamily;
  daddr: string;
  dport: number;
  bindAddr: string | null;
  /** from the client's getsockname(); null when connect() failed before a source was chosen */
  saddr: string | null;
  sport: number | null;
  outcome: Outcome;
  /** raw errno (positive) next to its name */
  errno: number | null;
  error: string | null;
  /** pid of the client process inside the host namespace */
  pid: number;
  /** the listener's view of the peer, for attempts it accepted */
  seenByListener: { addr: string; port: number } | null;
  expectedSource: string | null;
  expectedOutcome: Outcome;
  asExpected: boolean;
}

export interface LabTrafficResult {
  prefix: string;
  attempts: LabAttempt[];
}

export interface LabTrafficOptions {
  prefix?: string;
  /** attempts per destination kind and family */
  count?: number;
  /** per-attempt client timeout */
  timeoutMs?: number;
  /** when given, the readable summary is written here */
  out?: NodeJS.WritableStream;
}

interface ClientLine { id: number; pid: number; saddr: string | null; sport: number | null; outcome: Outcome; errno: number | null; error: string | null }
interface Accepted { event: 'accepted'; remote: string; remotePort: number }

export async function labTraffic(options: LabTrafficOptions = {}): Promise<LabTrafficResult> {
  const topo = labTopology(options.prefix ?? DEFAULT_PREFIX);
  const status = await labStatus({ prefix: topo.prefix });
  if (!status.complete) {
    throw new LabError('not-up', `lab ${topo.prefix} is not up (${status.missing[0] ?? 'incomplete'}): run \`srctrace lab up --prefix ${topo.prefix}\` first`);
  }
  const count = options.count ?? 2;
  const plan = topo.destinations.flatMap((d) => Array.from({ length: count }, () => d));

  const listeners = [
    startListener(topo.namespaces.rtrA, topo.listenPort, [topo.targets.withSrc.v4, topo.targets.withSrc.v6]),
    startListener(topo.namespaces.rtrB, topo.listenPort, [topo.targets.withoutSrc.v4, topo.targets.withoutSrc.v6]),
  ];
  try {
    await Promise.all(listeners.map((l) => l.ready));
    const lines = await runClient(topo.namespaces.host, plan, options.timeoutMs ?? 3000);
    const established = lines.filter((l) => l.outcome === 'established').length;
    await waitFor(() => listeners.reduce((n, l) => n + l.accepted.length, 0) >= established, 2000);
    const accepted = listeners.flatMap((l) => l.accepted);
    const attempts = plan.map((dest, id) => toAttempt(dest, lines.find((l) => l.id === id), accepted));
    const result = { prefix: topo.prefix, attempts };
    options.out?.write(`${renderTraffic(result)}\n`);
    return result;
  } finally {
    await Promise.all(listeners.map((l) => l.stop()));
  }
}

function toAttempt(dest: LabDestination, line: ClientLine | undefined, accepted: Accepted[]): LabAttempt {
  if (!line) throw new LabError('traffic-failed', `the lab client printed no result for ${dest.kind} IPv${dest.family} ${dest.daddr}`);
  const seen = line.sport === null ? undefined : accepted.find((a) => a.remotePort === line.sport && a.remote === line.saddr);
  const attempt: Omit<LabAttempt, 'asExpected'> = {
    kind: dest.kind, family: dest.family, daddr: dest.daddr, dport: dest.dport, bindAddr: dest.bindAddr,
    saddr: line.saddr, sport: line.sport, outcome: line.outcome, errno: line.errno, error: line.error, pid: line.pid,
    seenByListener: seen ? { addr: seen.remote, port: seen.remotePort } : null,
    expectedSource: dest.expectedSource, expectedOutcome: dest.expectedOutcome,
  };
  const asExpected = attempt.saddr === dest.expectedSource && attempt.outcome === dest.expectedOutcome && attempt.error === dest.expectedError;
  return { ...attempt, asExpected };
}

interface Listener {
  ready: Promise<void>;
  accepted: Accepted[];
  stop(): Promise<void>;
}

function startListener(ns: string, port: number, addresses: string[]): Listener {
  const proc: ResultPromise = execa('ip', ['netns', 'exec', ns, process.execPath, labScript('lab-listener.mjs'), String(port), ...addresses], {
    stdin: 'pipe', buffer: false, reject: false, stderr: 'pipe',
  });
  const accepted: Accepted[] = [];
  let stderr = '';
  proc.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new LabError('traffic-failed', `listener in ${ns} not ready after 10 s: ${stderr.trim() || 'no output'}`)), 10_000);
    createInterface({ input: proc.stdout! }).on('line', (raw) => {
      let line: { event?: string; error?: string; message?: string };
      try {
        line = JSON.parse(raw) as typeof line;
      } catch {
        return;
      }
      if (line.event === 'ready') { clearTimeout(timer); resolve(); }
      if (line.event === 'failed') { clearTimeout(timer); reject(new LabError('traffic-failed', `listener in ${ns} failed: ${line.error} ${line.message}`)); }
      if (line.event === 'accepted') accepted.push(line as Accepted);
    });
    void proc.then((r) => {
      clearTimeout(timer);
      reject(new LabError('traffic-failed', `listener in ${ns} exited before it was ready: ${describeProcessFailure(r)}`));
    });
  });
  ready.catch(() => undefined);
  return {
    ready,
    accepted,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 3000);
      await proc;
      clearTimeout(timer);
    },
  };
}

async function runClient(ns: string, plan: LabDestination[], timeoutMs: number): Promise<ClientLine[]> {
  const steps = plan.map((d, id) => ({ id, family: d.family, daddr: d.daddr, dport: d.dport, bindAddr: d.bindAddr }));
  try {
    // The plan goes in on stdin: its command line is what srctrace shows for these connects.
    const { stdout } = await execa('ip', ['netns', 'exec', ns, process.execPath, labScript('lab-client.mjs'), String(timeoutMs)], {
      input: JSON.stringify(steps), timeout: timeoutMs * steps.length + 10_000,
    });
    return stdout.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as ClientLine);
  } catch (error) {
    throw new LabError('traffic-failed', `the lab client in ${ns} failed: ${describeProcessFailure(error)}`, { cause: error });
  }
}

async function waitFor(condition: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

export function renderTraffic(result: LabTrafficResult): string {
  const rows = result.attempts.map((a) => [
    a.asExpected ? 'ok' : 'UNEXPECTED',
    a.kind,
    `v${a.family}`,
    a.family === 6 ? `[${a.daddr}]:${a.dport}` : `${a.daddr}:${a.dport}`,
    a.bindAddr ?? '-',
    a.saddr === null ? '-' : a.family === 6 ? `[${a.saddr}]:${a.sport}` : `${a.saddr}:${a.sport}`,
    a.error ? `${a.outcome} (${a.error})` : a.outcome,
    a.expectedSource ?? 'no source',
  ]);
  const header = ['', 'kind', 'ip', 'destination', 'bind', 'source (getsockname)', 'outcome', 'expected source'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  const ok = result.attempts.filter((a) => a.asExpected).length;
  const pids = [...new Set(result.attempts.map((a) => a.pid))].join(', ');
  return [
    `lab ${result.prefix} traffic from the host namespace (client pid ${pids}):`,
    fmt(header),
    ...rows.map(fmt),
    `${ok}/${result.attempts.length} attempts as expected`,
  ].join('\n');
}
