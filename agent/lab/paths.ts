// The traffic helpers are plain .mjs files under agent/lab/scripts/, not
// compiled by tsc; find them from the repo root so they resolve the same from
// agent/lab/*.ts (tsx, vitest) and from dist/agent/lab/*.js (the built CLI).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LabError } from './errors.js';

export function repoRoot(from: string = import.meta.url): string {
  let dir = dirname(fileURLToPath(from));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new LabError('traffic-failed', `no package.json above ${fileURLToPath(from)}: run srctrace from its checkout or package`);
    dir = parent;
  }
  return dir;
}

export function labScript(name: 'lab-listener.mjs' | 'lab-client.mjs'): string {
  const path = join(repoRoot(), 'agent', 'lab', 'scripts', name);
  if (!existsSync(path)) throw new LabError('traffic-failed', `lab helper ${path} is missing: reinstall srctrace (agent/lab/scripts/ must ship with dist/)`);
  return path;
}
