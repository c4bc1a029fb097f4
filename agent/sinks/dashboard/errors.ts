// One error class per dashboard failure a user can act on; each message says
// what to do. The CLI turns these into exit codes.
import { SrctraceError } from '../../errors.js';

/** The dashboard could not listen (port taken, no permission, bad address). */
export class DashboardListenError extends SrctraceError {
  constructor(host: string, port: number, cause: NodeJS.ErrnoException) {
    const hint =
      cause.code === 'EADDRINUSE' ? 'the port is in use: pick another with --listen HOST:PORT (port 0 picks any free port)'
      : cause.code === 'EACCES' ? 'permission denied: use a port above 1023'
      : cause.code === 'EADDRNOTAVAIL' ? 'no local interface has that address: check --listen'
      : `${cause.code ?? 'error'}: ${cause.message}`;
    super(`dashboard cannot listen on ${host}:${port}: ${hint}`, { cause });
  }
}

/** A token given on the command line is too weak or cannot travel in a cookie. */
export class DashboardTokenError extends SrctraceError {
  constructor(reason: string) {
    super(`dashboard token rejected: ${reason}; omit it to get a random one`);
  }
}

/** The built UI is missing, so the page could never load. */
export class DashboardUiMissingError extends SrctraceError {
  constructor(staticDir: string, cause?: unknown) {
    super(`dashboard UI not found in ${staticDir} (no index.html): run \`npm run build\` first`, { cause });
  }
}
