// Who is online, as a client knows it: set by the welcome, changed by presence. Pure. A `presence` frame (capability
// `presence`) is applied `left` first, then `joined`; a leave of someone not listed and a join of someone listed
// already are no news (a client that logged in during the server's presence tick sees its welcome's list confirmed),
// so what comes out is one `joined` or `left` per person whose presence really changed here.
import type { PresenceLeft } from './frames.js';
import { nameKey } from './nickname.js';

export type RosterChange = { type: 'joined'; name: string } | { type: 'left'; name: string; reason?: string };

export class Roster {
  private readonly names = new Map<string, string>();

  get size(): number { return this.names.size; }
  has(name: string): boolean { return this.names.has(nameKey(name)); }
  list(): string[] { return [...this.names.values()]; }

  /** Everyone online (a welcome, a `who` answer). */
  set(names: readonly string[]): void {
    this.names.clear();
    for (const n of names) this.names.set(nameKey(n), n);
  }

  /** One `joined` frame (a server without the capability): told as it comes, and noted. */
  joined(name: string): RosterChange {
    this.names.set(nameKey(name), name);
    return { type: 'joined', name };
  }

  /** One `left` frame. */
  left(name: string, reason: unknown): RosterChange {
    this.names.delete(nameKey(name));
    return typeof reason === 'string' && reason ? { type: 'left', name, reason } : { type: 'left', name };
  }

  /** A `presence` frame: the changes it makes here, one per person, leaves first. Malformed entries are skipped. */
  presence(joined: unknown, left: unknown): RosterChange[] {
    const out: RosterChange[] = [];
    if (Array.isArray(left)) {
      for (const l of left as PresenceLeft[]) {
        if (!l || typeof l.name !== 'string') continue;
        if (this.names.delete(nameKey(l.name))) out.push(typeof l.reason === 'string' && l.reason ? { type: 'left', name: l.name, reason: l.reason } : { type: 'left', name: l.name });
      }
    }
    if (Array.isArray(joined)) {
      for (const n of joined) {
        if (typeof n !== 'string') continue;
        const key = nameKey(n);
        if (this.names.has(key)) continue;
        this.names.set(key, n);
        out.push({ type: 'joined', name: n });
      }
    }
    return out;
  }
}
