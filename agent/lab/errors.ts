// One error type for everything the lab cannot do; `code` says which failure it
// is and the message says what to do. The original error stays in `cause`.

export type LabErrorCode =
  /** namespaces need CAP_SYS_ADMIN: not running as root */
  | 'not-root'
  /** iproute2's `ip` is not installed or not on PATH */
  | 'ip-missing'
  /** the --prefix value cannot make valid namespace and device names */
  | 'bad-prefix'
  /** an `ip` (or helper) command failed */
  | 'command-failed'
  /** the lab is not (completely) up */
  | 'not-up'
  /** a traffic helper (listener/client) misbehaved */
  | 'traffic-failed';

export class LabError extends Error {
  override readonly name = 'LabError';
  readonly code: LabErrorCode;

  constructor(code: LabErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Shape of the parts of an execa error worth showing. */
interface ProcessFailure {
  command?: string;
  exitCode?: number;
  signal?: string;
  stderr?: unknown;
  shortMessage?: string;
}

/** "exit code 2, stderr: RTNETLINK answers: File exists" for a failed subprocess. */
export function describeProcessFailure(error: unknown): string {
  if (typeof error !== 'object' || error === null) return String(error);
  const e = error as ProcessFailure;
  const parts: string[] = [];
  if (typeof e.exitCode === 'number') parts.push(`exit code ${e.exitCode}`);
  if (e.signal) parts.push(`signal ${e.signal}`);
  const stderr = typeof e.stderr === 'string' ? e.stderr.trim() : '';
  if (stderr) parts.push(`stderr: ${stderr}`);
  if (parts.length === 0) parts.push(e.shortMessage ?? (error instanceof Error ? error.message : String(error)));
  return parts.join(', ');
}
