// Joins and leaves of one presence tick, and their encodings: what the hub writes to each member once per tick
// instead of one frame per join to everyone (quadratic in a login storm: 10,000 logins made 50 million writes).
//
// - Clients that asked for the `presence` capability get the same `presence` frame(s) (encoded once for all): per
//   name of the tick, `left` if it left at any point in the tick, `joined` if its last word is a join; a client
//   applies `left` first, then `joined`, ignoring a join of a name it lists and a leave of a name it does not. Who
//   joined in the middle of the tick (and got a `welcome` listing everyone online then) ends with the right list.
// - Other clients get today's `joined`/`left` frames in order, as one buffer: who joined in the middle of the tick
//   gets only the part after its own join (a view of the same bytes), so its list and its notices agree exactly.
import { encodeFrame } from '../machines/frame-codec.js';
import type { PresenceLeft } from '../machines/frames.js';
import { LIMITS } from '../machines/limits.js';
import { nameKey } from '../machines/nickname.js';

export type PresenceEvent = { op: 'join'; name: string } | { op: 'leave'; name: string; reason: string };

/** One tick's presence, encoded. */
export interface EncodedPresence {
  /** The id of the tick (Presence.tick when it was taken). */
  tick: number;
  /** Today's `joined`/`left` frames, one line per event, in order. */
  lines: Buffer;
  /** Where event k's line starts in `lines` (and, at the end, lines.length). */
  offsets: number[];
  /** The `presence` frame(s) of the tick, one line each. */
  frames: Buffer;
}

export class PresenceBatch {
  private events: PresenceEvent[] = [];
  /** The tick being collected: taking it starts the next one. */
  tick = 0;

  get length(): number { return this.events.length; }

  /** Adds an event to this tick; returns its index in the tick. */
  add(ev: PresenceEvent): number {
    this.events.push(ev);
    return this.events.length - 1;
  }

  /** Ends the tick: its events encoded both ways, or null when nothing happened. */
  take(): EncodedPresence | null {
    const events = this.events;
    const tick = this.tick;
    this.events = [];
    this.tick++;
    if (!events.length) return null;
    const lines: Buffer[] = [];
    const offsets: number[] = [];
    let at = 0;
    for (const e of events) {
      const line = encodeFrame(e.op === 'join' ? { type: 'joined', name: e.name } : { type: 'left', name: e.name, reason: e.reason });
      offsets.push(at);
      lines.push(line);
      at += line.length;
    }
    offsets.push(at);
    return { tick, lines: Buffer.concat(lines, at), offsets, frames: presenceFrames(events) };
  }
}

/** The `presence` frames of a tick's events (see the top of this file), at most LIMITS.presenceNames names each. */
export function presenceFrames(events: readonly PresenceEvent[]): Buffer {
  // per name (case-insensitively): the spelling and reason of its last leave, and whether its last word is a join
  const last = new Map<string, { name: string; left: PresenceLeft | null; joined: boolean }>();
  for (const e of events) {
    const key = nameKey(e.name);
    let s = last.get(key);
    if (!s) last.set(key, (s = { name: e.name, left: null, joined: false }));
    if (e.op === 'leave') { s.left = { name: e.name, reason: e.reason }; s.joined = false; }
    else { s.name = e.name; s.joined = true; }
  }
  const left: PresenceLeft[] = [];
  const joined: string[] = [];
  for (const s of last.values()) {
    if (s.left) left.push(s.left);
    if (s.joined) joined.push(s.name);
  }
  // split into frames of at most LIMITS.presenceNames names, all the leaves before all the joins
  const out: Buffer[] = [];
  let l = 0, j = 0;
  while (l < left.length || j < joined.length) {
    const nl = Math.min(left.length - l, LIMITS.presenceNames);
    const nj = Math.min(joined.length - j, LIMITS.presenceNames - nl);
    out.push(encodeFrame({ type: 'presence', joined: joined.slice(j, j + nj), left: left.slice(l, l + nl) }));
    l += nl; j += nj;
  }
  return Buffer.concat(out);
}
