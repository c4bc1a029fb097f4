#!/usr/bin/env node
// The only place errors become exit codes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SrctraceError } from '../errors.js';
import { repoRoot } from '../probes/backend.js';
import { parseCli } from './args.js';
import { HELP } from './help.js';
import { runTraceCommand } from './trace-command.js';

function version(): string {
  return (JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

async function main(argv: string[]): Promise<number> {
  const args = parseCli(argv);
  switch (args.command) {
    case 'help':
      process.stdout.write(`${HELP}\n`);
      return 0;
    case 'version':
      process.stdout.write(`srctrace ${version()}\n`);
      return 0;
    case 'lab': {
      const { runLabCommand } = await import('../lab/command.js');
      return runLabCommand(args.argv, process.stdout);
    }
    case 'trace':
      return runTraceCommand(args, version());
    case 'ui': {
      const { runUiCommand } = await import('./ui-command.js');
      return runUiCommand(args, version());
    }
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof SrctraceError) {
      process.stderr.write(`srctrace: ${err.message}\n`);
      process.exitCode = err.exitCode;
    } else {
      process.stderr.write(`srctrace: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
      process.exitCode = 1;
    }
  },
);
