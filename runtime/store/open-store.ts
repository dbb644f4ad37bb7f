// Picks and opens the store, one way for the server and for `messenger-server account ...`: the embedded SQLite file
// in the data folder, or, given the servers of a NATS cluster, the clustered JetStream store that every node with
// the same prefix shares.
import { CliError } from '../cli-args.js';
import { DEFAULT_CLUSTER_PREFIX, JetStreamStore } from './jetstream/jetstream-store.js';
import { DEFAULT_RETENTION, type Retention, type Store } from './port.js';
import { SqliteStore } from './sqlite/sqlite-store.js';

export interface OpenStoreOptions {
  /** The data folder of the embedded store (not used by the clustered one). */
  dataDir: string;
  /** Servers of a NATS cluster (nats://HOST:PORT): with at least one, the clustered store. */
  cluster?: string[];
  /** The clustered store's prefix (default MESSENGER). */
  prefix?: string;
  retention?: Retention;
  /** The node's name, for the broker's monitoring. */
  name?: string;
  /** Told about trouble the clustered store works around by itself. */
  onTrouble?(problem: string): void;
}

/** Opens the store; a StoreError says why it cannot be (its message is written for the person starting it). */
export async function openStore(opts: OpenStoreOptions): Promise<Store> {
  if (opts.cluster?.length) {
    return JetStreamStore.open({
      servers: opts.cluster, prefix: opts.prefix ?? DEFAULT_CLUSTER_PREFIX, retention: opts.retention ?? DEFAULT_RETENTION,
      name: opts.name, onTrouble: opts.onTrouble,
    });
  }
  return SqliteStore.open(opts.dataDir);
}

/**
 * The servers of `--cluster nats://HOST:PORT[,nats://...]` (each also HOST:PORT or HOST; the port defaults to
 * 4222), as nats:// URLs. Throws a CliError naming `flag` for anything else.
 */
export function parseClusterServers(value: string, flag = '--cluster'): string[] {
  const parts = value.split(',').map((s) => s.trim());
  if (!parts.length || parts.some((p) => !p)) throw new CliError(`${flag}: give nats://HOST:PORT, several separated by commas`);
  return parts.map((p) => {
    const m = /^(?:nats:\/\/)?(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(p);
    const port = m?.[2] === undefined ? 4222 : Number(m[2]);
    if (!m || port < 1 || port > 65535) throw new CliError(`${flag}: "${p}" is not nats://HOST:PORT`);
    return `nats://${m[1]}:${port}`;
  });
}

/** Checks a `--cluster-prefix` value (what JetStreamStore.open accepts). */
export function parseClusterPrefix(value: string, flag = '--cluster-prefix'): string {
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(value)) throw new CliError(`${flag}: "${value}" must be 1 to 32 letters, digits, - or _`);
  return value;
}
