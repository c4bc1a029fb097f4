// `srctrace [trace]` and `srctrace ui`: preflight, then run the pipeline until
// Ctrl-C, SIGTERM, --duration or a probe failure; bpftrace is stopped on every path.
import { repeatNote, Tracer, type TraceSummary } from '../pipeline/tracer.js';
import { OUTCOME_DEADLINE_S } from '../correlate/correlator.js';
import { envSeconds } from '../pipeline/env-seconds.js';
import { pendDumpSeconds, programFor } from '../pipeline/program.js';
import { chooseBackend } from '../probes/backend.js';
import { quietFlags } from '../probes/bpftrace-process.js';
import { requireDrainHelper, usesMapDrain } from '../probes/map-drain.js';
import { isLegacyBpftrace, legacyBtf } from '../probes/legacy-bpftrace.js';
import { ensureTracefs, findBpftrace, requireBtf, requireRoot } from '../probes/preflight.js';
import { applyTracerScheduling } from '../probes/sched.js';
import type { Sink } from '../sinks/sink.js';
import type { TraceArgs } from './args.js';
import { pidWarnings } from './pid-check.js';
import { watchPids } from './pid-watch.js';
import { makeSink, openOutput, resolveFormat } from './sinks.js';

export interface Extra {
  /** Extra sinks and a closer, for `srctrace ui` (the dashboard). */
  sinks: Sink[];
  onStarted?: (tracer: Tracer) => void;
}

export async function runTraceCommand(args: TraceArgs, version: string, extra?: (backend: string) => Promise<Extra>): Promise<number> {
  requireRoot();
  // A bad SRCTRACE_PEND_DUMP_S or SRCTRACE_OUTCOME_DEADLINE_S stops here, before anything starts.
  const dumpSeconds = pendDumpSeconds();
  const deadlineSeconds = envSeconds(process.env, 'SRCTRACE_OUTCOME_DEADLINE_S', OUTCOME_DEADLINE_S, 86_400);
  const bpf = await findBpftrace();
  requireBtf();
  await ensureTracefs();
  // Batch wake-ups, keep up under saturation (see sched.ts).
  applyTracerScheduling();
  const legacy = isLegacyBpftrace(bpf.version);
  const backend = await chooseBackend(args.backend, bpf.path, legacy);
  if (usesMapDrain(programFor(backend, { legacy }))) requireDrainHelper();
  for (const w of pidWarnings(args.pids)) process.stderr.write(`${w}\n`);
  const format = resolveFormat(args.format, args.output, process.stdout.isTTY === true);
  const out = await openOutput(args.output);
  const more = extra ? await extra(backend) : { sinks: [] };
  // bpftrace 0.14 reads the kernel's BTF from a rewritten copy, removed on every path out.
  const btf = legacy ? legacyBtf() : null;
  try {
    const tracer = new Tracer({
      backend,
      legacy,
      pendDumpSeconds: dumpSeconds,
      outcomeDeadlineSeconds: deadlineSeconds,
      env: btf?.env,
      bpftrace: bpf.path,
      bpftraceArgs: quietFlags(bpf.version),
      filter: { pids: args.pids, comms: args.comms, children: args.children, dests: args.dests, dports: args.dports },
      sinks: [makeSink(format, out), ...more.sinks],
    });
    if (process.stderr.isTTY) process.stderr.write(`srctrace ${version}: starting bpftrace ${bpf.version} (${backend} probes${legacy ? ', its 0.14 program' : ''})...\n`);

    let stopReason: string | null = null;
    let wake: () => void = () => {};
    const stopped = new Promise<void>((r) => (wake = r));
    const stop = (reason: string) => {
      stopReason ??= reason;
      wake();
    };
    // A second signal while stopping: stop without waiting for the probes' last counts.
    const onSignal = (sig: NodeJS.Signals) => {
      if (stopReason !== null) tracer.hurry();
      stop(`stopped by ${sig}`);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.on('SIGHUP', onSignal);
    // A closed stdout (srctrace | head) ends the run instead of crashing it.
    process.stdout.on('error', () => stop('output closed'));

    try {
      await tracer.start();
    } catch (err) {
      await tracer.stop('bpftrace failed to start').catch(() => {});
      // The raw tracepoint program is exercised on fewer bpftrace releases than the tracepoint one.
      if (backend === 'rawtracepoint' && err instanceof Error) err.message += ' (the stable tracepoint may still work: --backend tracepoint)';
      throw err;
    }
    more.onStarted?.(tracer);
    const timer = args.durationS ? setTimeout(() => stop(`--duration ${args.durationS}s elapsed`), args.durationS * 1000) : null;
    // Only --pid (no --comm, which can match a process yet to come), and not the
    // dashboard, which stays up to be looked at: the run ends with its
    // processes, a second later, so their last connects are drained first.
    const unwatch = args.pids.length > 0 && args.comms.length === 0 && args.command === 'trace'
      ? watchPids(args.pids, () => setTimeout(() => stop(`every --pid process has exited`), 1000).unref())
      : () => {};
    void tracer.failed.then((e) => e && stop('bpftrace could not be kept running'));

    await stopped;
    if (timer) clearTimeout(timer);
    unwatch();
    const summary = await tracer.stop(stopReason ?? 'stopped');
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
    const failure = await Promise.race([tracer.failed, Promise.resolve(null)]);
    printSummary(summary, failure?.message ?? null);
    return failure ? 1 : 0;
  } finally {
    btf?.remove();
  }
}

function printSummary(s: TraceSummary, failure: string | null): void {
  const lost = s.lostKernel + s.lostAgent;
  const parts = [`${s.connections} connection(s)`, `lost ${s.lostKernel} in kernel, ${s.lostAgent} in agent`];
  if (s.skippedRuns) parts.push(`${s.skippedRuns} probe run(s) skipped by the kernel (possible loss)`);
  if (s.lostForks) parts.push(`${s.lostForks} fork line(s) lost (--children may have left processes out)`);
  if (s.malformedLines) parts.push(`${s.malformedLines} unreadable bpftrace line(s)`);
  if (s.restarts) parts.push(`${s.restarts} bpftrace restart(s)`);
  if (s.pendingAtExit) parts.push(`${s.pendingAtExit} still awaiting an outcome`);
  const repeats = repeatNote(s);
  if (repeats) parts.push(repeats);
  process.stderr.write(`srctrace: ${parts.join('; ')}${lost ? ' (LOSS)' : s.skippedRuns || s.lostForks ? ' (POSSIBLE LOSS)' : ''}\n`);
  if (failure) process.stderr.write(`srctrace: ${failure}\n`);
}
