// Why srctrace's own processes run under SCHED_BATCH.
//
// bpftrace 0.17 opens its perf buffers with wakeup_events = 1: every printf in
// the kernel wakes bpftrace, and a woken normal task preempts whatever runs
// (here: the traced application). Measured on a loopback connect storm, about
// 20% of bpftrace's CPU went to epoll_wait sleep/wake cycles that moved one or
// two lines each, and the storm lost 38% of its rate. Under SCHED_BATCH the
// scheduler never preempts on wakeup, so bpftrace (and the agent reading its
// pipe) run a little later with a whole batch of lines: no starvation, about a
// third of bpftrace's CPU per line, and the storm kept 78% instead of 62% of its
// rate under bare bpftrace with one printf per connect (for the whole pipeline
// the gain was within run-to-run noise, but srctrace used less CPU). The only
// cost is latency of up to one scheduler slice (a few milliseconds).
//
// They also run at nice -5. A traced workload that saturates every CPU (the
// connect-storm benchmark) otherwise leaves srctrace exactly its fair share,
// which under SCHED_BATCH is barely more than it needs: one benchmark round in
// fifteen fell behind long enough for bpftrace's perf buffers to overflow. A higher
// weight costs the workload nothing more than the CPU srctrace actually uses
// (that is bounded by the event rate) but lets it catch up after a burst.
//
// SRCTRACE_SCHED=normal turns both off (for comparing, or a kernel that refuses).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { setPriority } from 'node:os';

/** Nice level of srctrace's threads and of bpftrace (which inherits it). */
export const TRACER_NICE = -5;

const CHRT = ['/usr/bin/chrt', '/bin/chrt'].find((p) => existsSync(p));

/** chrt's path when batch scheduling is wanted and possible, else null. */
function batchChrt(env: NodeJS.ProcessEnv): string | null {
  return env.SRCTRACE_SCHED !== 'normal' && CHRT !== undefined ? CHRT : null;
}

/** argv prefix that starts a program under SCHED_BATCH, or [] when unwanted/unavailable. */
export function batchPrefix(env: NodeJS.ProcessEnv = process.env): string[] {
  const chrt = batchChrt(env);
  return chrt ? [chrt, '--batch', '0'] : [];
}

/**
 * Moves every thread of this process to SCHED_BATCH at nice TRACER_NICE
 * (threads and children created later inherit both; bpftrace is spawned after
 * this). Best effort: returns false when chrt is missing or refuses, which only
 * costs performance.
 */
export function applyTracerScheduling(env: NodeJS.ProcessEnv = process.env): boolean {
  const chrt = batchChrt(env);
  if (!chrt) return false;
  try {
    execFileSync(chrt, ['--all-tasks', '--batch', '--pid', '0', String(process.pid)], { stdio: 'ignore', timeout: 5000 });
    // Linux keeps a nice level per thread: set it on each one.
    for (const tid of readdirSync('/proc/self/task')) setPriority(Number(tid), TRACER_NICE);
    return true;
  } catch {
    return false;
  }
}

/** The current policy of a thread ("SCHED_BATCH", "SCHED_OTHER", ...), from chrt; null if unknown. */
export function schedulingPolicy(tid: number): string | null {
  if (!CHRT) return null;
  try {
    const out = execFileSync(CHRT, ['--pid', String(tid)], { encoding: 'utf8', timeout: 5000 });
    return /policy:\s*(SCHED_\w+)/.exec(out)?.[1] ?? null;
  } catch {
    return null;
  }
}
