// `srctrace lab up|down|status|traffic`: flag parsing and output only; the CLI
// entry point wires this in with one line and uses the returned exit code.
import { LabError } from './errors.js';
import { labDown } from './down.js';
import { labStatus, renderLabStatus } from './status.js';
import { labTraffic, renderTraffic } from './traffic.js';
import { labUp } from './up.js';
import { DEFAULT_PREFIX, labTopology, validatePrefix } from './topology.js';

export const LAB_USAGE = `usage: srctrace lab <up|down|status|traffic> [--prefix NAME] [--json]

Builds a multihomed lab in network namespaces (root only): a host with a
service address on loopback and two uplinks to two routers, one route with
\`src\`, one without, and one destination with no route at all.

  up        create the lab (removes a half-built one with the same prefix first)
  down      remove every namespace and veth of the lab
  status    show what exists and whether the lab is complete (exit 1 if not)
  traffic   connect from the host namespace to each kind of destination
            (exit 1 if any attempt did not behave as expected)

  --prefix NAME  names start with NAME (default ${DEFAULT_PREFIX}): NAME-host, NAME-rtra, NAME-rtrb
  --json         print JSON instead of text
  --help         this text
`;

interface Parsed { sub: string | null; prefix: string; json: boolean; help: boolean }

function parse(argv: string[]): Parsed {
  const parsed: Parsed = { sub: null, prefix: DEFAULT_PREFIX, json: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') parsed.help = true;
    else if (arg === '--json') parsed.json = true;
    else if (arg === '--prefix') {
      const value = argv[++i];
      if (value === undefined) throw new UsageError('--prefix needs a value');
      parsed.prefix = value;
    } else if (arg.startsWith('--prefix=')) parsed.prefix = arg.slice('--prefix='.length);
    else if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}`);
    else if (parsed.sub === null) parsed.sub = arg;
    else throw new UsageError(`unexpected argument ${arg}`);
  }
  return parsed;
}

class UsageError extends Error {}

export async function runLabCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  let parsed: Parsed;
  try {
    parsed = parse(argv);
    if (parsed.help) {
      out.write(LAB_USAGE);
      return 0;
    }
    if (!parsed.sub || !['up', 'down', 'status', 'traffic'].includes(parsed.sub)) {
      throw new UsageError(parsed.sub ? `unknown lab command ${parsed.sub}` : 'missing lab command');
    }
    validatePrefix(parsed.prefix);
  } catch (error) {
    if (!(error instanceof UsageError) && !(error instanceof LabError)) throw error;
    out.write(`srctrace lab: ${error.message}\n\n${LAB_USAGE}`);
    return 2;
  }
  const { sub, prefix, json } = parsed;
  const print = (value: unknown, text: string) => out.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n`);
  try {
    if (sub === 'up') {
      const status = await labUp({ prefix });
      print(status, `${renderLabStatus(status)}\n\n${describeExpectations(prefix)}`);
      return 0;
    }
    if (sub === 'down') {
      const result = await labDown({ prefix });
      const removed = result.removedNamespaces.length + result.removedRootLinks.length;
      print(result, removed ? `lab ${prefix} removed: ${[...result.removedNamespaces, ...result.removedRootLinks].join(', ')}` : `lab ${prefix}: nothing to remove`);
      return 0;
    }
    if (sub === 'status') {
      const status = await labStatus({ prefix });
      print(status, renderLabStatus(status));
      return status.complete ? 0 : 1;
    }
    const result = await labTraffic({ prefix });
    print(result, renderTraffic(result));
    return result.attempts.every((a) => a.asExpected) ? 0 : 1;
  } catch (error) {
    if (!(error instanceof LabError)) throw error;
    out.write(`srctrace lab ${sub}: ${error.message}\n`);
    return 1;
  }
}

function describeExpectations(prefix: string): string {
  const topo = labTopology(prefix);
  const lines = [`expected sources (check with: ip netns exec ${topo.namespaces.host} ip route get <destination>):`];
  for (const d of topo.destinations) {
    const dest = d.family === 6 ? `[${d.daddr}]:${d.dport}` : `${d.daddr}:${d.dport}`;
    const bind = d.bindAddr ? `bind ${d.bindAddr}` : '';
    lines.push(`  ${d.kind.padEnd(11)} ${dest.padEnd(21)} ${bind.padEnd(18)} -> ${(d.expectedSource ?? d.expectedError ?? '').padEnd(15)} ${d.why}`);
  }
  return lines.join('\n');
}
