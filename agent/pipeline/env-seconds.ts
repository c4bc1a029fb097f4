// Whole-second knobs from the environment. A bad value stops srctrace with a
// usage error before anything starts, rather than quietly meaning the default.
import { UsageError } from '../errors.js';

/** The value of `name` in `env`: `dflt` when unset or empty, else a whole number of seconds from 1 to `max`. */
export function envSeconds(env: NodeJS.ProcessEnv, name: string, dflt: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return dflt;
  if (!/^\d{1,6}$/.test(raw) || Number(raw) < 1 || Number(raw) > max) {
    throw new UsageError(`${name} must be a whole number of seconds from 1 to ${max}, not ${JSON.stringify(raw)}`);
  }
  return Number(raw);
}
