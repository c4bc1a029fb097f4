// Builds test/fixtures/connector.c once per run and runs it inside a namespace.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';

export interface ClientLine {
  phase: string;
  pid: number;
  tid: number;
  commHex: string;
  saddr: string;
  sport: number;
  daddr: string;
  dport: number;
  errno: number;
}

let built: Promise<string> | null = null;

export function buildConnector(): Promise<string> {
  built ??= (async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'srctrace-connector-')), 'connector');
    await execa('gcc', ['-O2', '-Wall', '-pthread', '-o', out, join(import.meta.dirname, '..', 'fixtures', 'connector.c')]);
    return out;
  })();
  return built;
}

/** Runs the connector in `ns` and returns the attempts it reports. */
export async function runConnector(ns: string, args: string[]): Promise<ClientLine[]> {
  const bin = await buildConnector();
  const { stdout } = await execa('ip', ['netns', 'exec', ns, bin, ...args], { timeout: 120_000 });
  return stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as ClientLine);
}

export async function netnsInode(ns: string): Promise<number> {
  const { stdout } = await execa('ip', ['netns', 'exec', ns, 'readlink', '/proc/self/ns/net']);
  return Number(/\[(\d+)\]/.exec(stdout)![1]);
}
