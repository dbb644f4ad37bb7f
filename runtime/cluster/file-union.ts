// The cluster's one file list, as this node has heard it: each other node's latest catalogue, and when each node was
// last heard (heartbeats, announcements). Pure: time comes in as `now`; ClusterFiles feeds it from NATS.
//
// The list a client gets is the union: this node's files first, then every other node's, each name once (the first
// holder's entry wins: this node's own, else the other nodes' in name order); cut to stay under `maxBytes` encoded.
import type { FileEntry } from '../../machines/frames.js';
import type { CatalogueAnnouncement } from './files-wire.js';

interface Known { run: string; rev: number; key: string; host?: string; files: Map<string, FileEntry> }

export interface Holder { node: string; key: string; host?: string; entry: FileEntry }

export class FileUnion {
  private readonly catalogues = new Map<string, Known>();
  private readonly seen = new Map<string, number>();

  constructor(private readonly self: string, private readonly deadMs: number) {}

  /** A node's announcement: true when it changed what is known of that node. */
  announced(a: CatalogueAnnouncement, now: number): boolean {
    if (a.node === this.self) return false;
    this.heard(a.node, now);
    const was = this.catalogues.get(a.node);
    if (was && was.run === a.run && a.rev <= was.rev) return false;
    const k: Known = { run: a.run, rev: a.rev, key: a.key, files: new Map(a.files.map((f) => [f.name, f])) };
    if (a.host !== undefined) k.host = a.host;
    this.catalogues.set(a.node, k);
    return true;
  }

  /** Anything from `node` (its heartbeat): it is alive. True when it was not known to be. */
  heard(node: string, now: number): boolean {
    if (node === this.self) return false;
    const fresh = !this.seen.has(node);
    this.seen.set(node, now);
    return fresh;
  }

  /** Every node counts as just heard (after this node's own outage: nobody could be heard). */
  graceAll(now: number): void { for (const n of this.seen.keys()) this.seen.set(n, now); }

  /** The nodes unheard of for longer than the dead time: forgotten, with their catalogues. */
  sweep(now: number): string[] {
    const dead: string[] = [];
    for (const [node, at] of this.seen) {
      if (now - at <= this.deadMs) continue;
      this.seen.delete(node);
      this.catalogues.delete(node);
      dead.push(node);
    }
    return dead;
  }

  alive(node: string): boolean { return this.seen.has(node); }
  nodes(): string[] { return [...this.catalogues.keys()].sort(); }

  /** Another live node that holds `name`, with the key to seal its transfer keys to (the first in node order). */
  holder(name: string): Holder | null {
    for (const node of this.nodes()) {
      const k = this.catalogues.get(node)!;
      const entry = k.files.get(name);
      if (entry && this.alive(node)) return { node, key: k.key, ...(k.host !== undefined ? { host: k.host } : {}), entry };
    }
    return null;
  }

  /** A live node's public key and datagram address. */
  node(node: string): { key: string; host?: string } | null {
    const k = this.catalogues.get(node);
    return k && this.alive(node) ? { key: k.key, ...(k.host !== undefined ? { host: k.host } : {}) } : null;
  }

  /** This node's files and every live node's, each name once, sorted by name, cut to fit `maxBytes` as JSON. */
  union(local: readonly FileEntry[], maxBytes: number): FileEntry[] {
    const byName = new Map<string, FileEntry>();
    for (const f of local) byName.set(f.name, f);
    for (const node of this.nodes()) {
      if (!this.alive(node)) continue;
      for (const f of this.catalogues.get(node)!.files.values()) if (!byName.has(f.name)) byName.set(f.name, f);
    }
    const out: FileEntry[] = [];
    let bytes = 32;
    for (const name of [...byName.keys()].sort()) {
      const f = byName.get(name)!;
      bytes += Buffer.byteLength(JSON.stringify(f)) + 1;
      if (bytes > maxBytes) break;
      out.push(f);
    }
    return out;
  }
}
