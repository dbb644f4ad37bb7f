// A plain Node TCP peer, the baseline for loopback: `server FILE` pipes FILE to each connection; `client PORT OUT
// [nodisk]` writes what arrives to OUT (unless nodisk) and hashes it, like our client does. Prints JSON lines; each
// side reports its own CPU seconds and wall time over the transfer.
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';

const [mode, a, b, c] = process.argv.slice(2);
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };

if (mode === 'server') {
  const server = net.createServer((sock) => {
    const c0 = cpu();
    const rs = fs.createReadStream(a);
    rs.pipe(sock);
    sock.on('close', () => out({ type: 'sent', cpu: cpu() - c0 }));
    sock.on('error', () => {});
  });
  server.listen(0, '127.0.0.1', () => out({ type: 'listening', port: server.address().port }));
} else {
  const t0 = performance.now();
  const c0 = cpu();
  const hash = crypto.createHash('sha256');
  const ws = b && c !== 'nodisk' ? fs.createWriteStream(b) : null;
  let bytes = 0;
  const sock = net.connect(Number(a), '127.0.0.1');
  sock.on('data', (d) => { bytes += d.length; hash.update(d); if (ws && !ws.write(d)) { sock.pause(); ws.once('drain', () => sock.resume()); } });
  sock.on('end', () => {
    const done = () => { out({ type: 'done', bytes, sha256: hash.digest('hex'), seconds: (performance.now() - t0) / 1000, cpu: cpu() - c0 }); process.exit(0); };
    if (ws) ws.end(done); else done();
  });
}
