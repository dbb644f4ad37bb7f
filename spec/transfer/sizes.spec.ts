// Byte-identical downloads over real UDP on 127.0.0.1 for the edge sizes (empty, one byte, exactly one datagram's
// payload, one byte more, a few MB), with both a small and a large datagram; and a second download of a file that
// is already complete saves as NAME.1, NAME.2, never over the old one.
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { partPath } from '../../runtime/download-files.js';
import { content, expectIntact, finishedFiles, get, getIntact, poolFull, sha256Of, TransferScope, type Server, type TestClient } from './harness.js';
import { nextUdpPorts } from '../helpers/ports.js';


for (const chunk of [1200, 60000]) {
  describe(`transfer/sizes (real UDP, chunk ${chunk})`, function () {
    this.timeout(30000);
    const scope = new TransferScope();
    const files: Record<string, Buffer> = {
      'empty.bin': Buffer.alloc(0),
      'one.bin': Buffer.from([0xa7]),
      'exact.bin': content(chunk, 11),
      'exact-plus-one.bin': content(chunk + 1, 12),
      'two-and-a-bit.bin': content(2 * chunk + 17, 13),
      'big.bin': content(3 * 1024 * 1024 + 5, 14),
    };
    let srv: Server;
    let c: TestClient;

    before(async () => {
      srv = await scope.server({ files, ports: await nextUdpPorts(2), transfers: { chunk } });
      c = await scope.client(srv, `sizes${chunk}`, { yes: true });
    });
    after(() => scope.dispose());

    for (const [name, data] of Object.entries(files)) {
      it(`${name} (${data.length} bytes) arrives byte for byte, with its hash and last byte`, async () => {
        const fin = await getIntact(c, name, data, 20000);
        expect(path.basename(fin.path)).to.equal(name);
        expect(path.dirname(fin.path)).to.equal(c.rt.opts.downloadsDir);
        // no partial file or metadata is left behind
        const part = partPath(c.rt.opts.downloadsDir, name);
        expect(fs.existsSync(part), part).to.equal(false);
        expect(fs.existsSync(`${part}.json`), `${part}.json`).to.equal(false);
        if (data.length === 0) expect(fin).to.not.have.property('lastByte');
        await poolFull(srv);
      });
    }

    it('a big file asks the halfway question (--yes answers it) at half the size', async () => {
      const ev = c.ofType('consent').find((e) => e.file === 'big.bin');
      expect(ev, 'a consent event for big.bin').to.not.equal(undefined);
      expect(ev!.size).to.equal(files['big.bin']!.length);
      expect(ev!.received).to.equal(Math.floor(files['big.bin']!.length / 2));
    });
  });
}

describe('transfer/sizes: already complete in the downloads folder', function () {
  this.timeout(30000);
  const scope = new TransferScope();
  after(() => scope.dispose());

  it('a second /get saves as NAME.1, a third as NAME.2, never overwriting', async () => {
    const data = content(50_000, 21);
    const srv = await scope.server({ files: { 'report.pdf': data }, ports: await nextUdpPorts(2) });
    const c = await scope.client(srv, 'again', { yes: true });
    const dir = c.rt.opts.downloadsDir;
    const first = await getIntact(c, 'report.pdf', data);
    expect(first.path).to.equal(path.join(dir, 'report.pdf'));
    // mark the first copy: it must survive the later downloads untouched
    fs.appendFileSync(first.path, 'local edit');
    const edited = sha256Of(first.path);
    const second = await getIntact(c, 'report.pdf', data);
    expect(second.path).to.equal(path.join(dir, 'report.pdf.1'));
    const third = await getIntact(c, 'report.pdf', data);
    expect(third.path).to.equal(path.join(dir, 'report.pdf.2'));
    expect(sha256Of(first.path)).to.equal(edited);
    expect(finishedFiles(dir)).to.deep.equal(['report.pdf', 'report.pdf.1', 'report.pdf.2']);
  });

  it('an empty file already present also gets a new name', async () => {
    const srv = await scope.server({ files: { 'empty.txt': '' }, ports: await nextUdpPorts(2) });
    const c = await scope.client(srv, 'again0', { yes: true });
    const a = expectIntact(await get(c, 'empty.txt'), Buffer.alloc(0));
    const b = expectIntact(await get(c, 'empty.txt'), Buffer.alloc(0));
    expect(path.basename(a.path)).to.equal('empty.txt');
    expect(path.basename(b.path)).to.equal('empty.txt.1');
  });
});
