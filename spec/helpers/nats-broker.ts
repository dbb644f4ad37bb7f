// NATS for tests: a private `nats-server -js` on a free port with its own store folder (to kill and restart), and
// removal of the streams and buckets a test made on a broker under its unique prefix.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { freeTcpPort } from './ports.js';
import { makeTempDir, removeDir } from './tmp.js';

/** The machine's shared NATS with JetStream. */
export const SHARED_NATS = 'nats://127.0.0.1:4222';

/** A prefix no other test run uses (letters and digits). */
export function uniquePrefix(tag: string): string {
  return `t${tag}${process.pid.toString(36)}${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
}

/** Deletes every stream of `prefix` (its history stream and the streams behind its buckets) on `server`. */
export async function deletePrefix(server: string, prefix: string): Promise<void> {
  const nc = await connect({ servers: server, timeout: 5000, reconnect: false });
  try {
    const jsm = await jetstreamManager(nc);
    const mine: string[] = [];
    for await (const s of jsm.streams.list()) if (s.config.name.startsWith(prefix) || s.config.name.startsWith(`KV_${prefix}`)) mine.push(s.config.name);
    for (const name of mine) await jsm.streams.delete(name);
  } finally { await nc.close(); }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => { s.destroy(); resolve(true); });
    s.on('error', () => resolve(false));
  });
}

/** A private nats-server with JetStream: killed and restarted on the same port and store folder. */
export class PrivateNats {
  private child: ChildProcess | null = null;
  private constructor(readonly port: number, readonly dir: string) {}

  get url(): string { return `nats://127.0.0.1:${this.port}`; }

  static async start(): Promise<PrivateNats> {
    const n = new PrivateNats(await freeTcpPort(), makeTempDir('messenger-nats-'));
    await n.restart();
    return n;
  }

  /** Starts the server (again) and waits until it takes connections. */
  async restart(): Promise<void> {
    if (this.child) throw new Error('nats-server is running');
    const child = spawn('nats-server', ['-js', '-a', '127.0.0.1', '-p', String(this.port), '-sd', this.dir], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => { err += d; });
    this.child = child;
    const until = Date.now() + 15000;
    while (!(await portOpen(this.port))) {
      if (child.exitCode !== null) { this.child = null; throw new Error(`nats-server exited: ${err}`); }
      if (Date.now() > until) throw new Error(`nats-server did not start: ${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Kills the server with `signal` and waits for it to be gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = null;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill(signal);
    await gone;
  }

  /** Kills it and removes its store folder. */
  async dispose(): Promise<void> {
    await this.kill();
    removeDir(this.dir);
  }
}
