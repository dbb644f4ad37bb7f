// Everything a test opens, closed in one call: clients first (they say bye), then raw sockets, child processes,
// servers, and last the temporary folders. Use one Scope per test (or per describe) and dispose it in a hook.
import type { ClientOptions } from '../../runtime/client-runtime.js';
import { TestClient } from './client.js';
import { spawnClient, spawnServer, type ChildRun } from './proc.js';
import { RawClient } from './raw.js';
import { startServer, type TestServer, type TestServerOptions } from './server.js';
import { makeTempDir, removeDir } from './tmp.js';

export class Scope {
  private clients: TestClient[] = [];
  private raws: RawClient[] = [];
  private children: ChildRun[] = [];
  private servers: TestServer[] = [];
  private dirs: string[] = [];

  async server(o: TestServerOptions = {}): Promise<TestServer> {
    const s = await startServer(o);
    this.servers.push(s);
    return s;
  }

  /** A client runtime, not started. */
  client(port: number, name: string, opts: Partial<ClientOptions> = {}): TestClient {
    const c = new TestClient(port, name, opts);
    this.clients.push(c);
    return c;
  }

  /** A client runtime that is online (its `connected` event seen). */
  async online(port: number, name: string, opts: Partial<ClientOptions> = {}): Promise<TestClient> {
    const c = this.client(port, name, opts);
    await c.connect();
    return c;
  }

  /** A raw socket: TLS 1.3 as the server runs by default, or plain NDJSON (`secure` false) to a `plain` server. */
  async raw(port: number, label = 'raw', secure = true): Promise<RawClient> {
    const r = await RawClient.connect(port, '127.0.0.1', label, secure);
    this.raws.push(r);
    return r;
  }

  async spawnServer(args: string[]): Promise<{ run: ChildRun; port: number }> {
    const s = await spawnServer(args);
    this.children.push(s.run);
    return s;
  }

  spawnClient(name: string, port: number, args: string[] = []): ChildRun {
    const c = spawnClient(name, port, args);
    this.children.push(c);
    return c;
  }

  tempDir(prefix?: string): string {
    const d = makeTempDir(prefix);
    this.dirs.push(d);
    return d;
  }

  async dispose(): Promise<void> {
    const clients = this.clients.splice(0);
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    for (const r of this.raws.splice(0)) r.destroy();
    const children = this.children.splice(0);
    // clients before servers, so that a server's stop does not wait on them
    await Promise.all(children.filter((c) => !c.label.startsWith('messenger-server')).map((c) => c.dispose()));
    await Promise.all(children.map((c) => c.dispose()));
    await Promise.all(this.servers.splice(0).map((s) => s.stop().catch(() => undefined)));
    for (const d of this.dirs.splice(0)) removeDir(d);
  }
}
