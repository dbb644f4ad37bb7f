// Hostile input: datagrams to a pool port that are not from the client (wrong token, wrong transfer id, garbage,
// a valid-looking ACK from another address) are ignored and counted, and the download still arrives intact; file
// names that try to leave the shared folder are refused and write nothing; a symlink out of the shared folder is
// neither listed nor downloadable.
import { expect } from 'chai';
import crypto from 'node:crypto';
import dgram from 'node:dgram';
import fs from 'node:fs';
import path from 'node:path';
import { encodeAck, encodeClose, encodeData, encodeHello } from '../../machines/transport/packet-codec.js';
import type { TransferEndpoint } from '../../runtime/udp-endpoint.js';
import { RawClient } from '../helpers/raw.js';
import { content, expectIntact, get, listDir, poolFull, TransferScope, waitEnding, waitUntil } from './harness.js';
import { nextUdpPorts } from '../helpers/ports.js';


function bindUdp(): Promise<dgram.Socket> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.bind(0, '127.0.0.1', () => resolve(s));
  });
}

describe('transfer/hostile: spoofed datagrams', function () {
  this.timeout(30000);
  const scope = new TransferScope();
  afterEach(() => scope.dispose());

  it('wrong token, wrong transfer id, garbage and a forged ACK from another address are ignored; the file arrives intact', async () => {
    const data = content(3_000_000, 71);
    const pool = await nextUdpPorts(1);
    const listen = await nextUdpPorts(1);
    // 16 Mbit/s: the download lasts about 1.5 s, long enough to be attacked
    await scope.emulator(pool, listen, {}, { rateBitsPerSec: 16e6, queuePackets: 400 });
    // --no-tls: the token and the CRC are what authenticate here (under TLS the AEAD tag does: spec/transfer/aead.spec.ts)
    const srv = await scope.server({ files: { 'target.bin': data }, ports: pool, transfers: { advertisePorts: listen }, plain: true });
    const c = await scope.client(srv, 'victim', { yes: true, tls: false });
    const attacker = await bindUdp();
    scope.onDispose(() => new Promise<void>((r) => attacker.close(() => r())));
    const stats = srv.server.transfers.stats;

    const since = c.mark();
    c.command('/get target.bin');
    const dl = await c.waitForType('download', () => true, { since, ms: 5000 });
    await c.waitForType('progress', (e) => e.received > 0, { since, ms: 10000 });
    const d = c.rt.downloads.list()[0]!;
    const endpoint = (d as unknown as { endpoint: TransferEndpoint }).endpoint;
    const token = endpoint.header().token;
    expect(token.length).to.equal(8);
    const id = dl.id;
    const wrongToken = crypto.randomBytes(8);
    const send = (buf: Buffer, port = pool[0]) => new Promise<void>((r) => attacker.send(buf, port, '127.0.0.1', () => r()));
    // an ACK claiming everything (packet numbers 0..10^6) with a huge credit: accepted, it would end the download early
    const everything = { ranges: [[1_000_000, 0]] as Array<[number, number]>, ackDelayMs: 0, maxData: 2 ** 40, contiguous: data.length };
    const before = { spoofed: stats.spoofed, malformed: stats.malformed };

    for (let i = 0; i < 20; i++) {
      await send(encodeAck({ transferId: id, token: wrongToken, pn: i }, everything));           // wrong token
      await send(encodeAck({ transferId: id + 1000, token, pn: i }, everything));                // wrong transfer id
      await send(encodeAck({ transferId: id, token, pn: i }, everything));                       // right token, wrong address
      await send(encodeClose({ transferId: id, token, pn: i }, 0, 'stop'));                      // a forged CLOSE from elsewhere
      await send(encodeData({ transferId: id, token, pn: i }, 0, Buffer.alloc(100)));            // DATA to the server
      await send(crypto.randomBytes(1 + (i * 37) % 1400));                                       // garbage
      const corrupt = encodeAck({ transferId: id, token, pn: i }, everything);
      corrupt[corrupt.length - 1]! ^= 0xff;                                                      // bad CRC
      await send(corrupt);
      await send(Buffer.alloc(0));                                                               // empty datagram
      // straight at the client's socket too (connected to the server's port: the kernel filters these)
      const clientPort = endpoint.socket.address().port;
      await send(encodeData({ transferId: id, token, pn: 10_000 + i }, 0, Buffer.alloc(1000, 0xee)), clientPort);
    }

    expect(c.ofType('finished', since), 'the attack landed while the download ran').to.have.length(0);
    const end = await waitEnding(c, 'target.bin', since, 20000);
    expectIntact(end, data);
    // wrong token, wrong id, the forged ACK, the forged CLOSE (from elsewhere) and DATA from elsewhere: spoofed
    expect(stats.spoofed - before.spoofed).to.be.at.least(20 * 4);
    // garbage, bad CRC and empty datagrams: malformed (random garbage could in principle pass nothing but the CRC)
    expect(stats.malformed - before.malformed).to.be.at.least(20 * 3);
    expect(stats).to.include({ finished: 1, stopped: 0, failed: 0 });
    await poolFull(srv);
  });

  it('a forged HELLO with a wrong token cannot move the data path', async () => {
    const data = content(1_000_000, 72);
    const pool = await nextUdpPorts(1);
    const listen = await nextUdpPorts(1);
    await scope.emulator(pool, listen, {}, { rateBitsPerSec: 16e6, queuePackets: 400 });
    const srv = await scope.server({ files: { 'h.bin': data }, ports: pool, transfers: { advertisePorts: listen } });
    const c = await scope.client(srv, 'holder', { yes: true });
    const attacker = await bindUdp();
    let stolen = 0;
    let marked = false;
    attacker.on('message', (m) => { if (m.toString() === 'marker') marked = true; else stolen++; });
    scope.onDispose(() => new Promise<void>((r) => attacker.close(() => r())));
    const since = c.mark();
    c.command('/get h.bin');
    const dl = await c.waitForType('download', () => true, { since, ms: 5000 });
    // halfway (answered yes at once) data is surely flowing: a progress event may never come on a fast run
    await c.waitForType('consent', () => true, { since, ms: 10000 });
    for (let i = 0; i < 10; i++) {
      attacker.send(encodeHello({ transferId: dl.id, token: crypto.randomBytes(8), pn: i }, 0, 1 << 20), pool[0], '127.0.0.1');
    }
    expectIntact(await waitEnding(c, 'h.bin', since, 15000), data);
    // a marker sent to the attacker's socket after the end: once it is in, anything sent to it before is in too
    const marker = await bindUdp();
    scope.onDispose(() => new Promise<void>((r) => marker.close(() => r())));
    marker.send('marker', (attacker.address()).port, '127.0.0.1');
    await waitUntil(() => marked, 3000, 'the marker datagram');
    expect(stolen, 'no data went to the attacker').to.equal(0);
  });
});

describe('transfer/hostile: file names', function () {
  this.timeout(30000);
  const scope = new TransferScope();
  afterEach(() => scope.dispose());

  const NAMES = [
    '../../etc/passwd', '/etc/passwd', '..%2f..%2fetc%2fpasswd', '..%2F..', 'a\u0000b', 'nul\u0000', '..\\..\\windows\\win.ini',
    'sub\\secret.txt', '..', '.', '.hidden', 'sub/inner.txt', '%2e%2e%2fsecret.txt', 'outside-link.txt', 'dir-link', 'sub', 'missing.txt',
  ];

  it('traversal and unsafe names are refused with bad-file-name or no-such-file and write nothing', async () => {
    const outside = scope.dir('messenger-outside-');
    fs.writeFileSync(path.join(outside, 'secret.txt'), 'top secret');
    const srv = await scope.server({ files: { 'ok.txt': 'fine', '.hidden': 'h', 'sub/inner.txt': 'inner' }, ports: await nextUdpPorts(1) });
    fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(srv.filesDir, 'outside-link.txt'));
    fs.symlinkSync(outside, path.join(srv.filesDir, 'dir-link'));
    const c = await scope.client(srv, 'prober');
    const dir = c.rt.opts.downloadsDir;
    for (const name of NAMES) {
      const since = c.mark();
      c.rt.run({ kind: 'get', file: name }); // as the parsed command, so that NULs and spaces reach the wire
      const ev = await c.waitForType('error', () => true, { since, ms: 3000 });
      expect(['bad-file-name', 'no-such-file'], `${JSON.stringify(name)}: ${ev.code} ${ev.message}`).to.include(ev.code);
      expect(c.ofType('download', since), JSON.stringify(name)).to.have.length(0);
    }
    expect(listDir(dir), 'nothing written in the downloads folder').to.deep.equal([]);
    expect(srv.server.transfers.stats.started).to.equal(0);
    await poolFull(srv);
  });

  it('the same names sent as raw frames are refused too', async () => {
    const srv = await scope.server({ files: { 'ok.txt': 'fine' }, ports: await nextUdpPorts(1) });
    const raw = await RawClient.connect(srv.port);
    scope.onDispose(() => raw.socket.destroy());
    await raw.hello('rawprober');
    for (const name of [...NAMES, 'ok.txt/..', 'ok.txt/', './ok.txt', 'ok.txt\u0000.jpg', `${'a'.repeat(300)}`]) {
      const since = raw.mark();
      raw.send({ type: 'get', file: name, ref: 'x' });
      const f = await raw.waitFor((x) => x.type === 'error' || x.type === 'offer', { since, ms: 3000 });
      expect(f.type, JSON.stringify(name)).to.equal('error');
      expect(['bad-file-name', 'no-such-file', 'bad-frame'], `${JSON.stringify(name)}: ${JSON.stringify(f)}`).to.include(f.code);
    }
    // and the session is still usable afterwards
    raw.send({ type: 'get', file: 'ok.txt', ref: 'y' });
    const offer = await raw.waitForType('offer', () => true, 3000);
    expect(offer).to.include({ file: 'ok.txt', size: 4 });
    raw.send({ type: 'stop', id: offer.id });
    await poolFull(srv);
  });

  it('a symlink leading outside the shared folder is neither listed nor downloadable', async () => {
    const outside = scope.dir('messenger-outside-');
    fs.writeFileSync(path.join(outside, 'secret.txt'), 'top secret');
    const srv = await scope.server({ files: { 'ok.txt': 'fine', 'inner.txt': 'in' }, ports: await nextUdpPorts(1) });
    fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(srv.filesDir, 'leak.txt'));
    fs.symlinkSync('/etc/passwd', path.join(srv.filesDir, 'passwd'));
    const c = await scope.client(srv, 'lister', { yes: true });
    const since = c.mark();
    c.command('/files');
    const files = await c.waitForType('files', () => true, { since, ms: 3000 });
    expect(files.files.map((f) => f.name)).to.deep.equal(['inner.txt', 'ok.txt']);
    for (const name of ['leak.txt', 'passwd']) {
      const end = await get(c, name, 3000);
      expect(end.type, name).to.equal('error');
      expect(['bad-file-name', 'no-such-file']).to.include((end as { code: string }).code);
    }
    expect(listDir(c.rt.opts.downloadsDir)).to.deep.equal([]);
    // a file inside still downloads
    expectIntact(await get(c, 'ok.txt'), Buffer.from('fine'));
    await poolFull(srv);
  });
});
