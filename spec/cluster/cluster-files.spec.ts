// One file list across the cluster, and downloads served by the node that holds the file: two in-process nodes
// (real NATS JetStream on 127.0.0.1:4222, TLS on, each its own UDP pool and shared folder) and the real client
// runtime on node n1 downloading a file only n2 holds. n2's datagrams come from 127.0.0.2 while the client reached
// n1 at 127.0.0.1, so the offer must name n2's address and the client must honour it (else nothing arrives).
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { ClientEvent } from '../../machines/client-events.js';
import { readPartial } from '../../runtime/download-files.js';
import { finishedText } from '../../runtime/finished-text.js';
import { transferKeysFrom, transferMaterial } from '../../runtime/udp-crypto.js';
import { nextUdpPorts } from '../helpers/ports.js';
import { waitUntil } from '../helpers/recorder.js';
import { Scope } from '../helpers/scope.js';
import type { TestClient } from '../helpers/client.js';
import { content, expectIntact, sha256, waitEnding } from '../transfer/harness.js';
import { BROKER, startNode, uniquePrefix, wipe, type TestNode } from './nodes.js';

/** Every message published under the prefix, and every reply (inboxes), as the broker carries them. */
class Spy {
  readonly seen: Array<{ subject: string; data: Buffer }> = [];
  private constructor(private readonly nc: NatsConnection) {}
  static async start(prefix: string): Promise<Spy> {
    const nc = await connect({ servers: [BROKER], timeout: 3000 });
    const spy = new Spy(nc);
    for (const subject of [`${prefix}.>`, '_INBOX.>']) nc.subscribe(subject, { callback: (_e, m) => { spy.seen.push({ subject: m.subject, data: Buffer.from(m.data) }); } });
    await nc.flush();
    return spy;
  }
  close(): Promise<void> { return this.nc.close(); }
}

/** Every way a secret could be written in a message: raw, hex, base64, base64url. */
function spellings(secret: Buffer): Buffer[] {
  return [secret, Buffer.from(secret.toString('hex')), Buffer.from(secret.toString('base64').replace(/=+$/, '')), Buffer.from(secret.toString('base64url'))];
}

async function askedOnGet(c: TestClient, file: string, ms = 15000) {
  const since = c.mark();
  c.command(`/get ${file}`);
  const ev = await c.waitFor((e) => (e.type === 'consent' && e.file === file) || ((e.type === 'finished' || e.type === 'error' || e.type === 'stopped') && 'file' in e && e.file === file), { since, ms });
  if (ev.type !== 'consent') throw new Error(`expected the halfway question, got ${JSON.stringify(ev)}`);
  const dl = c.ofType('download', since).find((e) => e.file === file)!;
  return { ev, since, dl };
}

describe('cluster: one file list, downloads served by the node that holds the file (real NATS, TLS)', function () {
  this.timeout(60000);
  let scope: Scope;
  let prefix: string;
  let spy: Spy | null = null;
  beforeEach(() => { scope = new Scope(); prefix = uniquePrefix(); });
  afterEach(async () => {
    await spy?.close();
    spy = null;
    await scope.dispose();
    await wipe(prefix);
  });

  const moviePart = content(1_200_001, 71);
  const shared = content(3000, 72);

  /** n1 holds a.txt and both.bin; n2 holds movie.bin and both.bin, its datagrams sent from 127.0.0.2. */
  async function twoNodes(): Promise<[TestNode, TestNode]> {
    const n1 = await startNode(scope, prefix, 'n1', { files: { 'a.txt': 'from n1\n', 'both.bin': shared }, transfers: { ports: await nextUdpPorts(2) } });
    const n2 = await startNode(scope, prefix, 'n2', { files: { 'movie.bin': moviePart, 'both.bin': shared }, transfers: { host: '127.0.0.2', ports: await nextUdpPorts(2, '127.0.0.2') } });
    await waitUntil(() => n1.server.clusterFiles!.union.holder('movie.bin') !== null && n2.server.clusterFiles!.union.holder('a.txt') !== null, 10000, 'each node has the other\'s catalogue');
    return [n1, n2];
  }

  const pools = (...nodes: TestNode[]) => nodes.map((n) => n.server.transfers.pool.available);
  const poolsFull = (...nodes: TestNode[]) => waitUntil(() => nodes.every((n) => n.server.transfers.pool.available === n.server.transfers.pool.size), 15000, 'every pool port back');

  it('files: the union of both folders, a file both hold listed once; a file added on n2 appears on n1', async () => {
    const [n1, n2] = await twoNodes();
    const c = await scope.online(n1.port, 'lister');
    let since = c.mark();
    c.command('/files');
    let files = (await c.waitForType('files', () => true, { since, ms: 5000 })).files;
    expect(files).to.deep.equal([{ name: 'a.txt', size: 8 }, { name: 'both.bin', size: shared.length }, { name: 'movie.bin', size: moviePart.length }]);

    fs.writeFileSync(path.join(n2.filesDir, 'late.txt'), 'added later\n');
    await waitUntil(() => n1.server.clusterFiles!.union.holder('late.txt') !== null, 10000, 'the change announced');
    since = c.mark();
    c.command('/files');
    files = (await c.waitForType('files', () => true, { since, ms: 5000 })).files;
    expect(files.map((f) => f.name)).to.deep.equal(['a.txt', 'both.bin', 'late.txt', 'movie.bin']);
  });

  it('a download only n2 holds, asked on n1: the halfway question, yes, byte-identical with the final line; no key in any NATS message', async () => {
    spy = await Spy.start(prefix);
    const [n1, n2] = await twoNodes();
    const c = await scope.online(n1.port, 'alice');
    const asked = await askedOnGet(c, 'movie.bin');
    expect(asked.ev.received).to.equal(Math.floor(moviePart.length / 2));
    expect(asked.dl.resumed).to.equal(false);
    // served by n2: one of its ports in use; n1's pool untouched
    expect(pools(n1, n2)).to.deep.equal([n1.server.transfers.pool.size, n2.server.transfers.pool.size - 1]);
    expect(n2.server.clusterFiles!.served.active).to.equal(1);

    // the keys this transfer's datagrams are sealed with, as the client derives them from its TLS session
    const tls = c.rt.tlsSocket!;
    const material = transferMaterial(tls, asked.dl.id);
    const keys = transferKeysFrom(Buffer.from(material));
    const secrets = [material, material.subarray(0, 32), material.subarray(32),
      keys.serverToClient.key(0), keys.serverToClient.ivSalt, keys.clientToServer.key(0), keys.clientToServer.ivSalt];

    c.command('/yes');
    const end = expectIntact(await waitEnding(c, 'movie.bin', asked.since, 20000), moviePart);
    expect(fs.readFileSync(end.path).equals(moviePart)).to.equal(true);
    expect(end.user).to.equal('alice');
    expect(finishedText(end)).to.match(new RegExp(`^User alice downloaded 100% out of file\\. Last byte is: ${moviePart[moviePart.length - 1]}\\. movie\\.bin: ${moviePart.length} bytes, SHA-256 ${sha256(moviePart)} verified`));
    await poolsFull(n1, n2);
    expect(n2.server.transfers.stats.finished).to.equal(1);
    expect(n1.server.transfers.stats.started).to.equal(0);

    // the keys crossed NATS sealed: the request carried them, and no spelling of any secret appears anywhere
    const requests = spy.seen.filter((m) => m.subject === `${prefix}.node.n2.transfer`).map((m) => JSON.parse(m.data.toString()) as { op: string; keys?: unknown });
    expect(requests.filter((r) => r.op === 'get' && r.keys !== undefined)).to.have.length(1);
    expect(spy.seen.length).to.be.above(10);
    for (const m of spy.seen) for (const s of secrets) for (const sp of spellings(s)) expect(m.data.includes(sp), `a key in a message on ${m.subject}`).to.equal(false);
  });

  it('/no keeps the partial copy; a second get resumes it from n2 and finishes', async () => {
    const [n1, n2] = await twoNodes();
    const c = await scope.online(n1.port, 'bob');
    const asked = await askedOnGet(c, 'movie.bin');
    c.command('/no');
    const stopped = await waitEnding(c, 'movie.bin', asked.since, 10000);
    if (stopped.type !== 'stopped') throw new Error(`expected stopped, got ${JSON.stringify(stopped)}`);
    expect(stopped.received).to.equal(Math.floor(moviePart.length / 2));
    expect(fs.readFileSync(stopped.path).equals(moviePart.subarray(0, stopped.received))).to.equal(true);
    await poolsFull(n1, n2);

    const since = c.mark();
    c.command('/get movie.bin');
    const dl = await c.waitForType('download', (e) => e.file === 'movie.bin', { since, ms: 10000 });
    expect(dl.resumed).to.equal(true);
    expect(dl.offset).to.equal(stopped.received);
    expectIntact(await waitEnding(c, 'movie.bin', since, 20000), moviePart);
    expect(c.ofType('consent', since)).to.have.length(0);
    await poolsFull(n1, n2);
    expect(n2.server.transfers.stats.finished).to.equal(1);
    expect(n2.server.transfers.stats.stopped).to.equal(1);
  });

  it('a file both nodes hold is served by the client\'s own node', async () => {
    const [n1, n2] = await twoNodes();
    const c = await scope.online(n1.port, 'carol', { yes: true });
    const since = c.mark();
    c.command('/get both.bin');
    expectIntact(await waitEnding(c, 'both.bin', since, 15000), shared);
    expect(n1.server.transfers.stats.finished).to.equal(1);
    expect(n2.server.transfers.stats.started).to.equal(0);
  });

  it('three nodes: one list of three folders; clients on n1 and n3 download from the two others at once', async () => {
    const data = [content(400_000, 91), content(300_001, 92), content(500_002, 93)];
    const nodes: TestNode[] = [];
    for (let i = 0; i < 3; i++) {
      nodes.push(await startNode(scope, prefix, `n${i + 1}`, { files: { [`f${i + 1}.bin`]: data[i]! }, transfers: { ports: await nextUdpPorts(3) } }));
    }
    await waitUntil(() => nodes.every((n, i) => [1, 2, 3].filter((k) => k !== i + 1).every((k) => n.server.clusterFiles!.union.holder(`f${k}.bin`) !== null)), 10000, 'every catalogue everywhere');
    const [c1, c3] = [await scope.online(nodes[0]!.port, 'one', { yes: true }), await scope.online(nodes[2]!.port, 'three', { yes: true })];
    const since = c1.mark();
    c1.command('/files');
    expect((await c1.waitForType('files', () => true, { since, ms: 5000 })).files.map((f) => f.name)).to.deep.equal(['f1.bin', 'f2.bin', 'f3.bin']);
    const got = async (c: TestClient, k: number) => {
      const at = c.mark();
      c.command(`/get f${k}.bin`);
      return expectIntact(await waitEnding(c, `f${k}.bin`, at, 30000), data[k - 1]!);
    };
    await Promise.all([got(c1, 2), got(c1, 3), got(c3, 1), got(c3, 2)]);
    expect(nodes.map((n) => n.server.transfers.stats.finished)).to.deep.equal([1, 2, 1]);
    await poolsFull(...nodes);
  });

  it('the holder cut off mid-transfer: the download fails cleanly, its partial copy kept and resumable', async () => {
    const [n1, n2] = await twoNodes();
    const c = await scope.online(n1.port, 'dave');
    const asked = await askedOnGet(c, 'movie.bin');
    // n2 goes silent on the cluster (its broker connection gone: no heartbeat, nothing relayed)
    await n2.store.connection.close();
    const end = await waitEnding(c, 'movie.bin', asked.since, 15000) as ClientEvent;
    expect(end).to.include({ type: 'error', code: 'transfer-failed', file: 'movie.bin' });
    const meta = readPartial(c.rt.opts.downloadsDir, 'movie.bin');
    expect(meta, 'partial metadata kept').to.not.equal(null);
    expect(meta!.received).to.equal(Math.floor(moviePart.length / 2));
    expect(meta!.sha256).to.equal(sha256(moviePart));
    // n1 no longer lists n2's files, and a get for them is refused at once rather than hanging
    expect(n1.server.clusterFiles!.union.holder('movie.bin')).to.equal(null);
    expect(n1.server.clusterFiles!.forwarded.active).to.equal(0);
    // and n2, hearing nobody, gives the client's node up too: the paused download ends, its port returns
    await poolsFull(n2);
  });

  it('the holder shut down mid-transfer: the client is told at once, its partial copy kept', async () => {
    const [n1, n2] = await twoNodes();
    const c = await scope.online(n1.port, 'fay');
    const asked = await askedOnGet(c, 'movie.bin');
    await n2.stop();
    const end = await waitEnding(c, 'movie.bin', asked.since, 5000) as ClientEvent;
    expect(end).to.include({ type: 'error', code: 'transfer-failed', file: 'movie.bin' });
    expect((end as { message: string }).message).to.match(/stopped serving/);
    expect(readPartial(c.rt.opts.downloadsDir, 'movie.bin')!.received).to.equal(Math.floor(moviePart.length / 2));
    expect(n1.server.clusterFiles!.forwarded.active).to.equal(0);
  });

  it('the client\'s node gone mid-transfer: the holder ends the download and frees its port', async () => {
    const [n1, n2] = await twoNodes();
    const c = await scope.online(n1.port, 'erin');
    await askedOnGet(c, 'movie.bin');
    expect(n2.server.clusterFiles!.served.active).to.equal(1);
    // n1 vanishes from the cluster: its broker connection closed, then its listener and sessions
    await n1.store.connection.close();
    await n1.stop();
    await waitUntil(() => n2.server.clusterFiles!.served.active === 0, 10000, 'the served download ended');
    await poolsFull(n2);
    expect(n2.server.transfers.stats.cancelled).to.equal(1);
  });
});
