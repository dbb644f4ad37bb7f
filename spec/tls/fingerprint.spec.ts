import { expect } from 'chai';
import { createHash, X509Certificate } from 'node:crypto';
import { fingerprintOf, normalizeFingerprint } from '../../runtime/tls/fingerprint.js';
import { TEST_IDENTITY } from '../helpers/tls.js';

describe('tls/fingerprint: one spelling of a SHA-256 fingerprint', () => {
  it("is the SHA-256 of the certificate's DER, colon-separated upper-case hex (openssl's spelling)", () => {
    const der = new X509Certificate(TEST_IDENTITY.cert).raw;
    const hex = createHash('sha256').update(der).digest('hex').toUpperCase();
    const fp = fingerprintOf(TEST_IDENTITY.cert);
    expect(fp).to.equal(hex.match(/../g)!.join(':'));
    expect(fp).to.match(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  });

  it('accepts either spelling on input (colons or none, any case, a sha256: prefix) and gives the canonical one', () => {
    const fp = TEST_IDENTITY.fingerprint;
    const bare = fp.replace(/:/g, '');
    for (const x of [fp, fp.toLowerCase(), bare, bare.toLowerCase(), `SHA256:${bare}`, ` ${fp} `]) expect(normalizeFingerprint(x)).to.equal(fp);
  });

  it('refuses what is not 32 bytes of hex', () => {
    for (const x of ['', 'abc', TEST_IDENTITY.fingerprint.slice(3), TEST_IDENTITY.fingerprint.replace(/^../, 'ZZ'), 'a'.repeat(66)]) expect(normalizeFingerprint(x)).to.equal(null);
  });
});
