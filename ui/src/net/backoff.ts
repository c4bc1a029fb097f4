// Reconnect delays: exponential, capped, with jitter so many open dashboards do
// not reconnect to a restarted agent in lockstep.

export const BACKOFF_BASE_MS = 500;
export const BACKOFF_CAP_MS = 15_000;

/** Delay before reconnect attempt `attempt` (0-based); random in [0, 1). Between half and all of the capped exponential. */
export function backoffMs(attempt: number, random: number, base = BACKOFF_BASE_MS, cap = BACKOFF_CAP_MS): number {
  const full = Math.min(cap, base * 2 ** Math.min(attempt, 30));
  return Math.round(full / 2 + random * (full / 2));
}
