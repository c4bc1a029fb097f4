// The details panel's answer to the question srctrace exists for: why did this
// connection use this source address? One sentence from the record's own
// fields (sourceReason, dev, gateway, routeSrc, mark, errno); nothing is looked up
// here. routeSrc came from the agent's lookup of the route as the record was
// made, believed only while it matched the socket's own route (route-src.ts).
import { routeLabel } from '../../../agent/model/format.js';
import type { ConnectionRecord } from '../../../agent/model/record.js';

/** "out eth0 via 10.0.0.1", "out eth0 (on-link)", or null when no route was recorded. */
function routeText(r: ConnectionRecord): string | null {
  const label = routeLabel(r);
  if (label === null) return null;
  return r.gateway === null ? `out ${label} (on-link)` : `out ${label}`;
}

/** Why connect() ended before a source was chosen, by errno. */
function noSource(r: ConnectionRecord): string {
  const err = r.error ?? (r.errno === null ? null : `errno ${r.errno}`);
  if (err === null) return 'No source address was recorded for this attempt.';
  const where = `in network namespace ${r.netnsName === null ? r.netns : `${r.netnsName} (${r.netns})`}`;
  switch (r.errno) {
    case 101: // ENETUNREACH
      return `No source was chosen: connect() failed with ${err} before any packet was sent, because there is no route to ${r.daddr} ${where}.`;
    case 113: // EHOSTUNREACH
      return `No source was chosen: connect() failed with ${err} before any packet was sent: the route to ${r.daddr} ${where} is unreachable.`;
    case 99: // EADDRNOTAVAIL
      return `No source was chosen: connect() failed with ${err}: the address the socket was bound to is not on this host ${where}, or no local port was free.`;
    default:
      return `No source was chosen: connect() failed with ${err} before the kernel picked one.`;
  }
}

/**
 * A marked socket may have been routed by `ip rule ... fwmark`: another table
 * than a plain `ip route get` reads (the agent's lookup passed the mark).
 */
function markNote(r: ConnectionRecord): string {
  return r.mark ? ` The socket carried mark 0x${r.mark.toString(16)} (SO_MARK), which ip rules (fwmark) may route by: check with ip route get ${r.daddr} mark 0x${r.mark.toString(16)}.` : '';
}

export function whySource(r: ConnectionRecord): string {
  const why = whySourceOnly(r);
  return r.saddr !== null && r.sourceReason === 'route' ? why + markNote(r) : why;
}

function whySourceOnly(r: ConnectionRecord): string {
  if (r.saddr === null) return noSource(r);
  const route = routeText(r);
  if (r.sourceReason === 'bind') {
    const left = route === null ? '' : ` The connection left ${route}.`;
    return `The process chose ${r.saddr} itself: it called bind() on that address before connect(), which overrides the route's choice.${left}`;
  }
  if (r.sourceReason === 'route') {
    if (route === null) {
      return `No bind(): the kernel took ${r.saddr} from its route lookup for ${r.daddr} (the route itself was not recorded).`;
    }
    if (r.routeSrc === true) {
      return `No bind(): the route to ${r.daddr}, ${route}, has src ${r.saddr}, and the kernel used it. ` +
        'To send from another address, change src on that route.';
    }
    // IPv4 falls back to an address of the egress device; IPv6 to the
    // address its source selection (RFC 6724) prefers, usually one on it.
    const fallback = r.family === 6
      ? `the address IPv6 source selection prefers (usually one on ${r.dev})`
      : `an address of ${r.dev} (of another interface when ${r.dev} has none, as in BGP unnumbered)`;
    if (r.routeSrc === false) {
      return `No bind(): the route to ${r.daddr}, ${route}, has no src attribute, so the kernel took ${fallback}: ${r.saddr}. ` +
        'To send from another address (a service address on lo, say), set src on that route.';
    }
    return `No bind(): the kernel took ${r.saddr} from the route to ${r.daddr}, ${route}. ` +
      `It is that route's src attribute or, when the route has none, ${fallback}; ` +
      `to send from another address, set src on that route.`;
  }
  return `Source ${r.saddr}; why it was chosen was not recorded.`;
}
