// Validation of the one thing a client may say. The protocol is read-only for
// clients, so anything but a well-formed ping is a reason to hang up.
import type { RawData } from 'ws';
import { PROTOCOL_VERSION } from '../../model/messages.js';

/** Why a client message is unacceptable (a close reason), or null if it is a valid ping. */
export function clientMessageError(data: RawData, isBinary: boolean): string | null {
  if (isBinary) return 'binary messages are not accepted';
  let parsed: unknown;
  try {
    parsed = JSON.parse(toBuffer(data).toString('utf8'));
  } catch {
    return 'message is not JSON';
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return 'message is not an object';
  const keys = Object.keys(parsed);
  const msg = parsed as Record<string, unknown>;
  if (msg.v !== PROTOCOL_VERSION) return `unsupported protocol version (expected ${PROTOCOL_VERSION})`;
  if (msg.kind !== 'ping' || keys.length !== 2) return 'only {"v":1,"kind":"ping"} is accepted';
  return null;
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
