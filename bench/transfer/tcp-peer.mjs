// A plain Node TCP peer, the baseline (Linux's CUBIC on the kernel bed). `server FILE [HOST]` pipes FILE to each
// connection; `server gen:BYTES [HOST]` sends BYTES of generated data instead (cross traffic that needs no file);
// `client PORT OUT|- [nodisk|hash] [HOST]` writes what arrives to OUT (unless `nodisk`, or OUT is `-`): like a plain
// download it does not hash, unless `hash` is given. Prints JSON lines: `progress` (cumulative bytes, every 100 ms),
// then `done`; each side reports its own CPU seconds and wall time over the transfer.
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';

const [mode, a, b, c, d] = process.argv.slice(2);
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };

if (mode === 'server') {
  const host = b ?? '127.0.0.1';
  const server = net.createServer((sock) => {
    const c0 = cpu();
    sock.on('close', () => out({ type: 'sent', cpu: cpu() - c0 }));
    sock.on('error', () => {});
    if (a.startsWith('gen:')) {
      let left = Number(a.slice(4));
      const block = crypto.randomBytes(1 << 16);
      const pump = () => {
        while (left > 0) {
          const n = Math.min(left, block.length);
          left -= n;
          if (!sock.write(n === block.length ? block : block.subarray(0, n))) { sock.once('drain', pump); return; }
        }
        sock.end();
      };
      pump();
    } else fs.createReadStream(a).pipe(sock);
  });
  server.listen(0, host, () => out({ type: 'listening', port: server.address().port }));
} else {
  const host = d ?? '127.0.0.1';
  const t0 = performance.now();
  const c0 = cpu();
  const hash = c === 'hash' ? crypto.createHash('sha256') : null;
  const ws = b && b !== '-' && c !== 'nodisk' ? fs.createWriteStream(b) : null;
  let bytes = 0;
  const tick = setInterval(() => out({ type: 'progress', t: performance.now() - t0, received: bytes }), 100);
  const sock = net.connect(Number(a), host);
  sock.on('connect', () => out({ type: 'connected', t: performance.now() - t0 }));
  sock.on('data', (chunk) => { bytes += chunk.length; hash?.update(chunk); if (ws && !ws.write(chunk)) { sock.pause(); ws.once('drain', () => sock.resume()); } });
  sock.on('end', () => {
    clearInterval(tick);
    const done = () => { out({ type: 'done', bytes, sha256: hash?.digest('hex'), t: performance.now() - t0, seconds: (performance.now() - t0) / 1000, cpu: cpu() - c0 }); process.exit(0); };
    if (ws) ws.end(done); else done();
  });
  sock.on('error', (e) => { out({ type: 'error', message: e.message }); process.exit(1); });
}
