// Shared helpers for the download integration tests (spec/transfer/**): an in-process MessengerServer with a real
// UDP port pool, real ClientRuntime clients with real downloads folders, the link emulator in between when a test
// wants impairments, files of known content, and bounded waits. Every UDP port a test uses comes from nextUdpPorts
// (spec/helpers/ports.ts), the one allocator, which probes each port free before handing it out.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ClientEvent } from '../../machines/client-events.js';
import type { Limits } from '../../machines/frames.js';
import type { ClientOptions } from '../../runtime/client-runtime.js';
import { LinkEmulator, type ImpairmentSpec } from '../../runtime/link/index.js';
import type { TransfersOptions } from '../../runtime/transfers-host.js';
import { DEFAULT_CC } from '../../machines/transport/api.js';
import { TestClient, type EventOf } from '../helpers/client.js';
import { waitUntil } from '../helpers/recorder.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { makeTempDir, removeDir } from '../helpers/tmp.js';

export { TestClient, waitUntil, type EventOf };
export { delay } from '../helpers/recorder.js';

// ------------------------------------------------------------------------------------------------ files

/** Deterministic pseudo-random bytes (the same seed gives the same content). */
export function content(size: number, seed = 1): Buffer {
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  let block = 0;
  while (at < size) {
    const h = crypto.createHash('sha256').update(`${seed}:${block++}`).digest();
    at += h.copy(out, at, 0, Math.min(h.length, size - at));
  }
  return out;
}

export function sha256(data: Uint8Array): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

export function sha256Of(file: string): string {
  return sha256(fs.readFileSync(file));
}

// ------------------------------------------------------------------------------------------------ scope

export interface ServerSetup {
  files?: Record<string, Uint8Array | string>;
  ports: [number, number];
  transfers?: Partial<TransfersOptions>;
  /** Session limits (rate of frames per client and so on), in part. */
  limits?: Partial<Limits>;
  /** Without TLS (`--no-tls`): datagrams carry the CRC and the token instead of an AEAD tag. */
  plain?: boolean;
}

export type Server = TestServer;

/** The default transfers options of these tests: halfway question at 50%, BBR, 3 s silence deadline. */
export function transfers(ports: [number, number], more: Partial<TransfersOptions> = {}): TransfersOptions {
  return { host: '127.0.0.1', ports, halfway: 0.5, chunk: 1200, cc: DEFAULT_CC, silentMs: 3000, maxPerSession: 4, ...more };
}

/** Everything one test opened; dispose() closes it all (clients, emulators, servers, then folders). */
export class TransferScope {
  private readonly clients: TestClient[] = [];
  private readonly servers: TestServer[] = [];
  private readonly emulators: LinkEmulator[] = [];
  private readonly dirs: string[] = [];
  private readonly cleanups: Array<() => unknown> = [];

  dir(prefix = 'messenger-transfer-'): string {
    const d = makeTempDir(prefix);
    this.dirs.push(d);
    return d;
  }

  async server(s: ServerSetup): Promise<TestServer> {
    const srv = await startServer({ files: s.files ?? {}, transfers: transfers(s.ports, s.transfers), plain: s.plain, ...(s.limits ? { session: { limits: s.limits } } : {}) });
    this.servers.push(srv);
    return srv;
  }

  /** A connected client; its downloads folder is a fresh temporary folder unless given. */
  async client(srv: TestServer, name: string, opts: Partial<ClientOptions> = {}): Promise<TestClient> {
    const c = new TestClient(srv.port, name, { downloadsDir: opts.downloadsDir ?? this.dir('messenger-dl-'), ...opts });
    this.clients.push(c);
    await c.connect(5000);
    return c;
  }

  /**
   * A link emulator in front of the pool `pool`, listening on `listen` (a contiguous range of the same length, so
   * that it can be the server's advertisePorts).
   */
  async emulator(pool: [number, number], listen: [number, number], up: ImpairmentSpec, down: ImpairmentSpec, seed = 7): Promise<LinkEmulator> {
    const n = pool[1] - pool[0] + 1;
    if (listen[1] - listen[0] + 1 !== n) throw new RangeError('the emulator range must be as long as the pool');
    const mappings = Array.from({ length: n }, (_, i) => ({ listenPort: listen[0] + i, targetHost: '127.0.0.1', targetPort: pool[0] + i }));
    const emu = new LinkEmulator({ host: '127.0.0.1', mappings, up, down, seed });
    await emu.start();
    this.emulators.push(emu);
    return emu;
  }

  onDispose(f: () => unknown): void { this.cleanups.push(f); }

  async dispose(): Promise<void> {
    for (const f of this.cleanups.splice(0).reverse()) { try { await f(); } catch { /* best effort */ } }
    await Promise.all(this.clients.splice(0).map((c) => c.close(2000).catch(() => undefined)));
    await Promise.all(this.emulators.splice(0).map((e) => e.close().catch(() => undefined)));
    await Promise.all(this.servers.splice(0).map((s) => s.stop().catch(() => undefined)));
    for (const d of this.dirs.splice(0)) removeDir(d);
  }
}

// ------------------------------------------------------------------------------------------------ downloads

export type Ending = EventOf<'finished'> | EventOf<'stopped'> | EventOf<'error'>;

/** Sends `/get FILE` and waits for the download's end (finished, stopped, or an error naming the file). */
export async function get(c: TestClient, file: string, ms = 15000): Promise<Ending> {
  const since = c.mark();
  c.command(`/get ${file}`);
  return waitEnding(c, file, since, ms);
}

export function waitEnding(c: TestClient, file: string, since: number, ms = 15000): Promise<Ending> {
  return c.waitFor(
    (e) => (e.type === 'finished' || e.type === 'stopped' || e.type === 'error') && 'file' in e && e.file === file,
    { since, ms },
  ) as Promise<Ending>;
}

/** Sends `/get FILE`, expects it to finish, and checks the saved file byte for byte against `source`. */
export async function getIntact(c: TestClient, file: string, source: Uint8Array, ms = 15000): Promise<EventOf<'finished'>> {
  const end = await get(c, file, ms);
  return expectIntact(end, source);
}

/** Asserts that `end` is a `finished` event whose saved file, hash and last byte match `source`. */
export function expectIntact(end: ClientEvent, source: Uint8Array): EventOf<'finished'> {
  if (end.type !== 'finished') throw new Error(`expected finished, got ${JSON.stringify(end)}`);
  const want = sha256(source);
  if (!fs.existsSync(end.path)) throw new Error(`finished path ${end.path} does not exist`);
  const got = fs.readFileSync(end.path);
  if (got.length !== source.length) throw new Error(`saved ${got.length} bytes, expected ${source.length}`);
  if (sha256(got) !== want) throw new Error(`saved file's SHA-256 ${sha256(got)} differs from the source's ${want}`);
  if (end.sha256 !== want) throw new Error(`finished.sha256 ${end.sha256} differs from the source's ${want}`);
  if (end.size !== source.length) throw new Error(`finished.size ${end.size}, expected ${source.length}`);
  const last = source.length ? source[source.length - 1] : undefined;
  if (end.lastByte !== last) throw new Error(`finished.lastByte ${end.lastByte}, expected ${last}`);
  return end;
}

/** Waits until the server's pool has every port back. */
export function poolFull(srv: TestServer, ms = 5000): Promise<void> {
  const pool = srv.server.transfers.pool;
  return waitUntil(() => pool.available === pool.size, ms, `pool back to ${pool.size} (now ${pool.available})`);
}

/** Names in `dir` (sorted), hidden ones included, for "nothing was written" checks. */
export function listDir(dir: string): string[] {
  try { return fs.readdirSync(dir).sort(); } catch { return []; }
}

/** The finished downloads in `dir`: what a user sees (partial copies live in a hidden folder or as *.part). */
export function finishedFiles(dir: string): string[] {
  return listDir(dir).filter((n) => !n.startsWith('.') && !n.endsWith('.part') && !n.endsWith('.part.json'));
}

export function join(...p: string[]): string { return path.join(...p); }
