// --pid values checked against what runs now, so a typo does not trace
// nothing in silence. A warning, not an error: the pid is still filtered on.
import { readFileSync } from 'node:fs';

/** One warning line per --pid that names no running process, or names a thread. */
export function pidWarnings(pids: number[], procRoot = '/proc'): string[] {
  const out: string[] = [];
  for (const pid of pids) {
    let status: string;
    try {
      status = readFileSync(`${procRoot}/${pid}/status`, 'latin1');
    } catch {
      out.push(`srctrace: warning: no process ${pid} is running; nothing will match --pid ${pid} unless a new process gets that pid`);
      continue;
    }
    const tgid = Number(/^Tgid:\s*(\d+)/m.exec(status)?.[1]);
    if (tgid && tgid !== pid) out.push(`srctrace: note: ${pid} is a thread of process ${tgid}: only that thread's connections match (--pid ${tgid} for the whole process)`);
  }
  return out;
}
