// Files: only regular files inside the shared folder are ever read, whatever the name asked for; and a hostile
// server's offers cannot make a client write outside its downloads folder or over a file it already has.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { decodePacket, encodeData } from '../../machines/transport/packet-codec.js';
import { delay, waitUntil } from '../helpers/recorder.js';
import { Scope } from '../helpers/scope.js';
import { hostileServer, sha256 } from './helpers.js';

describe('hostile: files', function () {
  this.timeout(15000);
  let scope: Scope;
  beforeEach(() => { scope = new Scope(); });
  afterEach(async () => { await scope.dispose(); });

  describe('the server reads only regular files inside the shared folder', () => {
    let root: string, shared: string;
    beforeEach(() => {
      root = scope.tempDir('messenger-hostile-files-');
      shared = path.join(root, 'shared');
      fs.mkdirSync(shared);
      fs.writeFileSync(path.join(root, 'secret.txt'), 'SECRET');
      fs.writeFileSync(path.join(shared, 'ok.txt'), 'fine');
      fs.writeFileSync(path.join(shared, '.hidden'), 'hidden');
      fs.mkdirSync(path.join(shared, 'sub'));
      fs.writeFileSync(path.join(shared, 'sub', 'x'), 'nested');
      fs.symlinkSync('../secret.txt', path.join(shared, 'out'));
      fs.symlinkSync(path.join(root, 'secret.txt'), path.join(shared, 'abs-out'));
      fs.symlinkSync('ok.txt', path.join(shared, 'in'));
      fs.symlinkSync('sub', path.join(shared, 'dirlink'));
      fs.symlinkSync('nowhere', path.join(shared, 'dangling'));
      try { execFileSync('mkfifo', [path.join(shared, 'fifo')]); } catch { /* no mkfifo: skip that case */ }
    });

    it('lists regular files and links to them inside the folder, nothing else', async () => {
      const s = await hostileServer({ session: { limits: { ratePerSec: 10000, burst: 10000 } }, filesDir: shared });
      (scope as unknown as { servers: unknown[] }).servers.push(s);
      const c = await scope.raw(s.port);
      await c.hello('lister');
      c.send({ type: 'files' });
      const f = await c.waitForType('files');
      expect((f.files as Array<{ name: string }>).map((x) => x.name)).to.deep.equal(['in', 'ok.txt']);
    });

    it('refuses every traversal form with bad-file-name or no-such-file, never an offer', async () => {
      const s = await hostileServer({ session: { limits: { ratePerSec: 10000, burst: 10000 } }, filesDir: shared });
      (scope as unknown as { servers: unknown[] }).servers.push(s);
      const c = await scope.raw(s.port);
      await c.hello('walker');
      const names = [
        '..', '.', '', '../secret.txt', '../../etc/passwd', '/etc/passwd', path.join(root, 'secret.txt'), 'sub/x', 'sub\\x', '..\\secret.txt',
        '..%2fsecret.txt', '%2e%2e%2fsecret.txt', '..%5csecret.txt', 'ok.txt%00', 'ok.txt\u0000', '\u0000', 'ok.txt\n', 'x'.repeat(300), 'é'.repeat(200),
        '.hidden', 'out', 'abs-out', 'sub', 'dirlink', 'dangling', 'fifo', 'ok.txt/', './ok.txt', 'ok.txt/.', '\u2215etc\u2215passwd', '／etc／passwd',
        'C:\\Windows\\win.ini', '\\\\server\\share', '....//secret.txt', 'ok.txt ', ' ok.txt', 'OK.TXT', 'ok.txt\r',
      ];
      for (const [i, file] of names.entries()) {
        c.send({ type: 'get', file, ref: `n${i}` });
        const a = await c.waitFor((f) => f.ref === `n${i}`, 3000);
        expect(a.type, `${JSON.stringify(a)}`).to.equal('error');
        expect(['bad-file-name', 'no-such-file']).to.include(a.code);
      }
      expect(s.server.transfers.stats.started).to.equal(0);
      expect(s.server.transfers.pool.available).to.equal(2);
    });

    it('a name swapped for a link out of the folder (or a folder) between listing and download is refused', async () => {
      fs.writeFileSync(path.join(shared, 'swap.txt'), 'original');
      const s = await hostileServer({ session: { limits: { ratePerSec: 10000, burst: 10000 } }, filesDir: shared });
      (scope as unknown as { servers: unknown[] }).servers.push(s);
      const c = await scope.raw(s.port);
      await c.hello('swapper');
      c.send({ type: 'files' });
      expect(((await c.waitForType('files')).files as Array<{ name: string }>).map((x) => x.name)).to.include('swap.txt');
      fs.rmSync(path.join(shared, 'swap.txt'));
      fs.symlinkSync('../secret.txt', path.join(shared, 'swap.txt'));
      c.send({ type: 'get', file: 'swap.txt', ref: 'a' });
      expect((await c.waitForType('error', (e) => e.ref === 'a')).code).to.equal('no-such-file');
      fs.rmSync(path.join(shared, 'swap.txt'));
      fs.mkdirSync(path.join(shared, 'swap.txt'));
      c.send({ type: 'get', file: 'swap.txt', ref: 'b' });
      expect((await c.waitForType('error', (e) => e.ref === 'b')).code).to.equal('no-such-file');
    });

    it('a race swapping a file and a link out of the folder never serves the outside file', async () => {
      const inside = Buffer.from('inside content');
      const target = path.join(shared, 'race.txt');
      fs.writeFileSync(target, inside);
      const s = await hostileServer({ session: { limits: { ratePerSec: 10000, burst: 10000 } }, filesDir: shared, transfers: { maxPerSession: 100 } });
      (scope as unknown as { servers: unknown[] }).servers.push(s);
      const c = await scope.raw(s.port);
      await c.hello('racer');
      let stop = false;
      const swapper = (async () => {
        while (!stop) {
          const tmp = path.join(shared, `.tmp-${crypto.randomBytes(4).toString('hex')}`);
          if (Math.random() < 0.5) fs.symlinkSync(path.join(root, 'secret.txt'), tmp); else fs.writeFileSync(tmp, inside);
          fs.renameSync(tmp, target);
          await new Promise((r) => setImmediate(r));
        }
      })();
      const offers: Array<Record<string, unknown>> = [];
      for (let i = 0; i < 150; i++) {
        c.send({ type: 'get', file: 'race.txt', ref: `r${i}` });
        const a = await c.waitFor((f) => f.ref === `r${i}`, 3000);
        if (a.type === 'offer') { offers.push(a); c.send({ type: 'stop', id: a.id }); } else expect(['no-such-file', 'busy']).to.include(a.code);
        if (i % 20 === 19) await delay(20);
      }
      stop = true; await swapper;
      for (const o of offers) expect(o.sha256, 'an offer is only ever for the inside content').to.equal(sha256(inside));
    });

    it('policy: a hard link inside the folder is a regular file of the folder and is served (documented in SECURITY.md)', async function () {
      try { fs.linkSync(path.join(root, 'secret.txt'), path.join(shared, 'hard')); } catch { this.skip(); }
      const s = await hostileServer({ session: { limits: { ratePerSec: 10000, burst: 10000 } }, filesDir: shared });
      (scope as unknown as { servers: unknown[] }).servers.push(s);
      const c = await scope.raw(s.port);
      await c.hello('hl');
      c.send({ type: 'files' });
      expect(((await c.waitForType('files')).files as Array<{ name: string }>).map((x) => x.name)).to.include('hard');
    });
  });

  describe('a hostile server cannot make the client write outside its downloads folder', () => {
    /** A fake server: NDJSON over raw TCP (plain: its datagrams carry the CRC, not keys from a TLS session), answering
     *  each get with an offer under a name of its choosing, and the data over UDP. */
    async function fakeServer(offerName: (i: number) => string, content: Buffer) {
      const udp = dgram.createSocket('udp4');
      await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
      const token = crypto.randomBytes(8);
      const sha = sha256(content);
      udp.on('message', (m, rinfo) => {
        let p; try { p = decodePacket(m); } catch { return; }
        if (p.type !== 'hello') return;
        udp.send(encodeData({ transferId: p.transferId, token, pn: 1 }, 0, content), rinfo.port, rinfo.address);
      });
      let n = 0;
      let completes = 0;
      const tcp = net.createServer((s) => {
        let buf = '';
        s.on('error', () => {});
        s.on('data', (d) => {
          buf += d.toString();
          for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
            const f = JSON.parse(buf.slice(0, nl)) as Record<string, unknown>; buf = buf.slice(nl + 1);
            const send = (x: unknown) => s.write(JSON.stringify(x) + '\n');
            if (f.type === 'hello') send({ type: 'welcome', v: 1, name: f.name, server: 'evil', limits: { maxLine: 65536, maxText: 4000, ratePerSec: 20, burst: 40, idleMs: 60000 }, online: [f.name] });
            if (f.type === 'get') {
              const id = ++n;
              send({ type: 'offer', id, file: offerName(id), size: content.length, sha256: sha, port: (udp.address()).port, token: token.toString('hex'), offset: 0, chunk: 60000, halfway: 0, resumed: false, ref: f.ref });
              setTimeout(() => { send({ type: 'complete', id, file: offerName(id), size: content.length, sha256: sha, lastByte: content[content.length - 1] }); completes++; }, 300);
            }
            if (f.type === 'who') send({ type: 'online', names: ['alice'] });
          }
        });
      });
      await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', () => r()));
      return { port: (tcp.address() as net.AddressInfo).port, completes: () => completes, close: () => { tcp.close(); udp.close(); } };
    }

    it('offers named ../x, /etc/x, a/b, .., empty: saved by base name inside the folder or refused; an existing file is never overwritten', async () => {
      const root = scope.tempDir('messenger-hostile-dl-');
      const dl = path.join(root, 'dl');
      fs.mkdirSync(dl);
      fs.writeFileSync(path.join(dl, 'x'), 'mine');
      const content = Buffer.from('from a hostile server');
      const names = ['../x', '/etc/x-messenger-hostile', 'a/b', '..', '', '../../x', 'c\\..\\..\\d', '.hidden', 'e\u0000f'];
      const fake = await fakeServer((id) => names[id - 1]!, content);
      try {
        const alice = await scope.online(fake.port, 'alice', { downloadsDir: dl, yes: true, tls: false });
        for (const [i] of names.entries()) {
          const since = alice.mark();
          alice.command(`/get f${i}`);
          await alice.waitFor((e) => e.type === 'finished' || e.type === 'error', { since, ms: 3000 });
        }
        // every "complete" sent, then a round trip: whatever those frames did on the client has happened
        await waitUntil(() => fake.completes() === names.length, 5000, 'all complete frames sent');
        const since = alice.mark();
        alice.command('/who');
        await alice.waitForType('online', () => true, { since });
        const finished = alice.ofType('finished');
        for (const f of finished) {
          expect(path.dirname(f.path)).to.equal(dl);
          expect(fs.readFileSync(f.path, 'utf8')).to.equal(content.toString());
        }
        expect(finished.map((f) => path.basename(f.path)).sort()).to.deep.equal(['b', 'd', 'x-messenger-hostile', 'x.1', 'x.2']);
        expect(alice.ofType('error').filter((e) => e.code === 'bad-file-name')).to.have.length(4);
        expect(fs.readFileSync(path.join(dl, 'x'), 'utf8')).to.equal('mine');
        expect(fs.readdirSync(root)).to.deep.equal(['dl']);
        expect(fs.existsSync('/etc/x-messenger-hostile')).to.equal(false);
      } finally { fake.close(); }
    });
  });
});
