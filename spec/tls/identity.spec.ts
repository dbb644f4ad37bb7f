import { expect } from 'chai';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CERT_FILE, IDENTITY_DIR, KEY_FILE, loadIdentity, loadOrMakeIdentity, makeSelfSigned, TlsIdentityError } from '../../runtime/tls/identity.js';
import { makeTempDir, removeDir } from '../helpers/tmp.js';

describe("tls/identity: the server's certificate and key", () => {
  let dir: string;
  beforeEach(() => { dir = makeTempDir('identity-'); });
  afterEach(() => removeDir(dir));

  it('makes a self-signed identity on first start, key 0600, and keeps it: the next start has the same fingerprint', async () => {
    const a = await loadOrMakeIdentity(path.join(dir, 'data'));
    expect(a.source).to.equal('made');
    expect(fs.statSync(a.keyFile).mode & 0o777).to.equal(0o600);
    expect(fs.statSync(path.join(dir, 'data', IDENTITY_DIR)).mode & 0o777).to.equal(0o700);
    const x = new X509Certificate(a.cert);
    expect(x.subject).to.contain('CN=messenger');
    expect(x.ca).to.equal(false);
    const b = await loadOrMakeIdentity(path.join(dir, 'data'));
    expect(b.source).to.equal('kept');
    expect(b.fingerprint).to.equal(a.fingerprint);
  });

  it('makes a different identity each time it makes one', async () => {
    const [a, b] = await Promise.all([makeSelfSigned(), makeSelfSigned()]);
    expect(a.cert).to.not.equal(b.cert);
  });

  it('loads given PEM files and refuses a key that is not the certificate\'s', async () => {
    const a = await makeSelfSigned(), b = await makeSelfSigned();
    fs.writeFileSync(path.join(dir, 'a.crt'), a.cert); fs.writeFileSync(path.join(dir, 'a.key'), a.key); fs.writeFileSync(path.join(dir, 'b.key'), b.key);
    expect(loadIdentity(path.join(dir, 'a.crt'), path.join(dir, 'a.key')).source).to.equal('given');
    expect(() => loadIdentity(path.join(dir, 'a.crt'), path.join(dir, 'b.key'))).to.throw(TlsIdentityError, /does not belong/);
  });

  it('gives a clear error for a corrupt certificate, a corrupt key, a missing file, or half an identity kept', async () => {
    const a = await makeSelfSigned();
    fs.writeFileSync(path.join(dir, 'bad.crt'), '-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n');
    fs.writeFileSync(path.join(dir, 'bad.key'), 'garbage');
    fs.writeFileSync(path.join(dir, 'a.crt'), a.cert); fs.writeFileSync(path.join(dir, 'a.key'), a.key);
    expect(() => loadIdentity(path.join(dir, 'bad.crt'), path.join(dir, 'a.key'))).to.throw(TlsIdentityError, /bad\.crt is not a PEM certificate/);
    expect(() => loadIdentity(path.join(dir, 'a.crt'), path.join(dir, 'bad.key'))).to.throw(TlsIdentityError, /bad\.key is not a PEM private key/);
    expect(() => loadIdentity(path.join(dir, 'none.crt'), path.join(dir, 'a.key'))).to.throw(TlsIdentityError, /cannot read the certificate .*ENOENT/);
    const data = path.join(dir, 'data');
    fs.mkdirSync(path.join(data, IDENTITY_DIR), { recursive: true });
    fs.writeFileSync(path.join(data, IDENTITY_DIR, CERT_FILE), a.cert);
    let err: unknown;
    try { await loadOrMakeIdentity(data); } catch (e) { err = e; }
    expect(err).to.be.instanceOf(TlsIdentityError);
    expect((err as Error).message).to.contain(KEY_FILE).and.contain('missing');
  });
});
