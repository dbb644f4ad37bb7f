// One end of the AEAD transfer benchmark (bench/transfer-aead.ts), as its own process: the real TransfersHost
// (server) or Downloads (client), their control frames as NDJSON over a TLS 1.3 connection (datagrams sealed with
// AES-128-GCM keyed from it) or over plain TCP (CRC and token), exactly as the runtime picks the protection.
//   server: --role server --port P --pool A --files DIR [--tls]   prints {"listening":P}, runs until killed
//   client: --role client --port P --dir DIR --file NAME [--tls]  prints the finished event (and its CPU), exits
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { ClientFrame, ServerFrame, TransferServerFrame } from '../../machines/frames.js';
import { Catalogue } from '../../runtime/catalogue.js';
import type { Connection } from '../../runtime/connection.js';
import { Downloads } from '../../runtime/downloads.js';
import { makeLogger } from '../../runtime/logger.js';
import { TransfersHost } from '../../runtime/transfers-host.js';
import { LIMITS } from '../../machines/limits.js';
import { LineSplitter } from '../../runtime/line-splitter.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../spec/fixtures');
const cert = fs.readFileSync(path.join(FIXTURES, 'tls-cert.pem'));
const key = fs.readFileSync(path.join(FIXTURES, 'tls-key.pem'));

const { values: v } = parseArgs({
  options: {
    role: { type: 'string' }, port: { type: 'string' }, pool: { type: 'string' }, files: { type: 'string' },
    dir: { type: 'string' }, file: { type: 'string' }, tls: { type: 'boolean' },
  },
  strict: true,
});

/** Lines of NDJSON from a stream, each handed on decoded (split by the runtime's own bounded splitter). */
function onLines(s: net.Socket, f: (frame: Record<string, unknown>) => void): void {
  const lines = new LineSplitter(LIMITS.maxServerLine, {
    line: (bytes) => f(JSON.parse(bytes.toString('utf8')) as Record<string, unknown>),
    tooLong: () => { throw new Error('an overlong NDJSON line'); },
  });
  s.on('data', (chunk: Buffer) => lines.push(chunk));
}

if (v.role === 'server') {
  const pool = Number(v.pool);
  const host = new TransfersHost(new Catalogue(v.files!), {
    host: '127.0.0.1', ports: [pool, pool + 3], halfway: 0, chunk: 60000, cc: 'bbr', maxPerSession: 4,
  }, makeLogger(process.env.BENCH_LOG ? { json: true } : { quiet: true }));
  await host.start();
  const accept = (s: net.Socket) => {
    s.setNoDelay(true);
    s.on('error', () => {});
    const conn = { socket: s, send: (f: ServerFrame) => { s.write(`${JSON.stringify(f)}\n`); } } as unknown as Connection;
    onLines(s, (f) => host.handle(conn, f as Extract<ClientFrame, { type: 'get' | 'consent' | 'stop' }>, 'bench'));
    s.on('close', () => host.sessionEnded(conn, 'gone'));
  };
  const server = v.tls ? tls.createServer({ cert, key, minVersion: 'TLSv1.3' }, accept) : net.createServer(accept);
  process.on('SIGINT', () => process.exit(0)); // an orderly exit (writes a --cpu-prof profile)
  server.listen(Number(v.port), '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ listening: Number(v.port) })}\n`));
} else {
  const port = Number(v.port);
  const s: net.Socket = v.tls
    ? tls.connect({ host: '127.0.0.1', port, ca: cert, servername: 'localhost', minVersion: 'TLSv1.3' })
    : net.connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => { s.once(v.tls ? 'secureConnect' : 'connect', () => resolve()); s.once('error', reject); });
  const downloads: Downloads = new Downloads({ host: '127.0.0.1', dir: v.dir!, yes: true }, {
    send: (f) => s.write(`${JSON.stringify(f)}\n`),
    emit: (e) => {
      if (e.type === 'finished' || e.type === 'error') {
        const cpu = process.cpuUsage();
        process.stdout.write(`${JSON.stringify({ ...e, cpuSeconds: (cpu.user + cpu.system) / 1e6 })}\n`);
        s.destroy();
        downloads.shutdown();
        setImmediate(() => process.exit(0));
      }
    },
    serverAddress: () => '127.0.0.1',
    userName: () => 'bench',
    tlsSocket: () => (s instanceof tls.TLSSocket ? s : null),
  });
  onLines(s, (f) => {
    if (f.type === 'error') downloads.onError(f as Extract<ServerFrame, { type: 'error' }>);
    else downloads.onFrame(f as TransferServerFrame);
  });
  downloads.request(v.file!);
}
