// One set of nicknames across the cluster: a KV bucket, one key per name (its nameKey in hex: KV keys are ASCII),
// whose value names the node that holds it. A claim is an atomic create: when two nodes claim one name at the same
// instant, the broker lets exactly one create succeed. A key held by a node the cluster has given up for dead is
// taken over with a revision-checked update, so a name frees as soon as its node is known dead, and a node that
// comes back cannot overwrite a name given away meanwhile.
import type { KV } from '@nats-io/kv';
import { nameKey } from '../../machines/nickname.js';
import { TIMING } from '../../machines/timing.js';
import { encode } from './wire.js';

interface Holder { node: string; name: string }

export const keyOf = (name: string): string => Buffer.from(nameKey(name), 'utf8').toString('hex');

/** Runs `p`, failing with "the cluster did not answer" after `ms` (a dead broker must not hang a login). */
export function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`the cluster did not answer (${what}) within ${ms} ms`)), ms); });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

export class NameClaims {
  /** The revision of each key this node holds: a release or a takeover is checked against it. */
  private readonly held = new Map<string, number>();

  constructor(private readonly kv: KV, private readonly node: string, private readonly alive: (node: string) => boolean, private readonly opMs: number = TIMING.clusterOpMs) {}

  /** True when the name is now this node's; false when another live node holds it; throws when the broker cannot
   *  be reached. */
  async claim(name: string): Promise<boolean> {
    const key = keyOf(name);
    const value = encode({ node: this.node, name } satisfies Holder);
    try {
      this.held.set(key, await bounded(this.kv.create(key, value), this.opMs, 'name claim'));
      return true;
    } catch (e) {
      if (!isExists(e)) throw e;
    }
    const entry = await bounded(this.kv.get(key), this.opMs, 'name lookup');
    if (!entry || entry.operation !== 'PUT') return this.claim(name);
    const holder = parseHolder(entry.value);
    // held by a node the cluster gave up for dead (its users have been told they left): take it over
    if (holder && holder.node !== this.node && this.alive(holder.node)) return false;
    if (holder?.node === this.node && this.held.has(key)) return false;
    try {
      this.held.set(key, await bounded(this.kv.update(key, value, entry.revision), this.opMs, 'name takeover'));
      return true;
    } catch (e) {
      if (isWrongRevision(e)) return false;
      throw e;
    }
  }

  /** Gives a name back (only if this node still holds the revision it claimed). */
  async release(name: string): Promise<void> {
    const key = keyOf(name);
    const rev = this.held.get(key);
    if (rev === undefined) return;
    this.held.delete(key);
    try { await bounded(this.kv.delete(key, { previousSeq: rev }), this.opMs, 'name release'); } catch { /* taken over meanwhile, or the broker is down: a dead holder is taken over later */ }
  }

  /** Frees the names a dead node held (revision-checked: a name claimed again since is left alone). */
  async freeFrom(node: string, names: readonly string[]): Promise<void> {
    for (const name of names) {
      const key = keyOf(name);
      try {
        const entry = await bounded(this.kv.get(key), this.opMs, 'name lookup');
        if (entry?.operation === 'PUT' && parseHolder(entry.value)?.node === node) await bounded(this.kv.delete(key, { previousSeq: entry.revision }), this.opMs, 'name release');
      } catch { /* someone else freed or took it */ }
    }
  }

  /** After an outage: makes sure each name online here is still this node's. Returns the names lost meanwhile
   *  (another node gave them to someone else while this one could not be heard). */
  async reassert(names: readonly string[]): Promise<string[]> {
    const lost: string[] = [];
    for (const name of names) {
      const key = keyOf(name);
      const entry = await bounded(this.kv.get(key), this.opMs, 'name lookup');
      if (entry?.operation === 'PUT') {
        const holder = parseHolder(entry.value);
        if (holder?.node === this.node) { this.held.set(key, entry.revision); continue; }
        if (holder && this.alive(holder.node)) { this.held.delete(key); lost.push(name); continue; }
      }
      this.held.delete(key);
      if (!(await this.claim(name))) lost.push(name);
    }
    return lost;
  }
}

function parseHolder(v: Uint8Array): Holder | null {
  try {
    const o = JSON.parse(Buffer.from(v).toString('utf8')) as Partial<Holder>;
    return typeof o.node === 'string' && typeof o.name === 'string' ? { node: o.node, name: o.name } : null;
  } catch { return null; }
}

const text = (e: unknown) => String((e as Error)?.message ?? e);
// JetStream answers a create of an existing key, and an update at a stale revision, with "wrong last sequence"
const isExists = (e: unknown) => /wrong last sequence|key exists/i.test(text(e));
const isWrongRevision = isExists;
