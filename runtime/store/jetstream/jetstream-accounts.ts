// Accounts in a JetStream key-value bucket, one key per nickname (the hex of its nameKey), read from a local replica
// (so `get` at login stays synchronous, and an account added on any node counts at the next login anywhere).
// Registering is the bucket's atomic create: when two nodes register one nickname at the same instant, exactly one
// wins. A password change is a revision-checked update, retried when another write came in between.
import type { Broker } from './broker.js';
import { isWrongRevision } from './broker.js';
import { fromHexKey, hexKey, KvReplica } from './kv-replica.js';
import type { JetStreamOffline } from './jetstream-offline.js';
import type { AccountStore, StoredAccount } from '../port.js';

interface WireAccount { name: string; hash: string; salt: string; cost: { N: number; r: number; p: number }; created: number }

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeAccount(a: StoredAccount): Uint8Array {
  return encoder.encode(JSON.stringify({
    name: a.name, hash: a.hash.toString('base64'), salt: a.salt.toString('base64'), cost: { N: a.cost.N, r: a.cost.r, p: a.cost.p }, created: a.created,
  } satisfies WireAccount));
}

export function decodeAccount(data: Uint8Array): StoredAccount {
  const w = JSON.parse(decoder.decode(data)) as WireAccount;
  if (typeof w.name !== 'string' || typeof w.hash !== 'string' || typeof w.salt !== 'string') throw new Error('not an account');
  return { name: w.name, hash: Buffer.from(w.hash, 'base64'), salt: Buffer.from(w.salt, 'base64'), cost: { N: w.cost.N, r: w.cost.r, p: w.cost.p }, created: w.created };
}

/** Read-modify-write attempts before a write gives up on a key that keeps changing under it. */
const ATTEMPTS = 8;

export class JetStreamAccounts implements AccountStore {
  constructor(private readonly broker: Broker, private readonly replica: KvReplica<StoredAccount>, private readonly offline: JetStreamOffline) {}

  get(key: string): StoredAccount | null { return this.replica.get(hexKey(key)); }

  list(): StoredAccount[] {
    const out: Array<[string, StoredAccount]> = [];
    for (const [k, e] of this.replica.entries) if (e.value) out.push([fromHexKey(k), e.value]);
    out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return out.map(([, a]) => a);
  }

  add(key: string, account: StoredAccount): Promise<boolean> {
    const k = hexKey(key);
    const data = encodeAccount(account);
    return this.broker.call('add the account', 'write', async () => {
      let rev: number;
      try { rev = await this.replica.kv.create(k, data); } catch (e) {
        if (isWrongRevision(e)) return false;
        throw e;
      }
      this.replica.apply(k, rev, decodeAccount(data));
      return true;
    });
  }

  setPassword(key: string, h: Pick<StoredAccount, 'hash' | 'salt' | 'cost'>): Promise<boolean> {
    const k = hexKey(key);
    return this.broker.call('change the password', 'write', async () => {
      for (let i = 0; i < ATTEMPTS; i++) {
        const entry = await this.replica.kv.get(k);
        if (!entry || entry.operation !== 'PUT') return false;
        const next: StoredAccount = { ...decodeAccount(entry.value), hash: h.hash, salt: h.salt, cost: h.cost };
        const data = encodeAccount(next);
        try {
          const rev = await this.replica.kv.update(k, data, entry.revision);
          this.replica.apply(k, rev, next);
          return true;
        } catch (e) { if (!isWrongRevision(e)) throw e; }
      }
      throw new Error(`the account changed ${ATTEMPTS} times while its password was being changed`);
    });
  }

  remove(key: string): Promise<boolean> {
    const k = hexKey(key);
    return this.broker.call('remove the account', 'write', async () => {
      // the next person to register this nickname must not read what was kept for the old account
      await this.offline.purge(key);
      const entry = await this.replica.kv.get(k);
      if (!entry || entry.operation !== 'PUT') return false;
      await this.replica.kv.purge(k);
      // the purge's revision is not returned: the replica learns it from the stream; until then, hide the account
      this.replica.apply(k, entry.revision + 1, null);
      return true;
    });
  }
}
