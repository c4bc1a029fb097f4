// Privileged: the test helper's promise that a lab never outlives its process,
// checked on a real child process that brings a lab up and then dies.
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { labDown } from '../../agent/lab/index.js';
import { isRoot, NOT_ROOT_REASON, randomLabPrefix } from '../helpers/lab.js';

const fixture = fileURLToPath(new URL('./fixtures/guarded-lab.ts', import.meta.url));

async function labNamespacesOf(prefix: string): Promise<string[]> {
  const { stdout } = await execa('ip', ['-j', 'netns', 'list']);
  return (JSON.parse(stdout || '[]') as { name: string }[]).map((n) => n.name).filter((n) => n.startsWith(`${prefix}-`));
}

describe.skipIf(!isRoot)(`guardLab removes the lab when its process dies (${isRoot ? 'root' : NOT_ROOT_REASON})`, () => {
  const prefixes: string[] = [];
  afterEach(async () => {
    for (const prefix of prefixes.splice(0)) await labDown({ prefix });
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('on %s', async (signal) => {
    const prefix = randomLabPrefix();
    prefixes.push(prefix);
    const child = execa(process.execPath, ['--import', 'tsx', fixture, prefix, 'signal'], { reject: false });
    await new Promise<void>((resolve) => child.stdout!.on('data', (c: Buffer) => { if (c.toString().includes('up')) resolve(); }));
    expect(await labNamespacesOf(prefix)).toHaveLength(3);
    child.kill(signal);
    expect((await child).signal).toBe(signal);
    expect(await labNamespacesOf(prefix)).toEqual([]);
  });

  it.each(['exit', 'throw'] as const)('on process end by %s (process.exit / uncaught error)', async (ending) => {
    const prefix = randomLabPrefix();
    prefixes.push(prefix);
    const result = await execa(process.execPath, ['--import', 'tsx', fixture, prefix, ending], { reject: false });
    expect(result.stdout).toBe('up');
    expect(result.exitCode).toBe(ending === 'exit' ? 3 : 1);
    expect(await labNamespacesOf(prefix)).toEqual([]);
  });
});
