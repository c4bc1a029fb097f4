// What the header says about the link to the agent.
export type LinkStatus =
  | { state: 'connecting' }
  | { state: 'live'; agentVersion: string; backend: string | null; startedAt: string }
  | { state: 'reconnecting'; attempt: number; retryAt: number; reason: string }
  | { state: 'stopped'; reason: string };

export function statusLabel(s: LinkStatus, now: number): string {
  switch (s.state) {
    case 'connecting':
      return 'connecting…';
    case 'live':
      return 'live';
    case 'reconnecting': {
      const secs = Math.max(0, Math.ceil((s.retryAt - now) / 1000));
      return `reconnecting in ${secs}s (attempt ${s.attempt})`;
    }
    case 'stopped':
      return `agent stopped: ${s.reason}`;
  }
}
