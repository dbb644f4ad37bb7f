// A real TLS 1.3 connection on loopback, both ends in this process: the test fixture certificate (spec/fixtures/) on
// the server end, the client trusting exactly that certificate. For tests of what is keyed from a TLS session.
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
export const TEST_CERT = fs.readFileSync(path.join(FIXTURES, 'tls-cert.pem'));
export const TEST_KEY = fs.readFileSync(path.join(FIXTURES, 'tls-key.pem'));

export interface TlsPair { server: tls.TLSSocket; client: tls.TLSSocket; close(): Promise<void> }

/** Connects a TLS 1.3 client to a TLS 1.3 server on 127.0.0.1; resolves once both ends finished the handshake. */
export async function tlsPair(): Promise<TlsPair> {
  const listener = tls.createServer({ cert: TEST_CERT, key: TEST_KEY, minVersion: 'TLSv1.3' });
  const accepted = new Promise<tls.TLSSocket>((resolve) => listener.once('secureConnection', resolve));
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const port = (listener.address() as { port: number }).port;
  const client = tls.connect({ host: '127.0.0.1', port, ca: TEST_CERT, servername: 'localhost', minVersion: 'TLSv1.3' });
  await new Promise<void>((resolve, reject) => { client.once('secureConnect', resolve); client.once('error', reject); });
  const server = await accepted;
  return {
    server, client,
    close: async () => {
      client.destroy();
      server.destroy();
      await new Promise<void>((resolve) => listener.close(() => resolve()));
    },
  };
}
