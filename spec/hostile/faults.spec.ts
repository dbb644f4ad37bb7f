// Faults: a client killed mid-transfer, a server killed mid-transfer and restarted on the same ports (the client
// reconnects and resumes), a blackout longer than the deadline, and a file that cannot be read.
import { expect } from 'chai';
import dgram from 'node:dgram';
import fs from 'node:fs';
import path from 'node:path';
import { encodeHello } from '../../machines/transport/packet-codec.js';
import { freeTcpPort } from '../helpers/ports.js';
import { waitUntil } from '../helpers/recorder.js';
import { Scope } from '../helpers/scope.js';
import { hostilePorts, hostileServer, pseudoRandomBytes, sha256, sha256OfFile, transfersOpts } from './helpers.js';

describe('hostile: faults', function () {
  this.timeout(30000);
  let scope: Scope;
  beforeEach(() => { scope = new Scope(); });
  afterEach(async () => { await scope.dispose(); });
  const track = <T>(s: T): T => { (scope as unknown as { servers: unknown[] }).servers.push(s); return s; };

  it('a client killed (SIGKILL) mid-transfer: its port returns to the pool and the others are told it is gone', async () => {
    const s = track(await hostileServer({ files: { 'big.bin': pseudoRandomBytes(4_000_000) } }));
    const watcher = await scope.online(s.port, 'watcher');
    const child = scope.spawnClient('victim', s.port);
    await child.waitFor((e) => e.type === 'connected', 15000);
    child.type('/get big.bin');
    await child.waitFor((e) => e.type === 'consent', 10000); // paused halfway: the port is held
    expect(s.server.transfers.pool.available).to.equal(1);
    child.kill('SIGKILL');
    await watcher.waitForType('left', (e) => e.name === 'victim' && e.reason === 'gone', { ms: 5000 });
    await waitUntil(() => s.server.transfers.pool.available === 2 && s.server.transfers.active === 0, 3000, 'port back');
    expect(s.server.transfers.stats.cancelled).to.equal(1);
  });

  it('a client gone while its download is being set up leaves no UDP socket bound and no port lost', async () => {
    const udpSockets = () => process.getActiveResourcesInfo().filter((k) => k === 'UDPWrap').length;
    const udpBefore = udpSockets(); // an idle server holds no UDP socket: the same count once it has started
    const s = track(await hostileServer({ files: { 'big.bin': pseudoRandomBytes(30_000_000, 5) } }));
    await waitUntil(() => udpSockets() === udpBefore, 3000, "the start-up check's sockets closed");
    const c = await scope.raw(s.port);
    await c.hello('quitter');
    c.send({ type: 'get', file: 'big.bin' });
    await waitUntil(() => s.server.transfers.pool.available === 1, 3000, 'port taken for the download', 1);
    expect(s.server.transfers.active, 'the offer already went out: the file was not being hashed').to.equal(0);
    c.destroy(); // while the server hashes the file
    await waitUntil(() => s.server.connections === 0, 3000, 'gone');
    await waitUntil(() => s.server.transfers.pool.available === 2 && udpSockets() === udpBefore, 3000, 'port back and its socket closed');
    expect(s.server.transfers.active).to.equal(0);
    const alice = await scope.online(s.port, 'alice', { yes: true });
    alice.command('/get big.bin');
    await alice.waitForType('finished', () => true, { ms: 15000 });
  });

  it('a server killed mid-transfer and restarted on the same ports: the client reconnects with backoff and resumes, asked again; SHA-256 matches', async () => {
    const content = pseudoRandomBytes(6_000_000, 3);
    const files = scope.tempDir('messenger-hostile-restart-');
    fs.writeFileSync(path.join(files, 'big.bin'), content);
    const port = await freeTcpPort();
    const [a, b] = await hostilePorts(2);
    // the same data folder, as a restarted server has: the same TLS identity, which the client remembers
    const data = scope.tempDir('messenger-hostile-data-');
    const args = ['--port', String(port), '--files', files, '--udp-ports', `${a}-${b}`, '--halfway', '0.5', '--data', data];
    const first = await scope.spawnServer(args);
    const alice = await scope.online(port, 'alice', { reconnect: true, timing: { maxBackoffMs: 500 } });
    alice.command('/get big.bin');
    const asked = await alice.waitForType('consent', () => true, { ms: 10000 });
    first.run.kill('SIGKILL');
    await alice.waitForType('reconnecting', () => true, { ms: 5000 });
    await alice.waitForType('stopped', () => true, { ms: 5000 }).catch(() => undefined);
    await scope.spawnServer(args);
    // the download was waiting for alice's answer: it resumes once she is back, from just before the halfway point,
    // so that the question is asked again rather than skipped behind her back
    await alice.waitForType('info', (e) => /was waiting for your answer/.test(e.text), { ms: 15000 });
    await waitUntil(() => alice.ofType('connected').length === 2, 15000, 'reconnected');
    const again = await alice.waitForType('download', (d) => d.resumed, { ms: 15000 });
    expect(again.offset).to.equal(asked.received - 1);
    const askedAgain = await alice.waitForType('consent', (q) => q.id === again.id, { ms: 15000, since: alice.items.indexOf(again) });
    expect(askedAgain.received).to.equal(asked.received);
    alice.command(`/yes ${again.id}`);
    const done = await alice.waitForType('finished', () => true, { ms: 15000 });
    expect(done.sha256).to.equal(sha256(content));
    expect(sha256OfFile(done.path)).to.equal(sha256(content));
    expect(alice.ofType('connected')).to.have.length(2);
  });

  it('a blackout longer than silentMs fails the transfer clearly and returns its port', async () => {
    const s = track(await hostileServer({ files: { 'f.bin': pseudoRandomBytes(3_000_000) }, transfers: await transfersOpts(2, { silentMs: 800 }) }));
    const c = await scope.raw(s.port);
    await c.hello('dark');
    c.send({ type: 'get', file: 'f.bin', ref: 'r' });
    const offer = await c.waitForType('offer');
    // one HELLO starts the data; then nothing more is heard from this client (a blackout)
    const udp = dgram.createSocket('udp4');
    udp.on('message', () => {});
    try {
      await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
      udp.send(encodeHello({ transferId: Number(offer.id), token: Buffer.from(String(offer.token), 'hex'), pn: 0 }, 0, 1 << 20), Number(offer.port), '127.0.0.1');
      await waitUntil(() => s.server.transfers.stats.started === 1, 1000, 'started');
      const err = await c.waitForType('error', (e) => e.id === offer.id, { ms: 4000 });
      expect(err.code).to.equal('transfer-failed');
      expect(String(err.message)).to.match(/silent/);
    } finally { udp.close(); }
    await waitUntil(() => s.server.transfers.pool.available === 2 && s.server.transfers.active === 0, 2000, 'port back');
    c.send({ type: 'who' });
    await c.waitForType('online'); // the chat connection is unaffected
  });

  it('an unreadable file (chmod 000) gives a clear io-error', async function () {
    if (process.getuid?.() === 0) {
      console.log('      (skipped: running as root, where chmod 000 does not stop reads; the next test makes reads fail another way)');
      this.skip();
    }
    const s = track(await hostileServer({ files: { 'locked.bin': 'secret' } }));
    fs.chmodSync(path.join(s.filesDir, 'locked.bin'), 0o000);
    const c = await scope.raw(s.port);
    await c.hello('reader');
    c.send({ type: 'get', file: 'locked.bin', ref: 'x' });
    const e = await c.waitForType('error', (f) => f.ref === 'x');
    expect(e.code).to.equal('io-error');
  });

  it('a file that shrinks under a paused download fails it with file-changed (reads past the end fail), and the port returns', async () => {
    const s = track(await hostileServer({ files: { 'shrink.bin': pseudoRandomBytes(4_000_000) } }));
    const alice = await scope.online(s.port, 'alice');
    alice.command('/get shrink.bin');
    const q = await alice.waitForType('consent', () => true, { ms: 10000 });
    fs.truncateSync(path.join(s.filesDir, 'shrink.bin'), 1000);
    alice.command(`/yes ${q.id}`);
    const e = await alice.waitForType('error', (x) => x.id === q.id, { ms: 8000 });
    expect(e.code).to.equal('file-changed');
    await waitUntil(() => s.server.transfers.pool.available === 2, 2000, 'port back');
  });
});
