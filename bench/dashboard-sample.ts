// npm run bench:dashboard-sample [-- N]: what one dashboard sample costs the server, measured in process against a
// real server with N clients online (default 50): reading the sessions, updating the view model, rendering the
// changed parts as HTML, serializing the push. Prints milliseconds per sample for each step (mean of 1,000).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_SESSION_CONFIG } from '../machines/session.machine.js';
import { LIMITS } from '../machines/limits.js';
import { ClientRuntime } from '../runtime/client-runtime.js';
import { actorsOf, renderParts } from '../runtime/dashboard/http.js';
import { Observer } from '../runtime/dashboard/observation.js';
import { ViewModel } from '../runtime/dashboard/view-model.js';
import { makeLogger } from '../runtime/logger.js';
import { MessengerServer, SERVER_DEFAULTS } from '../runtime/server.js';

const n = Number(process.argv[2] ?? 50);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-dashboard-'));
const server = new MessengerServer({
  host: '127.0.0.1', port: 0, filesDir: tmp, maxPerAddress: 0, maxConnections: SERVER_DEFAULTS.maxConnections,
  maxOutboxBytes: SERVER_DEFAULTS.maxOutboxBytes, tickMs: SERVER_DEFAULTS.tickMs, log: makeLogger({ quiet: true }),
  session: DEFAULT_SESSION_CONFIG,
  transfers: { host: '127.0.0.1', ports: [59999, 59999], halfway: 0.5, chunk: 60000, cc: 'bbr', maxPerSession: LIMITS.transfersPerClient },
});
const clients: ClientRuntime[] = [];
try {
  await server.start();
  for (let i = 0; i < n; i++) {
    const c = new ClientRuntime({ host: '127.0.0.1', port: server.port, name: `u${i}`, downloadsDir: tmp, yes: false, reconnect: false, tls: false });
    clients.push(c);
    await new Promise<void>((resolve, reject) => {
      c.on('event', (e) => { if (e.type === 'connected') resolve(); else if (e.type === 'error' || e.type === 'disconnected') reject(new Error(JSON.stringify(e))); });
      c.start();
    });
  }
  const observer = new Observer(server, { address: 'bench' });
  const vm = new ViewModel();
  const t = { read: 0, 'view model': 0, html: 0, json: 0 };
  const N = 1000;
  let bytes = 0;
  for (let i = 0; i < N + 100; i++) {
    const a = performance.now(); const o = observer.sample();
    const b = performance.now(); const f = vm.update(o);
    const c = performance.now(); const parts = renderParts(f, 'token');
    const d = performance.now(); const json = JSON.stringify({ now: f.now, parts, events: [], point: f.point, actors: actorsOf(f) });
    const e = performance.now();
    if (i < 100) continue; // warm-up
    t.read += b - a; t['view model'] += c - b; t.html += d - c; t.json += e - d; bytes += json.length;
  }
  const total = Object.values(t).reduce((x, y) => x + y, 0) / N;
  for (const [k, v] of Object.entries(t)) process.stdout.write(`${k.padEnd(11)} ${(v / N).toFixed(3)} ms\n`);
  process.stdout.write(`total       ${total.toFixed(3)} ms per sample with ${n} clients online, ${(bytes / N / 1024).toFixed(1)} KB per push; ten a second: ${total.toFixed(1)}% of one core\n`);
} finally {
  for (const c of clients) c.end();
  await server.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
}
process.exit(0);
