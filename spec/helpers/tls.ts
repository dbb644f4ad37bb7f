// TLS for the tests, as users get it: one self-signed identity for all tests (a fixture), a fresh MESSENGER_HOME
// per client (so nothing touches ~/.config), and TLS client sockets that accept the test identity (raw test
// clients check no identity; the client runtime does, on first use).
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { makeSelfSigned } from '../../runtime/tls/identity.js';
import { fingerprintOf } from '../../runtime/tls/fingerprint.js';
import { KnownHosts } from '../../runtime/tls/known-hosts.js';
import { makeTempDir } from './tmp.js';

// A fixed self-signed identity (made once with makeSelfSigned, kept as a fixture) read synchronously: a top-level
// await here would make tsx's require() of a spec fail half-way and mocha load the spec twice (two module instances).
const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const cert = fs.readFileSync(path.join(FIXTURES, 'test-identity.crt'), 'utf8');
const key = fs.readFileSync(path.join(FIXTURES, 'test-identity.key'), 'utf8');
/** The identity every test server uses unless a test gives another. */
export const TEST_IDENTITY: { cert: string; key: string; fingerprint: string } = { cert, key, fingerprint: fingerprintOf(cert) };

/** Another identity (a second server "on the same address"). */
export async function otherIdentity(): Promise<{ cert: string; key: string; fingerprint: string }> {
  const m = await makeSelfSigned('messenger other');
  return { ...m, fingerprint: fingerprintOf(m.cert) };
}

/** A fresh, empty MESSENGER_HOME (the caller removes it). */
export function tempHome(): string { return makeTempDir('messenger-home-'); }

/** A client's known_hosts in a fresh MESSENGER_HOME. */
export function tempKnownHosts(): { knownHosts: KnownHosts; home: string } {
  const home = tempHome();
  return { knownHosts: KnownHosts.in(home), home };
}

/** A TCP connection, through TLS 1.3 unless `secure` is false; resolves once it can carry frames. */
export function connectSocket(port: number, host = '127.0.0.1', secure = true, extra: { allowHalfOpen?: boolean } = {}): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = secure
      ? tls.connect({ port, host, rejectUnauthorized: false, minVersion: 'TLSv1.3', ...extra } as tls.ConnectionOptions)
      : net.connect({ port, host, ...extra } as net.NetConnectOpts);
    s.once('error', reject);
    s.once(secure ? 'secureConnect' : 'connect', () => { s.off('error', reject); s.setNoDelay(true); resolve(s); });
  });
}
