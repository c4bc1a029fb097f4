// What bpftrace's BPF programs themselves cost, per program, from the kernel's
// own accounting (kernel.bpf_stats_enabled: run time and run count per
// program, read from the fdinfo of bpftrace's program fds). Unlike a storm's
// connects per second, this does not move with a noisy neighbour, so it shows
// what a change to the probes saves. The accounting costs two clock reads per
// run: it is on only for the phase that measures it. The fdinfo reader is the
// agent's own (it reports skipped runs from the same counters).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { progCounters as agentProgCounters, type ProgCounters } from '../../agent/probes/prog-misses.js';

const SYSCTL = '/proc/sys/kernel/bpf_stats_enabled';

/** Turns the kernel's BPF run-time accounting on; returns how to put it back. */
export function enableBpfStats(): () => void {
  const was = readFileSync(SYSCTL, 'utf8').trim();
  writeFileSync(SYSCTL, '1');
  return () => writeFileSync(SYSCTL, was);
}

/** The counters of every BPF program `pid` holds open (none if it is gone). */
export const progCounters = (pid: number): ProgCounters[] => agentProgCounters(pid) ?? [];

/** Program names from bpftool when it is installed (bpftrace names them after their probes), else "prog ID". */
function progName(id: number): string {
  try {
    const j = JSON.parse(execFileSync('bpftool', ['prog', 'show', 'id', String(id), '--json'], { encoding: 'utf8', timeout: 5000 })) as { name?: string };
    return j.name ?? `prog ${id}`;
  } catch {
    return `prog ${id}`;
  }
}

export interface ProgCost { name: string; runsPerConnect: number; nsPerRun: number; nsPerConnect: number; recursionMisses: number }

/** Per-program cost between two readings, for programs that ran at least once per 10 connects. */
export function progCosts(before: ProgCounters[], after: ProgCounters[], connects: number): { programs: ProgCost[]; nsPerConnect: number; recursionMisses: number } {
  const prev = new Map(before.map((p) => [p.id, p]));
  const programs: ProgCost[] = [];
  let recursionMisses = 0;
  for (const p of after) {
    const b = prev.get(p.id);
    const runs = p.runs - (b?.runs ?? 0);
    const ns = p.runNs - (b?.runNs ?? 0);
    const misses = (p.recursionMisses ?? 0) - (b?.recursionMisses ?? 0);
    recursionMisses += misses;
    if (runs * 10 < connects) continue;
    programs.push({ name: progName(p.id), runsPerConnect: +(runs / connects).toFixed(2), nsPerRun: Math.round(ns / runs), nsPerConnect: Math.round(ns / connects), recursionMisses: misses });
  }
  return { programs, nsPerConnect: programs.reduce((t, p) => t + p.nsPerConnect, 0), recursionMisses };
}
