// `--cluster nats://HOST:PORT[,nats://...]`, `--node NAME`, `--cluster-prefix P`: parsed and checked here so the
// server's bin says what is wrong before it connects anywhere. The servers and the prefix are read as the store's
// own parsing reads them (runtime/store/open-store.ts: `messenger-server account --cluster` takes the same values).
import os from 'node:os';
import { CliError } from '../cli-args.js';
import { parseClusterPrefix, parseClusterServers } from '../store/open-store.js';
import { DEFAULT_CLUSTER_PREFIX } from '../store/jetstream/jetstream-store.js';
import { TOKEN } from './subjects.js';

export interface ClusterArgs { servers: string[]; node: string; prefix: string }

export const DEFAULT_PREFIX = DEFAULT_CLUSTER_PREFIX;

export function parseClusterArgs(cluster: string, node: string | undefined, prefix: string | undefined): ClusterArgs {
  const servers = parseClusterServers(cluster);
  const name = node ?? `${os.hostname().replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 40)}-${process.pid}`;
  if (!TOKEN.test(name)) throw new CliError(`--node: "${name}" must be 1 to 64 letters, digits, "-" or "_"`);
  return { servers, node: name, prefix: prefix === undefined ? DEFAULT_PREFIX : parseClusterPrefix(prefix) };
}
