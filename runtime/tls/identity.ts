// The server's TLS identity: a certificate and its private key. Either the operator's (--tls-cert, --tls-key: PEM
// files, read and checked at start), or a self-signed one made on first start and kept in the data folder, so it
// survives restarts (its fingerprint is what clients remember). Made with @peculiar/x509 over node:crypto: no
// `openssl` binary at run time.
import { createPrivateKey, webcrypto, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { fingerprintOf } from './fingerprint.js';

export interface TlsIdentity {
  cert: string;
  key: string;
  /** SHA-256 of the certificate (see fingerprint.ts). */
  fingerprint: string;
  /** Where it came from: 'made' (self-signed, just now), 'kept' (self-signed, from the data folder), 'given'. */
  source: 'made' | 'kept' | 'given';
  certFile: string;
  keyFile: string;
}

/** A certificate or key that cannot be read or used: the server does not start. */
export class TlsIdentityError extends Error {}

/** Inside the data folder: where a self-signed identity is kept. */
export const IDENTITY_DIR = 'tls';
export const CERT_FILE = 'cert.pem';
export const KEY_FILE = 'key.pem';
const YEARS = 20;

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

/** Reads and checks a certificate and key given by the operator. */
export function loadIdentity(certFile: string, keyFile: string, source: TlsIdentity['source'] = 'given'): TlsIdentity {
  const cert = readPem(certFile, 'certificate');
  const key = readPem(keyFile, 'key');
  let parsed: X509Certificate;
  try { parsed = new X509Certificate(cert); } catch (e) {
    throw new TlsIdentityError(`${certFile} is not a PEM certificate (${(e as Error).message})`);
  }
  let pk: ReturnType<typeof createPrivateKey>;
  try { pk = createPrivateKey(key); } catch (e) {
    throw new TlsIdentityError(`${keyFile} is not a PEM private key (${(e as Error).message})`);
  }
  if (!parsed.checkPrivateKey(pk)) throw new TlsIdentityError(`the key ${keyFile} does not belong to the certificate ${certFile}`);
  return { cert, key, fingerprint: fingerprintOf(parsed), source, certFile, keyFile };
}

/** The identity kept in `dataDir` (made there, key file 0600, on first start). */
export async function loadOrMakeIdentity(dataDir: string, commonName = 'messenger'): Promise<TlsIdentity> {
  const dir = path.join(dataDir, IDENTITY_DIR);
  const certFile = path.join(dir, CERT_FILE), keyFile = path.join(dir, KEY_FILE);
  const hasCert = fs.existsSync(certFile), hasKey = fs.existsSync(keyFile);
  if (hasCert && hasKey) return loadIdentity(certFile, keyFile, 'kept');
  if (hasCert !== hasKey) {
    throw new TlsIdentityError(`${hasCert ? keyFile : certFile} is missing (the other half of the identity is there): restore it, or remove ${dir} to make a new identity (clients will see a new fingerprint)`);
  }
  const { cert, key } = await makeSelfSigned(commonName);
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeAtomic(keyFile, key, 0o600);
    writeAtomic(certFile, cert, 0o644);
  } catch (e) {
    throw new TlsIdentityError(`cannot keep the TLS identity in ${dir} (${(e as Error).message})`);
  }
  return { cert, key, fingerprint: fingerprintOf(cert), source: 'made', certFile, keyFile };
}

/** A fresh ECDSA P-256 key and a self-signed certificate for it, both PEM. */
export async function makeSelfSigned(commonName = 'messenger'): Promise<{ cert: string; key: string }> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const now = new Date();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(16))).toString('hex').replace(/^[89a-f]/, '1'),
    name: `CN=${commonName}`,
    notBefore: new Date(now.getTime() - 86_400_000),
    notAfter: new Date(now.getTime() + YEARS * 365 * 86_400_000),
    signingAlgorithm: alg,
    keys: keys as unknown as CryptoKeyPair,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'localhost' }, { type: 'ip', value: '127.0.0.1' }]),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const key = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n`;
  return { cert: cert.toString('pem') + '\n', key };
}

function readPem(file: string, what: string): string {
  try { return fs.readFileSync(file, 'utf8'); } catch (e) {
    throw new TlsIdentityError(`cannot read the ${what} ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** Writes through a temporary file and a rename, so a crash leaves the old file or the new one, never half. */
export function writeAtomic(file: string, text: string, mode: number): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, text, { mode });
    fs.chmodSync(tmp, mode);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}
