// One error class per failure a user can act on. Each message says what to do;
// only the CLI entry point turns these into exit codes.

export class SrctraceError extends Error {
  /** Process exit code the CLI uses for this failure. */
  readonly exitCode: number = 1;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad command-line usage (exit 2, like other Unix tools). */
export class UsageError extends SrctraceError {
  override readonly exitCode = 2;
}

export class NotRootError extends SrctraceError {}
export class BpftraceMissingError extends SrctraceError {}
export class BpftraceTooOldError extends SrctraceError {}
export class TracefsError extends SrctraceError {}
export class KernelSupportError extends SrctraceError {}

/** bpftrace failed to start or kept dying; carries its exit code, signal and stderr. */
export class ProbeError extends SrctraceError {
  constructor(
    message: string,
    readonly detail: { exitCode?: number | null; signal?: string | null; stderr?: string; hint?: string | null },
    options?: { cause?: unknown },
  ) {
    const parts = [message];
    if (detail.exitCode !== undefined && detail.exitCode !== null) parts.push(`exit code ${detail.exitCode}`);
    if (detail.signal) parts.push(`signal ${detail.signal}`);
    if (detail.stderr) parts.push(`bpftrace said: ${detail.stderr.trim().split('\n').slice(-5).join(' | ')}`);
    // What to do, last: the line a user reads first when the rest is a compiler message.
    if (detail.hint) parts.push(detail.hint);
    super(parts.join('; '), options);
  }
}
