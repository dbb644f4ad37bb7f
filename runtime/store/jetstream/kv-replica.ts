// A local copy of a JetStream key-value bucket, kept current by following the bucket's stream (its newest value of
// every key first, then every put, delete and purge, from any node, in order). Reads that must stay synchronous
// (accounts at login, kept messages) are answered from it. Every entry carries the bucket revision it was written
// at: a node's own write is applied at once with the revision the broker acknowledged, and an older revision
// arriving later from the stream never overwrites it.
import { Kvm, type KV } from '@nats-io/kv';
import { StoreError } from '../port.js';
import type { Broker } from './broker.js';
import { StreamFollower } from './stream-follower.js';

export interface ReplicaEntry<T> { rev: number; value: T | null }

/** Bucket keys for a nameKey: its UTF-8 bytes in hex, safe in a subject whatever the nickname holds. */
export function hexKey(nameKey: string): string { return Buffer.from(nameKey, 'utf8').toString('hex'); }
export function fromHexKey(hex: string): string { return Buffer.from(hex, 'hex').toString('utf8'); }

export class KvReplica<T> {
  readonly entries = new Map<string, ReplicaEntry<T>>();
  private follower: StreamFollower | null = null;

  private constructor(readonly kv: KV, readonly bucket: string) {}

  /** Opens (creating) the bucket and waits until the replica holds everything it held (bounded by the timeout). */
  static async open<T>(broker: Broker, bucket: string, decode: (data: Uint8Array) => T, onTrouble?: (problem: string) => void): Promise<KvReplica<T>> {
    const kv = await broker.call(`open the bucket ${bucket}`, 'unreachable', () => new Kvm(broker.js).create(bucket, { history: 1, timeout: broker.timeoutMs }));
    const replica = new KvReplica<T>(kv, bucket);
    const prefix = `$KV.${bucket}.`;
    let caughtUp!: () => void;
    const ready = new Promise<void>((r) => { caughtUp = r; });
    replica.follower = new StreamFollower(broker, {
      stream: `KV_${bucket}`, subject: `${prefix}>`, from: 'last-per-subject',
      onMessage: (m) => {
        const op = m.headers?.get('KV-Operation');
        const key = m.subject.slice(prefix.length);
        let value: T | null = null;
        if (op !== 'DEL' && op !== 'PURGE') {
          try { value = decode(m.data); } catch { onTrouble?.(`bucket ${bucket}: the value of ${key} cannot be read: left out`); }
        }
        replica.apply(key, m.seq, value);
      },
      onCaughtUp: () => caughtUp(),
      onTrouble,
    });
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([ready, new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new StoreError('unreachable', `cannot read the bucket ${bucket}: the message broker did not answer within ${broker.timeoutMs / 1000} s`)), broker.timeoutMs);
      })]);
    } catch (e) {
      replica.stop();
      throw e;
    } finally { clearTimeout(timer); }
    return replica;
  }

  /** Applies what the bucket holds for `key` at `rev` (null: deleted), unless something newer is known. */
  apply(key: string, rev: number, value: T | null): void {
    const known = this.entries.get(key);
    if (known && known.rev >= rev) return;
    this.entries.set(key, { rev, value });
  }

  get(key: string): T | null { return this.entries.get(key)?.value ?? null; }

  stop(): void { this.follower?.stop(); this.follower = null; }
}
