// One file list and downloads across a cluster, with the real programs: `messenger-server --cluster` processes on
// one real NATS broker (TLS on, as users run them) and the line-mode client `messenger --plain --json` connected to
// one of them. The client downloads a file only another node holds: the halfway question, yes, and the final line;
// the node serving it killed with SIGKILL mid-download: the download fails cleanly, and a second /get resumes the
// partial copy from another node that holds the same file.
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { finishedText } from '../../runtime/finished-text.js';
import { nextUdpPorts } from '../helpers/ports.js';
import { ROOT, type ChildRun, type Json } from '../helpers/proc.js';
import { Scope } from '../helpers/scope.js';
import { content, sha256 } from '../transfer/harness.js';
import { BROKER, uniquePrefix, wipe } from './nodes.js';

describe('cluster files (real processes, real NATS)', function () {
  this.timeout(90000);
  let scope: Scope;
  let prefix: string;
  beforeEach(() => { scope = new Scope(); prefix = uniquePrefix(); });
  afterEach(async () => { await scope.dispose(); await wipe(prefix); });

  const movie = content(2_000_003, 81);
  const is = (type: string, pred: (e: Json) => boolean = () => true) => (e: Json) => e.type === type && pred(e);

  async function node(name: string, files: Record<string, Uint8Array | string>) {
    const dir = scope.tempDir('files-');
    for (const [f, data] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), data);
    const [lo, hi] = await nextUdpPorts(2);
    return scope.spawnServer(['--port', '0', '--cluster', BROKER, '--node', name, '--cluster-prefix', prefix, '--udp-ports', `${lo}-${hi}`, '--files', dir]);
  }

  async function client(name: string, port: number, downloads: string): Promise<ChildRun> {
    const c = scope.spawnClient(name, port, ['--downloads', downloads]);
    const first = await c.waitFor((e) => e.type === 'connected' || e.type === 'error' || e.type === 'disconnected', 15000);
    if (first.type !== 'connected') throw new Error(`${name}: ${JSON.stringify(first)}; stderr: ${c.stderr.join('\n')}`);
    return c;
  }

  /** Asks for the list until it holds `names` (another node's catalogue arrives within a moment of its start). */
  async function filesUntil(c: ChildRun, names: string[]): Promise<Json> {
    for (let i = 0; ; i++) {
      const since = c.mark();
      c.type('/files');
      const f = await c.waitFor(is('files'), { since, ms: 5000 });
      const got = (f.files as Array<{ name: string }>).map((x) => x.name);
      if (names.every((n) => got.includes(n)) || i === 50) return f;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  it('a client on n1 downloads a file only n2 holds: the union listed, the halfway question, yes, the final line', async () => {
    const n1 = await node('p1', { 'a.txt': 'on p1\n' });
    await node('p2', { 'movie.bin': movie });
    const downloads = scope.tempDir('dl-');
    const alice = await client('alice', n1.port, downloads);
    const list = await filesUntil(alice, ['a.txt', 'movie.bin']);
    expect(list.files).to.deep.equal([{ name: 'a.txt', size: 6 }, { name: 'movie.bin', size: movie.length }]);

    const since = alice.mark();
    alice.type('/get movie.bin');
    const asked = await alice.waitFor(is('consent', (e) => e.file === 'movie.bin'), { since, ms: 20000 });
    expect(asked.received).to.equal(Math.floor(movie.length / 2));
    alice.type('/yes');
    const fin = await alice.waitFor((e) => (e.type === 'finished' || e.type === 'error') && e.file === 'movie.bin', { since, ms: 30000 });
    expect(fin.type, JSON.stringify(fin)).to.equal('finished');
    expect(fs.readFileSync(String(fin.path)).equals(movie)).to.equal(true);
    expect(fin.sha256).to.equal(sha256(movie));
    expect(fin.lastByte).to.equal(movie[movie.length - 1]);
    expect(fin.text).to.equal(finishedText(fin as unknown as Parameters<typeof finishedText>[0]));
    expect(String(fin.text)).to.match(new RegExp(`^User alice downloaded 100% out of file\\. Last byte is: ${movie[movie.length - 1]}\\. `));
  });

  it('--udp-advertise-host takes only an IP address', async () => {
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'bin/messenger-server.ts', '--udp-advertise-host', 'example.com'], { cwd: ROOT, encoding: 'utf8', timeout: 20000 });
    expect(r.status).to.equal(2);
    expect(r.stderr).to.include('--udp-advertise-host: "example.com" is not an IPv4 or IPv6 address');
  });

  it('the serving node killed with SIGKILL mid-download: the download fails cleanly; /get resumes it from another holder', async () => {
    const n1 = await node('q1', {});
    const n2 = await node('q2', { 'movie.bin': movie });
    await node('q3', { 'movie.bin': movie });
    const downloads = scope.tempDir('dl-');
    const bob = await client('bob', n1.port, downloads);
    await filesUntil(bob, ['movie.bin']);

    let since = bob.mark();
    bob.type('/get movie.bin');
    const asked = await bob.waitFor(is('consent', (e) => e.file === 'movie.bin'), { since, ms: 20000 });
    const half = Number(asked.received);
    // q2 serves it (the first holder in node order): killed while the question waits
    n2.run.kill('SIGKILL');
    const failed = await bob.waitFor((e) => (e.type === 'error' || e.type === 'finished' || e.type === 'stopped') && e.file === 'movie.bin', { since, ms: 20000 });
    expect(failed).to.include({ type: 'error', code: 'transfer-failed' });
    expect(bob.running, 'the client stays connected').to.equal(true);

    since = bob.mark();
    bob.type('/get movie.bin');
    const dl = await bob.waitFor(is('download', (e) => e.file === 'movie.bin'), { since, ms: 20000 });
    expect(dl).to.include({ resumed: true, offset: half });
    const fin = await bob.waitFor((e) => (e.type === 'finished' || e.type === 'error') && e.file === 'movie.bin', { since, ms: 30000 });
    expect(fin.type, JSON.stringify(fin)).to.equal('finished');
    expect(fs.readFileSync(String(fin.path)).equals(movie)).to.equal(true);
    expect(bob.after(since).filter(is('consent')), 'no second question past the halfway point').to.have.length(0);
  });
});
