// Loads real bpftrace captures recorded on the development VM (test/fixtures/captures).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export function captureLines(name: string): string[] {
  return readFileSync(join(import.meta.dirname, '..', 'fixtures', 'captures', name), 'latin1').split('\n');
}
