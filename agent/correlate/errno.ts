// errno numbers the tracer meets, by name (x86_64/arm64 generic values).
const NAMES: Record<number, string> = {
  1: 'EPERM', 4: 'EINTR', 11: 'EAGAIN', 12: 'ENOMEM', 13: 'EACCES', 22: 'EINVAL', 24: 'EMFILE',
  97: 'EAFNOSUPPORT', 98: 'EADDRINUSE', 99: 'EADDRNOTAVAIL', 100: 'ENETDOWN', 101: 'ENETUNREACH',
  103: 'ECONNABORTED', 104: 'ECONNRESET', 105: 'ENOBUFS', 110: 'ETIMEDOUT', 111: 'ECONNREFUSED',
  112: 'EHOSTDOWN', 113: 'EHOSTUNREACH',
};

export function errnoName(errno: number): string {
  return NAMES[errno] ?? `errno ${errno}`;
}

/** The outcome a failed attempt's errno stands for. */
export function outcomeForErrno(errno: number): 'refused' | 'timeout' | 'unreachable' | 'error' {
  if (errno === 111) return 'refused';
  if (errno === 110) return 'timeout';
  if (errno === 100 || errno === 101 || errno === 112 || errno === 113) return 'unreachable';
  return 'error';
}
