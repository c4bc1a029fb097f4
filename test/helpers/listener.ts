// TCP listeners inside a lab namespace (the lab's own listener script), for
// tests that drive their own clients.
import { createInterface } from 'node:readline';
import { execa } from 'execa';
import { join } from 'node:path';

const SCRIPT = join(import.meta.dirname, '..', '..', 'agent', 'lab', 'scripts', 'lab-listener.mjs');

export async function startListener(ns: string, port: number, addresses: string[]): Promise<{ stop(): Promise<void> }> {
  const proc = execa('ip', ['netns', 'exec', ns, process.execPath, SCRIPT, String(port), ...addresses], { stdin: 'pipe', reject: false, buffer: false });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`listener in ${ns} not ready`)), 15_000);
    createInterface({ input: proc.stdout! }).on('line', (l) => {
      if (l.includes('"ready"')) { clearTimeout(timer); resolve(); }
    });
    void proc.then(() => reject(new Error(`listener in ${ns} exited`)));
  });
  return {
    async stop() {
      proc.kill('SIGTERM');
      await proc;
    },
  };
}
