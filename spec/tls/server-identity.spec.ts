import { expect } from 'chai';
import { webcrypto } from 'node:crypto';
import tls from 'node:tls';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { KnownHosts } from '../../runtime/tls/known-hosts.js';
import { judgeServer, type TrustOptions } from '../../runtime/tls/server-identity.js';
import { makeTempDir, removeDir } from '../helpers/tmp.js';
import { otherIdentity, TEST_IDENTITY } from '../helpers/tls.js';

/** A TLS listener with `id`, and a client socket to it (verified against `ca` if given), judged by judgeServer. */
async function judged(id: { cert: string; key: string }, trust: TrustOptions, ca?: string, servername?: string) {
  const server = tls.createServer({ cert: id.cert, key: id.key, minVersion: 'TLSv1.3' }, (s) => s.end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  try {
    const s = await new Promise<tls.TLSSocket>((resolve, reject) => {
      const c = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, servername, ...(ca ? { ca: [ca] } : {}) }, () => resolve(c));
      c.once('error', reject);
    });
    const v = judgeServer(s, `127.0.0.1:${port}`, trust);
    s.destroy();
    return { v, hostPort: `127.0.0.1:${port}` };
  } finally { server.close(); }
}

/** A CA and a certificate it signed for `host` (what a real CA gives a server). */
async function caAndLeaf(host: string) {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  x509.cryptoProvider.set(webcrypto as unknown as Crypto);
  const caKeys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']) as unknown as CryptoKeyPair;
  const leafKeys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']) as unknown as CryptoKeyPair;
  const notBefore = new Date(Date.now() - 86_400_000), notAfter = new Date(Date.now() + 86_400_000);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01', name: 'CN=Test CA', notBefore, notAfter, signingAlgorithm: alg, keys: caKeys,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)],
  });
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: '02', subject: `CN=${host}`, issuer: ca.subject, notBefore, notAfter, signingAlgorithm: alg,
    publicKey: leafKeys.publicKey, signingKey: caKeys.privateKey,
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: host }])],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', leafKeys.privateKey));
  const key = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64')}\n-----END PRIVATE KEY-----\n`;
  return { ca: ca.toString('pem'), cert: leaf.toString('pem'), key };
}

describe("tls/server-identity: whether the client trusts the server's certificate", () => {
  let dir: string;
  let kh: KnownHosts;
  beforeEach(() => { dir = makeTempDir('judge-'); kh = KnownHosts.in(dir); });
  afterEach(() => removeDir(dir));

  it('trusts a new self-signed server on first use and remembers its fingerprint', async () => {
    const { v, hostPort } = await judged(TEST_IDENTITY, { knownHosts: kh });
    expect(v).to.deep.include({ ok: true, how: 'first-use', fingerprint: TEST_IDENTITY.fingerprint });
    expect(kh.get(hostPort)).to.equal(TEST_IDENTITY.fingerprint);
  });

  it('refuses a different fingerprint for a remembered host:port, saying what happened and how to accept it', async () => {
    const other = await otherIdentity();
    const server = tls.createServer({ cert: other.cert, key: other.key }, (s) => s.end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    server.close();
    await new Promise((r) => server.once('close', r));
    kh.set(`127.0.0.1:${port}`, TEST_IDENTITY.fingerprint);
    // the same port, now another identity: bind it again
    const again = tls.createServer({ cert: other.cert, key: other.key }, (s) => s.end());
    await new Promise<void>((r) => again.listen(port, '127.0.0.1', r));
    try {
      const s = await new Promise<tls.TLSSocket>((resolve, reject) => { const c = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => resolve(c)); c.once('error', reject); });
      const v = judgeServer(s, `127.0.0.1:${port}`, { knownHosts: kh });
      s.destroy();
      expect(v.ok).to.equal(false);
      if (v.ok) return;
      expect(v.fingerprint).to.equal(other.fingerprint);
      expect(v.message).to.contain('different certificate').and.contain(`--trust ${other.fingerprint}`).and.contain(kh.file).and.contain('nothing was sent');
      expect(kh.get(`127.0.0.1:${port}`)).to.equal(TEST_IDENTITY.fingerprint);
    } finally { again.close(); }
  });

  it('--trust accepts exactly that fingerprint (and remembers it), and refuses any other', async () => {
    const ok = await judged(TEST_IDENTITY, { knownHosts: kh, trust: TEST_IDENTITY.fingerprint.replace(/:/g, '').toLowerCase() });
    expect(ok.v).to.deep.include({ ok: true, how: 'trust' });
    expect(kh.get(ok.hostPort)).to.equal(TEST_IDENTITY.fingerprint);
    const other = await otherIdentity();
    const no = await judged(TEST_IDENTITY, { knownHosts: kh, trust: other.fingerprint });
    expect(no.v.ok).to.equal(false);
    if (!no.v.ok) expect(no.v.message).to.contain('--trust');
  });

  it('trusts a CA-signed certificate for its host name without remembering it, and not for another name', async () => {
    const { ca, cert, key } = await caAndLeaf('chat.example');
    const good = await judged({ cert, key }, { knownHosts: kh }, ca, 'chat.example');
    expect(good.v).to.deep.include({ ok: true, how: 'ca' });
    expect(kh.get(good.hostPort)).to.equal(null);
    // the right CA, the wrong name: not verified, so it falls back to trust on first use
    const wrong = await judged({ cert, key }, { knownHosts: kh }, ca, 'other.example');
    expect(wrong.v).to.deep.include({ ok: true, how: 'first-use' });
  });
});
