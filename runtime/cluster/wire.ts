// What nodes of a cluster say to each other over NATS, and its strict decoding: a message that does not have the
// expected shape (another program on the broker, a newer version) is dropped with a reason, never trusted.
import { checkNickname } from '../../machines/nickname.js';

export type Presence =
  | { op: 'join'; node: string; name: string }
  | { op: 'leave'; node: string; name: string; reason: string }
  /** Everyone online on `node` now: replaces what others knew of it (after a start, an outage). */
  | { op: 'roster'; node: string; names: string[] };

export interface Heartbeat { node: string; at: number; users: number }

/** A private message for a user of the receiving node; `after`: deliver only once the message to all with this
 *  id (the sender's last one) has been delivered there, so that one sender's messages keep their order. */
export interface TellRequest { from: string; to: string; text: string; ts: number; after: number }
export type TellReply = { ok: true; to: string } | { ok: false };

export interface RosterRequest { from: string; node?: string }

const enc = new TextEncoder();
const dec = new TextDecoder();
export const encode = (v: unknown): Uint8Array => enc.encode(JSON.stringify(v));

type Obj = Record<string, unknown>;
function parse(data: Uint8Array): Obj | null {
  try {
    const v: unknown = JSON.parse(dec.decode(data));
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : null;
  } catch { return null; }
}
const str = (v: unknown, max = 4096): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;
const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const name = (v: unknown): v is string => typeof v === 'string' && checkNickname(v).ok;

export function decodePresence(data: Uint8Array): Presence | null {
  const o = parse(data);
  if (!o || !str(o.node, 64)) return null;
  if (o.op === 'join' && name(o.name)) return { op: 'join', node: o.node, name: o.name };
  if (o.op === 'leave' && name(o.name) && typeof o.reason === 'string') return { op: 'leave', node: o.node, name: o.name, reason: o.reason.slice(0, 200) };
  if (o.op === 'roster' && Array.isArray(o.names) && o.names.every(name)) return { op: 'roster', node: o.node, names: o.names as string[] };
  return null;
}

export function decodeHeartbeat(data: Uint8Array): Heartbeat | null {
  const o = parse(data);
  return o && str(o.node, 64) && num(o.at) && num(o.users) ? { node: o.node, at: o.at, users: o.users } : null;
}

export function decodeTell(data: Uint8Array): TellRequest | null {
  const o = parse(data);
  return o && name(o.from) && str(o.to, 256) && typeof o.text === 'string' && num(o.ts) && num(o.after)
    ? { from: o.from, to: o.to, text: o.text, ts: o.ts, after: o.after } : null;
}

export function decodeTellReply(data: Uint8Array): TellReply | null {
  const o = parse(data);
  if (!o) return null;
  if (o.ok === true && str(o.to, 256)) return { ok: true, to: o.to };
  if (o.ok === false) return { ok: false };
  return null;
}

export function decodeRosterRequest(data: Uint8Array): RosterRequest | null {
  const o = parse(data);
  if (!o || !str(o.from, 64)) return null;
  return o.node === undefined ? { from: o.from } : str(o.node, 64) ? { from: o.from, node: o.node } : null;
}
