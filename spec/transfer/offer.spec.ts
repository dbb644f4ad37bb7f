// machines/offer.ts: which offers a client takes, and the stable code and message of each refusal.
import { expect } from 'chai';
import { checkOffer, type OfferFrame } from '../../machines/offer.js';

const SHA = 'ab'.repeat(32);
const offer = (more: Partial<OfferFrame> = {}): OfferFrame => ({
  type: 'offer', id: 7, file: 'report.pdf', size: 1000, sha256: SHA, port: 55000, token: '0123456789abcdef',
  offset: 0, chunk: 1200, halfway: 500, resumed: false, ...more,
});

describe('offer check', () => {
  it('takes a fresh offer from the start, saved under its base name', () => {
    expect(checkOffer(offer(), {})).to.deep.equal({ ok: true, base: 'report.pdf', resume: false });
    expect(checkOffer(offer({ size: 0, halfway: 0 }), {})).to.deep.equal({ ok: true, base: 'report.pdf', resume: false });
  });

  it('takes a resume at exactly the offset and hash the client asked for', () => {
    expect(checkOffer(offer({ resumed: true, offset: 400 }), { offset: 400, sha256: SHA })).to.deep.equal({ ok: true, base: 'report.pdf', resume: true });
  });

  it('takes the base name of a name with a path in it', () => {
    const r = checkOffer(offer({ file: 'dir/report.pdf' }), {});
    expect(r).to.deep.equal({ ok: true, base: 'report.pdf', resume: false });
  });

  it('refuses unsafe names and out-of-range fields with bad-file-name', () => {
    const bad: Array<Partial<OfferFrame>> = [
      { file: '..' }, { file: '.hidden' }, { file: 'a\u0001b' }, { file: '' }, { file: 'x/' },
      { size: -1 }, { size: 1.5 }, { size: 2 ** 53 }, { offset: -1 }, { offset: 1001 }, { offset: 0.5 },
      { sha256: 'AB'.repeat(32) }, { sha256: 'ab' }, { token: '0123' }, { token: 'zz23456789abcdef' },
      { port: 0 }, { port: 65536 }, { port: 1.5 },
      { size: '1000' as unknown as number }, { port: '55000' as unknown as number },
    ];
    for (const b of bad) {
      const r = checkOffer(offer(b), {});
      expect(r.ok, JSON.stringify(b)).to.equal(false);
      if (!r.ok) {
        expect(r.code, JSON.stringify(b)).to.equal('bad-file-name');
        expect(r.message).to.match(/^refused an offer with an unsafe name or fields: /);
      }
    }
  });

  it('cuts the quoted name in the message to 80 characters', () => {
    const r = checkOffer(offer({ file: `..${'x'.repeat(500)}`, size: -1 }), {});
    expect(r.ok).to.equal(false);
    if (!r.ok) expect(r.message.length).to.be.at.most('refused an offer with an unsafe name or fields: '.length + 80);
  });

  it('refuses a resume the client did not ask for with transfer-failed', () => {
    for (const req of [{}, { offset: 300, sha256: SHA }, { offset: 400, sha256: 'cd'.repeat(32) }]) {
      const r = checkOffer(offer({ resumed: true, offset: 400 }), req);
      expect(r, JSON.stringify(req)).to.deep.equal({ ok: false, code: 'transfer-failed', message: 'download refused: the server offered a resume this client did not ask for' });
    }
  });

  it('refuses a fresh download that starts in the middle of the file with transfer-failed', () => {
    expect(checkOffer(offer({ offset: 10 }), { offset: 10, sha256: SHA })).to.deep.equal({
      ok: false, code: 'transfer-failed', message: 'download refused: the server offered to start in the middle of a file',
    });
  });

  it('over TLS takes only an offer of aes-128-gcm datagrams, and without TLS refuses one', () => {
    expect(checkOffer(offer({ seal: 'aes-128-gcm' }), {}, true)).to.deep.equal({ ok: true, base: 'report.pdf', resume: false });
    expect(checkOffer(offer({ seal: 'crc32' }), {}, false)).to.deep.equal({ ok: true, base: 'report.pdf', resume: false });
    expect(checkOffer(offer(), {}, false), 'an older server says nothing: the CRC').to.deep.include({ ok: true });
    for (const f of [offer({ seal: 'crc32' }), offer()]) {
      expect(checkOffer(f, {}, true)).to.deep.equal({ ok: false, code: 'transfer-failed', message: 'download refused: the server offered unencrypted datagrams over a TLS connection' });
    }
    expect(checkOffer(offer({ seal: 'aes-128-gcm' }), {}, false)).to.deep.include({ ok: false, code: 'transfer-failed' });
  });

  it('takes a `host` that is an IP address literal (a cluster node serving the file), refuses anything else', () => {
    for (const host of ['127.0.0.2', '10.1.2.3', '::1', 'fe80::1', '::ffff:10.0.0.1']) expect(checkOffer(offer({ host }), {}), host).to.deep.include({ ok: true });
    for (const host of ['example.com', '256.1.1.1', '1.2.3', '', 'a'.repeat(50), '127.0.0.1 ', '1.2.3.4/8']) {
      expect(checkOffer(offer({ host }), {}), host).to.deep.include({ ok: false, code: 'bad-file-name' });
    }
  });
});
