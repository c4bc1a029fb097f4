// `srctrace ui`: the trace pipeline plus the dashboard sink (HTTP + WebSocket
// on one port, loopback only unless --listen says otherwise).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { repoRoot } from '../probes/backend.js';
import { startDashboardServer } from '../sinks/dashboard/server.js';
import type { Sink } from '../sinks/sink.js';
import type { TraceArgs } from './args.js';
import { isLoopback, parseListen } from './listen.js';
import { runTraceCommand } from './trace-command.js';

export async function runUiCommand(args: TraceArgs, version: string): Promise<number> {
  const { host, port } = parseListen(args.listen);
  return runTraceCommand(args, version, async (backend) => {
    const server = await startDashboardServer({
      host, port, staticDir: join(repoRoot(), 'ui', 'dist'), agentVersion: version, backend,
    });
    if (!isLoopback(host)) {
      process.stderr.write(`srctrace: WARNING: the dashboard listens on ${host}, reachable from other machines; anyone with the token sees every process's connections\n`);
    }
    let stats: NodeJS.Timeout | null = null;
    const sink: Sink = {
      write: (r) => server.publish(r),
      async close() {
        if (stats) clearInterval(stats);
        await server.close('srctrace stopped');
      },
    };
    return {
      sinks: [sink],
      onStarted: (tracer) => {
        // Only once bpftrace runs: a page opened earlier would show "live" for a tracer
        // that may still fail. The URL carries the token: stderr (the terminal), never the records.
        process.stderr.write(`srctrace: dashboard at ${server.url}\n`);
        if (args.open) void openBrowser(server.url);
        stats = setInterval(() => {
          const s = tracer.summary;
          server.setStats({ connections: s.connections, lostKernel: s.lostKernel, lostAgent: s.lostAgent });
        }, 1000);
      },
    };
  });
}

async function openBrowser(url: string): Promise<void> {
  const opener = ['/usr/bin/xdg-open', '/usr/bin/sensible-browser'].find((p) => existsSync(p));
  if (!opener || !(process.env.DISPLAY || process.env.WAYLAND_DISPLAY)) {
    process.stderr.write('srctrace: --open: no browser here; open the URL above yourself\n');
    return;
  }
  await execa(opener, [url], { reject: false, detached: true, stdio: 'ignore' });
}
