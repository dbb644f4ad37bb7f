// What nodes say to each other about files and served downloads, decoded strictly: the good shapes come back as
// they were sent, anything else (unsafe names, oversize catalogues, foreign fields, another transfer's frame,
// random bytes) is dropped and never throws.
import { expect } from 'chai';
import crypto from 'node:crypto';
import { CATALOGUE_BYTES, decodeCatalogue, decodeCatalogueRequest, decodeRelayed, decodeTransferReply, decodeTransferRequest, encode } from '../../runtime/cluster/files-wire.js';
import { NodeKeys, sealKeys } from '../../runtime/cluster/key-seal.js';

const key = new NodeKeys().publicKey;
const run = '0123456789abcdef';
const sha = 'a'.repeat(64);
const cat = (o: Record<string, unknown> = {}) => encode({ node: 'n2', run, rev: 3, key, files: [{ name: 'movie.bin', size: 10 }], ...o });

describe('cluster/files-wire', () => {
  it('catalogues: a good one round-trips; unsafe names, bad keys, hosts or sizes, and oversize ones are dropped', () => {
    expect(decodeCatalogue(cat({ host: '127.0.0.2' }))).to.deep.equal({ node: 'n2', run, rev: 3, key, host: '127.0.0.2', files: [{ name: 'movie.bin', size: 10 }] });
    expect(decodeCatalogue(cat({ host: 'fe80::1' }))!.host).to.equal('fe80::1');
    for (const bad of [
      { files: [{ name: '../etc/passwd', size: 1 }] }, { files: [{ name: '.hidden', size: 1 }] }, { files: [{ name: 'a/b', size: 1 }] },
      { files: [{ name: 'x', size: -1 }] }, { files: [{ name: 'x', size: 1.5 }] }, { files: 'x' }, { files: [null] },
      { key: 'AAAA' }, { key: undefined }, { host: 'example.com' }, { host: '999.1.1.1' }, { node: 'n.2' }, { node: '*' }, { run: 'short' }, { rev: -1 },
    ]) expect(decodeCatalogue(cat(bad)), JSON.stringify(bad)).to.equal(null);
    const huge = Array.from({ length: 20000 }, (_, i) => ({ name: `file-${i}-${'x'.repeat(20)}`, size: i }));
    expect(encode({ files: huge }).length).to.be.above(CATALOGUE_BYTES);
    expect(decodeCatalogue(cat({ files: huge }))).to.equal(null);
    expect(decodeCatalogueRequest(encode({ from: 'n1' }))).to.deep.equal({ from: 'n1' });
    expect(decodeCatalogueRequest(encode({ from: 'n1', node: 'n2' }))).to.deep.equal({ from: 'n1', node: 'n2' });
    expect(decodeCatalogueRequest(encode({ from: 'n1', node: 'a.b' }))).to.equal(null);
  });

  it('transfer requests: get (with sealed keys), consent, stop, cancel; anything else dropped', () => {
    const keys = sealKeys(crypto.randomBytes(64), key, { prefix: 'P', origin: 'n1', holder: 'n2', id: 5 });
    const get = { op: 'get', from: 'n1', id: 5, user: 'alice', file: 'movie.bin', offset: 100, sha256: sha, ref: 'r1', keys };
    expect(decodeTransferRequest(encode(get))).to.deep.equal(get);
    expect(decodeTransferRequest(encode({ op: 'get', from: 'n1', id: 5, user: 'alice', file: 'movie.bin' }))).to.deep.equal({ op: 'get', from: 'n1', id: 5, user: 'alice', file: 'movie.bin' });
    expect(decodeTransferRequest(encode({ op: 'consent', from: 'n1', id: 5, answer: 'yes' }))).to.deep.equal({ op: 'consent', from: 'n1', id: 5, answer: 'yes' });
    expect(decodeTransferRequest(encode({ op: 'stop', from: 'n1', id: 5 }))).to.deep.equal({ op: 'stop', from: 'n1', id: 5 });
    expect(decodeTransferRequest(encode({ op: 'cancel', from: 'n1', id: 5, reason: 'gone' }))).to.deep.equal({ op: 'cancel', from: 'n1', id: 5, reason: 'gone' });
    for (const bad of [
      { ...get, keys: { ...keys, epk: 'x' } }, { ...get, keys: 'x' }, { ...get, sha256: 'ABC' }, { ...get, offset: -1 }, { ...get, id: 0 }, { ...get, id: 2 ** 40 },
      { ...get, from: 'n 1' }, { ...get, user: '' }, { ...get, ref: 'r'.repeat(65) },
      { op: 'consent', from: 'n1', id: 5, answer: 'maybe' }, { op: 'cancel', from: 'n1', id: 5 }, { op: 'delete', from: 'n1', id: 5 },
    ]) expect(decodeTransferRequest(encode(bad)), JSON.stringify(bad)).to.equal(null);
    expect(decodeTransferReply(encode({ ok: true }))).to.deep.equal({ ok: true });
    expect(decodeTransferReply(encode({ ok: false, message: 'no' }))).to.deep.equal({ ok: false, message: 'no' });
    expect(decodeTransferReply(encode({ ok: 'yes' }))).to.equal(null);
  });

  it('relayed frames: checked as a client would, and their id must be the relay\'s', () => {
    const offer = { type: 'offer', id: 9, file: 'movie.bin', size: 10, sha256: sha, port: 20001, token: '0011223344556677', offset: 0, chunk: 60000, halfway: 5, resumed: false, ref: 'r1', seal: 'aes-128-gcm' };
    const frames = [
      offer,
      { type: 'ask', id: 9, file: 'movie.bin', received: 5, size: 10 },
      { type: 'complete', id: 9, file: 'movie.bin', size: 10, sha256: sha, lastByte: 255 },
      { type: 'stopped', id: 9, file: 'movie.bin', received: 5, reason: 'declined' },
      { type: 'error', code: 'transfer-failed', message: 'x', id: 9, file: 'movie.bin' },
      { type: 'error', code: 'no-such-file', message: 'x', re: 'get', file: 'nope', ref: 'r1' },
    ];
    for (const frame of frames) expect(decodeRelayed(encode({ node: 'n2', id: 9, frame }))).to.deep.equal({ node: 'n2', id: 9, frame });
    for (const frame of [
      { ...offer, id: 10 }, { ...offer, port: 70000 }, { ...offer, token: 'xyz' }, { ...offer, file: '../x' }, { ...offer, seal: 'rot13' },
      { type: 'complete', id: 9, file: 'movie.bin', size: 10, sha256: sha, lastByte: 256 },
      { type: 'error', code: 'made-up', message: 'x' }, { type: 'welcome' }, { type: 'message', from: 'x', text: 'y', ts: 1 },
    ]) expect(decodeRelayed(encode({ node: 'n2', id: 9, frame })), JSON.stringify(frame)).to.equal(null);
  });

  it('random bytes and wrong JSON never throw', () => {
    for (let i = 0; i < 300; i++) {
      const b = crypto.randomBytes(i % 50);
      for (const d of [decodeCatalogue, decodeCatalogueRequest, decodeTransferRequest, decodeTransferReply, decodeRelayed]) expect(d(b)).to.equal(null);
    }
    for (const v of ['[]', 'null', '1', '"x"', '{}']) for (const d of [decodeCatalogue, decodeTransferRequest, decodeRelayed]) expect(d(Buffer.from(v))).to.equal(null);
  });
});
