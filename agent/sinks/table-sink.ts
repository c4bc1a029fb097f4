// The live terminal table: one row per connection as it completes (put in
// start order by time-ordered.ts, see cli/sinks.ts).
import { routeLabel } from '../model/format.js';
import { dispatchRecord, type ConnectionRecord, type SrcRecord } from '../model/record.js';
import { describeNotice } from './notice.js';
import { endStream, type Sink, type TextOut } from './sink.js';
import { fit, safeText } from './terminal-text.js';

/** Why this source, in a word or two: bind, route src, no route src (the kernel picked), route (not known which), or the error. */
function whyCell(r: ConnectionRecord): string {
  if (r.sourceReason === 'route' && r.routeSrc !== null) return r.routeSrc ? 'route src' : 'no route src';
  return r.sourceReason ?? (r.error ?? '-');
}

const COLUMNS: [title: string, width: number, right: boolean, cell: (r: ConnectionRecord) => string][] = [
  ['TIME', 12, false, (r) => r.ts.slice(11, 23)],
  ['PID', 7, true, (r) => String(r.pid)],
  ['COMM', 16, false, (r) => safeText(r.comm)],
  // The namespace's name when ip netns has one, else its inode number.
  ['NETNS', 12, true, (r) => (r.netnsName === null ? String(r.netns) : safeText(r.netnsName))],
  ['SOURCE', 28, false, (r) => (r.saddr === null ? '-' : hostPort(r.saddr, r.sport))],
  ['DESTINATION', 28, false, (r) => hostPort(r.daddr, r.dport)],
  ['OUTCOME', 11, false, (r) => r.outcome],
  ['MS', 8, true, (r) => (r.latencyMs === null ? '-' : r.latencyMs.toFixed(r.latencyMs < 10 ? 2 : 0))],
  ['WHY', 13, false, (r) => whyCell(r)],
  // The route the socket used: egress device, then the next hop when not on-link.
  ['ROUTE', 30, false, (r) => safeText(routeLabel(r) ?? '-')],
];

function hostPort(addr: string, port: number | null): string {
  const a = addr.includes(':') ? `[${addr}]` : addr;
  return `${a}:${port ?? '-'}`;
}

export function tableHeader(): string {
  return COLUMNS.map(([t, w, right]) => fit(t, w, right)).join(' ').trimEnd();
}

export function tableRow(r: ConnectionRecord): string {
  return COLUMNS.map(([, w, right, cell]) => fit(cell(r), w, right)).join(' ').trimEnd();
}

export function tableSink(out: TextOut): Sink {
  out.write(`${tableHeader()}\n`);
  return {
    write(record: SrcRecord) {
      dispatchRecord(record, {
        connection: (r) => out.write(`${tableRow(r)}\n`),
        lost: (r) => out.write(`${describeNotice(r)}\n`),
        status: (r) => out.write(`${describeNotice(r)}\n`),
      });
    },
    close: () => endStream(out),
  };
}
