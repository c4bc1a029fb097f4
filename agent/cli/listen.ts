// --listen HOST:PORT for the dashboard, and whether it stays on this machine.
import { isIP } from 'node:net';
import { UsageError } from '../errors.js';

export function parseListen(value: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new UsageError(`--listen expects HOST:PORT (e.g. 127.0.0.1:7420 or [::1]:7420), got "${value}"`);
  return { host: m[1] ?? m[2]!, port };
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}
