// A udx-native peer (libudx: reliable streams over UDP with its own congestion control), for comparison.
//   server FILE [PORT] [HOST]            one UDP socket; each client's hello (its stream id) gets a stream that
//                                        sends FILE
//   client PORT OUTDIR N [nodisk] [HOST] N downloads at once, each on its own socket, to HOST:PORT (default
//                                        127.0.0.1: the server, or the link emulator in front of it); writes each
//                                        to OUTDIR (unless nodisk, or OUTDIR '-'), hashes it, prints progress every
//                                        100 ms, then a summary with its CPU seconds.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import UDX from 'udx-native';

const [mode, a, b, c, d, e] = process.argv.slice(2);
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
const udx = new UDX();
const SERVER_ID_OFFSET = 1_000_000;

if (mode === 'server') {
  const socket = udx.createSocket();
  socket.bind(Number(b ?? 0), c ?? '127.0.0.1');
  const seen = new Set();
  let c0 = null;
  let active = 0;
  socket.on('message', (msg, from) => {
    const id = Number(msg.toString());
    const key = `${from.port}/${id}`;
    if (!Number.isInteger(id) || seen.has(key)) return;
    seen.add(key);
    if (active++ === 0) c0 = cpu();
    const stream = udx.createStream(id + SERVER_ID_OFFSET);
    stream.connect(socket, id, from.port, from.host);
    stream.on('error', () => {});
    stream.on('close', () => { if (--active === 0) out({ type: 'sent', cpu: cpu() - c0 }); });
    fs.createReadStream(a, { highWaterMark: 1 << 16 }).pipe(stream);
    stream.resume(); // nothing to read from the client, but let the end arrive
  });
  out({ type: 'listening', port: socket.address().port });
} else {
  const port = Number(a);
  const n = Number(c ?? 1);
  const nodisk = d === 'nodisk' || b === '-';
  const host = e ?? '127.0.0.1';
  const c0 = cpu();
  const t0 = performance.now();
  let left = n;
  const base = 1 + Math.floor(Math.random() * 100_000);
  for (let i = 0; i < n; i++) {
    const socket = udx.createSocket();
    socket.bind(0, host === '127.0.0.1' ? '127.0.0.1' : '0.0.0.0');
    const id = base + i;
    const stream = udx.createStream(id);
    stream.connect(socket, id + SERVER_ID_OFFSET, port, host);
    const hash = crypto.createHash('sha256');
    const ws = nodisk ? null : fs.createWriteStream(path.join(b, `udx-${i}.bin`));
    let received = 0;
    // the hello may be lost on an impaired link: repeat it until data flows
    const hello = () => { if (received === 0) socket.trySend(Buffer.from(String(id)), port, host); };
    hello();
    const helloTimer = setInterval(hello, 200);
    const tick = setInterval(() => out({ type: 'progress', i, received, t: performance.now() - t0 }), 100);
    stream.on('data', (buf) => {
      received += buf.length;
      hash.update(buf);
      if (ws && !ws.write(buf)) { stream.pause(); ws.once('drain', () => stream.resume()); }
    });
    stream.on('error', (e) => out({ type: 'error', i, message: e.message }));
    stream.on('end', () => {
      clearInterval(helloTimer);
      clearInterval(tick);
      const fin = () => {
        out({ type: 'done', i, bytes: received, sha256: hash.digest('hex'), t: performance.now() - t0 });
        stream.end();
        if (--left === 0) {
          out({ type: 'summary', seconds: (performance.now() - t0) / 1000, cpu: cpu() - c0 });
          setTimeout(() => process.exit(0), 50);
        }
      };
      if (ws) ws.end(fin); else fin();
    });
  }
}
