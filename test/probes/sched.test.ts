// srctrace, its bpftrace and its drain helper must not preempt the traced
// workload on every wake-up, and must keep up when the workload saturates the
// CPUs (see agent/probes/sched.ts): all run under SCHED_BATCH at nice -5,
// unless SRCTRACE_SCHED=normal.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { schedulingPolicy, TRACER_NICE } from '../../agent/probes/sched.js';
import { isRoot, NOT_ROOT_REASON } from '../helpers/lab.js';
import { childNamed } from '../helpers/proc.js';
import { startSrctrace } from '../helpers/srctrace.js';

/** Field 19 of /proc/PID/stat (after the parenthesised name). */
function niceOf(path: string): number {
  const stat = readFileSync(`/proc/${path}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

async function policies(env: Record<string, string>) {
  const trace = await startSrctrace(['--format', 'ndjson'], env);
  try {
    await trace.waitFor((r) => r.type === 'status' && r.state === 'started', 60_000);
    const agent = trace.proc.pid!;
    const bpftrace = childNamed(agent, 'bpftrace');
    const helper = childNamed(agent, 'srctrace-drain');
    expect(bpftrace).not.toBeNull();
    expect(helper).not.toBeNull();
    const tids = readdirSync(`/proc/${agent}/task`).map(Number);
    return {
      agentThreads: [...new Set(tids.map(schedulingPolicy))], bpftrace: schedulingPolicy(bpftrace!), helper: schedulingPolicy(helper!),
      nice: [...new Set([...tids.map((t) => niceOf(`${agent}/task/${t}`)), niceOf(String(bpftrace)), niceOf(String(helper))])],
    };
  } finally {
    await trace.stop();
  }
}

describe.skipIf(!isRoot)(`scheduling policy${isRoot ? '' : ` (skipped: ${NOT_ROOT_REASON})`}`, () => {
  it('the agent (every thread), bpftrace and the drain helper run under SCHED_BATCH at nice -5', async () => {
    expect(await policies({})).toEqual({ agentThreads: ['SCHED_BATCH'], bpftrace: 'SCHED_BATCH', helper: 'SCHED_BATCH', nice: [TRACER_NICE] });
  }, 90_000);

  it('SRCTRACE_SCHED=normal leaves all under SCHED_OTHER at nice 0', async () => {
    expect(await policies({ SRCTRACE_SCHED: 'normal' })).toEqual({ agentThreads: ['SCHED_OTHER'], bpftrace: 'SCHED_OTHER', helper: 'SCHED_OTHER', nice: [0] });
  }, 90_000);
});
