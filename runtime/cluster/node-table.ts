// Which nodes of the cluster are alive and who is online on each, as this node has heard it. Pure: time comes in as
// `now`; the cluster hub feeds it heartbeats and presence and asks it which nodes have gone silent.
import { nameKey } from '../../machines/nickname.js';

export interface RemoteUser { name: string; node: string }

export class NodeTable {
  private readonly seen = new Map<string, number>();
  private readonly users = new Map<string, RemoteUser>();
  private readonly byNode = new Map<string, Set<string>>();

  constructor(private readonly self: string, private readonly deadMs: number) {}

  /** A heartbeat (or any message) from `node`; true when the node was not known to be alive. */
  heard(node: string, now: number): boolean {
    if (node === this.self) return false;
    const fresh = !this.seen.has(node);
    this.seen.set(node, now);
    return fresh;
  }

  alive(node: string): boolean { return node === this.self || this.seen.has(node); }
  nodes(): string[] { return [...this.seen.keys()]; }
  lastSeen(node: string): number | undefined { return this.seen.get(node); }

  /** Every known node counts as just heard (after this node's own outage: nobody could be heard). */
  graceAll(now: number): void { for (const n of this.seen.keys()) this.seen.set(n, now); }

  /** The nodes unheard of for longer than the dead time: forgotten, with the users they had. */
  sweep(now: number): Array<{ node: string; users: RemoteUser[] }> {
    const dead: Array<{ node: string; users: RemoteUser[] }> = [];
    for (const [node, at] of this.seen) {
      if (now - at <= this.deadMs) continue;
      this.seen.delete(node);
      dead.push({ node, users: this.dropNode(node) });
    }
    return dead;
  }

  /** How many users `node` has, as this node knows. */
  usersOn(node: string): number { return this.byNode.get(node)?.size ?? 0; }

  user(name: string): RemoteUser | undefined { return this.users.get(nameKey(name)); }
  has(name: string): boolean { return this.users.has(nameKey(name)); }
  names(): string[] { return [...this.users.values()].map((u) => u.name); }
  get size(): number { return this.users.size; }

  /** A user online on `node`; false when it was known already (no news). */
  add(name: string, node: string): boolean {
    const key = nameKey(name);
    const was = this.users.get(key);
    if (was?.node === node) return false;
    if (was) this.byNode.get(was.node)?.delete(key);
    this.users.set(key, { name, node });
    let set = this.byNode.get(node);
    if (!set) this.byNode.set(node, (set = new Set()));
    set.add(key);
    return !was;
  }

  /** A user gone from `node`; the user, when it was known there. */
  remove(name: string, node: string): RemoteUser | undefined {
    const key = nameKey(name);
    const was = this.users.get(key);
    if (!was || was.node !== node) return undefined;
    this.users.delete(key);
    this.byNode.get(node)?.delete(key);
    return was;
  }

  /** `node`'s whole roster: who joined and who left since what was known. */
  roster(node: string, names: readonly string[]): { joined: string[]; left: RemoteUser[] } {
    const now = new Set(names.map(nameKey));
    const left: RemoteUser[] = [];
    for (const key of [...(this.byNode.get(node) ?? [])]) {
      if (!now.has(key)) { const u = this.users.get(key)!; this.remove(u.name, node); left.push(u); }
    }
    const joined = names.filter((n) => this.add(n, node));
    return { joined, left };
  }

  private dropNode(node: string): RemoteUser[] {
    const keys = [...(this.byNode.get(node) ?? [])];
    this.byNode.delete(node);
    const gone: RemoteUser[] = [];
    for (const k of keys) { const u = this.users.get(k); if (u) { this.users.delete(k); gone.push(u); } }
    return gone;
  }
}
