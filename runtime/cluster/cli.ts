// `--cluster nats://HOST:PORT[,nats://...]`, `--node NAME`, `--cluster-prefix P`: parsed and checked here so the
// server's bin says what is wrong before it connects anywhere.
import os from 'node:os';
import { TOKEN } from './subjects.js';

export interface ClusterArgs { servers: string[]; node: string; prefix: string }

export const DEFAULT_PREFIX = 'MESSENGER';

export function parseClusterArgs(cluster: string, node: string | undefined, prefix: string | undefined): ClusterArgs {
  const servers = cluster.split(',').map((s) => s.trim()).filter(Boolean);
  if (!servers.length) throw new Error('--cluster needs at least one nats://HOST:PORT');
  for (const s of servers) {
    let u: URL;
    try { u = new URL(s.includes('://') ? s : `nats://${s}`); } catch { throw new Error(`--cluster: "${s}" is not nats://HOST:PORT`); }
    if (u.protocol !== 'nats:' && u.protocol !== 'tls:') throw new Error(`--cluster: "${s}" is not nats://HOST:PORT`);
  }
  const name = node ?? `${os.hostname().replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 40)}-${process.pid}`;
  if (!TOKEN.test(name)) throw new Error(`--node: "${name}" must be 1 to 64 letters, digits, "-" or "_"`);
  const p = prefix ?? DEFAULT_PREFIX;
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(p)) throw new Error(`--cluster-prefix: "${p}" must be 1 to 32 letters, digits, "-" or "_"`);
  return { servers, node: name, prefix: p };
}
