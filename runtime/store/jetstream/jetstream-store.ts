// The clustered store: the Store port on NATS JetStream, shared by every node of a cluster that opens it with the
// same prefix. History in the stream <PREFIX>_HISTORY (subject <prefix>.history), accounts in the key-value bucket
// <PREFIX>_ACCOUNTS, kept private messages in the bucket <PREFIX>_OFFLINE; see docs/DESIGN.md ("The clustered
// store") for what each node replicates and the delivery guarantees.
import type { NatsConnection } from '@nats-io/transport-node';
import type { Retention, Store, StoreHealth } from '../port.js';
import { StoreError } from '../port.js';
import { Broker } from './broker.js';
import { decodeAccount, JetStreamAccounts } from './jetstream-accounts.js';
import { JetStreamHistory } from './jetstream-history.js';
import { decodeMailbox, JetStreamOffline } from './jetstream-offline.js';
import { KvReplica } from './kv-replica.js';

export const DEFAULT_CLUSTER_PREFIX = 'MESSENGER';

export interface JetStreamStoreOptions {
  /** nats://HOST:PORT (or HOST:PORT) of one or more servers of the NATS cluster. */
  servers: string[];
  /** Names the streams, buckets and subjects (letters, digits, - and _): nodes with the same prefix share a store. */
  prefix: string;
  retention: Retention;
  /** The connection's name in the broker's monitoring (e.g. the node's name). */
  name?: string;
  /** Bound on every call to the broker (default TIMING.storeOpTimeoutMs). */
  timeoutMs?: number;
  /** Told about trouble the store works around by itself (a follower restarting, an unreadable value). */
  onTrouble?(problem: string): void;
}

/** The names a prefix gives to the store's streams, buckets and subject. */
export function clusterNames(prefix: string): { history: string; subject: string; accounts: string; offline: string } {
  return { history: `${prefix}_HISTORY`, subject: `${prefix}.history`, accounts: `${prefix}_ACCOUNTS`, offline: `${prefix}_OFFLINE` };
}

export class JetStreamStore implements Store {
  private closing: Promise<void> | null = null;

  private constructor(
    private readonly broker: Broker,
    readonly prefix: string,
    readonly history: JetStreamHistory,
    readonly accounts: JetStreamAccounts,
    readonly offline: JetStreamOffline,
    private readonly replicas: Array<KvReplica<unknown>>,
  ) {}

  /**
   * Connects to the broker, creates the stream and buckets that do not exist yet (or brings the stream's retention
   * to `retention`), and fills the local replicas of accounts and kept messages. Throws a StoreError of kind
   * `unreachable` when the broker does not answer within the bound or has no JetStream, and of kind `folder` for a
   * prefix that cannot name a stream.
   */
  static async open(opts: JetStreamStoreOptions): Promise<JetStreamStore> {
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(opts.prefix)) {
      throw new StoreError('folder', `the cluster prefix "${opts.prefix}" must be 1 to 32 letters, digits, - or _`);
    }
    if (!opts.servers.length) throw new StoreError('unreachable', 'no message broker given');
    const names = clusterNames(opts.prefix);
    const broker = await Broker.connect({ servers: opts.servers, name: opts.name, timeoutMs: opts.timeoutMs });
    const replicas: Array<KvReplica<unknown>> = [];
    try {
      const history = await JetStreamHistory.ensure(broker, names.history, names.subject, opts.retention);
      const accountReplica = await KvReplica.open(broker, names.accounts, decodeAccount, opts.onTrouble);
      replicas.push(accountReplica);
      const offlineReplica = await KvReplica.open(broker, names.offline, decodeMailbox, opts.onTrouble);
      replicas.push(offlineReplica);
      const offline = new JetStreamOffline(broker, offlineReplica);
      return new JetStreamStore(broker, opts.prefix, history, new JetStreamAccounts(broker, accountReplica, offline), offline, replicas);
    } catch (e) {
      for (const r of replicas) r.stop();
      await broker.close();
      throw e;
    }
  }

  /** Whether the broker answers (a round trip to JetStream, bounded by the timeout). */
  check(): Promise<StoreHealth> {
    if (this.closing) return Promise.resolve({ ok: false, problem: 'the store is closed' });
    return this.broker.call('reach the message broker', 'unreachable', () => this.broker.jsm.streams.info(this.history.stream))
      .then((): StoreHealth => ({ ok: true }), (e: unknown): StoreHealth => ({ ok: false, problem: (e as Error).message }));
  }

  /** The store's NATS connection: a cluster node speaks over this one too (one connection keeps one order). */
  get connection(): NatsConnection { return this.broker.nc; }

  /** Waits (bounded) for the removals of taken messages under way, stops following, drains the connection. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.offline.close();
      for (const r of this.replicas) r.stop();
      await this.broker.close();
    })();
    return this.closing;
  }
}
