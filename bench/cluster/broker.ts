// The NATS broker of bench:cluster: by default a private `nats-server -js` on a free port with its store in a temp
// folder, so that its CPU time is the bench's alone; or a shared broker given by URL, whose process is found with
// `pgrep -f nats-server` (its CPU then includes whatever else uses it during the run). Also what the bench reads of
// JetStream: a stream's bytes and messages, and deleting every stream and bucket of a prefix.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { freePort, stopper } from '../chat/servers.js';

export interface BenchBroker {
  url: string;
  pid: number;
  /** Whether this bench started it (its CPU is then the bench's alone). */
  private: boolean;
  version: string;
  /** A connection of the bench's own (stream sizes, wiping), closed by stop(). */
  nc: NatsConnection;
  stop(): Promise<void>;
}

function version(): string {
  const r = spawnSync('nats-server', ['--version'], { encoding: 'utf8' });
  return /v?(\d+\.\d+\.\d+)/.exec(r.stdout ?? '')?.[1] ?? 'unknown';
}

async function connectRetry(url: string, proc: ChildProcess | null, ms = 15_000): Promise<NatsConnection> {
  const until = Date.now() + ms;
  for (;;) {
    if (proc && proc.exitCode !== null) throw new Error(`nats-server exited (${proc.exitCode}) before it answered`);
    try { return await connect({ servers: url, timeout: 1000, name: 'bench-cluster' }); } catch (e) {
      if (Date.now() > until) throw new Error(`nats-server at ${url} did not answer within ${ms} ms: ${(e as Error).message}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Starts `nats-server -js` on 127.0.0.1 with its store in `storeDir`. */
export async function startPrivateBroker(storeDir: string): Promise<BenchBroker> {
  const port = await freePort();
  const proc = spawn('nats-server', ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', storeDir], { stdio: 'ignore' });
  const stopProc = stopper(proc);
  const url = `nats://127.0.0.1:${port}`;
  let nc: NatsConnection;
  try { nc = await connectRetry(url, proc); } catch (e) { await stopProc(); throw e; }
  return { url, pid: proc.pid!, private: true, version: version(), nc, stop: async () => { await nc.close().catch(() => undefined); await stopProc(); } };
}

/** A broker that runs already (shared with others): its pid is the nats-server process `pgrep -f` finds. */
export async function sharedBroker(url: string): Promise<BenchBroker> {
  const r = spawnSync('pgrep', ['-f', 'nats-server'], { encoding: 'utf8' });
  const pids = (r.stdout ?? '').split('\n').map(Number).filter((p) => p > 0 && p !== process.pid);
  if (pids.length !== 1) throw new Error(`--broker: found ${pids.length} nats-server processes (${pids.join(', ')}); cannot tell whose CPU to read`);
  const nc = await connectRetry(url, null, 5000);
  return { url, pid: pids[0]!, private: false, version: version(), nc, stop: async () => { await nc.close().catch(() => undefined); } };
}

/** A stream's size (a KV bucket's stream is KV_<bucket>); null when it does not exist. */
export async function streamSize(nc: NatsConnection, stream: string): Promise<{ messages: number; bytes: number } | null> {
  const jsm = await jetstreamManager(nc);
  try {
    const { state } = await jsm.streams.info(stream);
    return { messages: state.messages, bytes: state.bytes };
  } catch { return null; }
}

/** Deletes every stream (KV buckets included) of a cluster prefix. */
export async function wipePrefix(nc: NatsConnection, prefix: string): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const doomed: string[] = [];
  for await (const si of jsm.streams.list()) {
    const n = si.config.name;
    if (n.startsWith(`${prefix}_`) || n.startsWith(`KV_${prefix}_`)) doomed.push(n);
  }
  for (const n of doomed) await jsm.streams.delete(n).catch(() => false);
}
