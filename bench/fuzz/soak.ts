// The soak: many connect, chat, download, disconnect cycles against one in-process server, with memory, handles,
// connections and pool ports measured before and after. Used by `npm run soak` (bench/soak.ts) and by
// spec/hostile/soak.spec.ts.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { ClientRuntime } from '../../runtime/client-runtime.js';
import type { ClientEvent } from '../../machines/client-events.js';
import { DEFAULT_SESSION_CONFIG } from '../../machines/session.machine.js';
import { makeLogger } from '../../runtime/logger.js';
import { MessengerServer, SERVER_DEFAULTS } from '../../runtime/server.js';
import { makeSelfSigned } from '../../runtime/tls/identity.js';

export interface SoakOptions { cycles: number; workers: number; downloadEvery: number; udpPorts: [number, number]; log?: (s: string) => void }
export interface SoakResult {
  cycles: number; downloads: number; messages: number; failures: string[]; seconds: number;
  heapBeforeMB: number; heapAfterMB: number; rssAfterMB: number;
  handlesBefore: Record<string, number>; handlesAfter: Record<string, number>;
  connectionsAfter: number; onlineAfter: number; portsFreeAfter: number; portsTotal: number; transfersActiveAfter: number;
}

const gc: () => void = (() => { v8.setFlagsFromString('--expose-gc'); return vm.runInNewContext('gc') as () => void; })();
function heapMB(): number { gc(); gc(); return process.memoryUsage().heapUsed / 1e6; }
function handles(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of process.getActiveResourcesInfo()) out[k] = (out[k] ?? 0) + 1;
  return out;
}

function waitEvent(rt: ClientRuntime, pred: (e: ClientEvent) => boolean, ms: number): Promise<ClientEvent> {
  return new Promise((resolve, reject) => {
    const on = (e: ClientEvent) => { if (pred(e)) { clearTimeout(t); rt.off('event', on); resolve(e); } };
    const t = setTimeout(() => { rt.off('event', on); reject(new Error('timeout')); }, ms);
    rt.on('event', on);
  });
}

export async function runSoak(o: SoakOptions): Promise<SoakResult> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'messenger-soak-'));
  const files = path.join(root, 'files'); fs.mkdirSync(files);
  const content = crypto.randomBytes(200_000);
  const sha = crypto.createHash('sha256').update(content).digest('hex');
  fs.writeFileSync(path.join(files, 'f.bin'), content);
  // TLS 1.3 as users run it: every cycle's connection pays a handshake
  const server = new MessengerServer({
    tls: await makeSelfSigned(),
    host: '127.0.0.1', port: 0, filesDir: files, maxPerAddress: SERVER_DEFAULTS.maxPerAddress, maxConnections: SERVER_DEFAULTS.maxConnections,
    maxOutboxBytes: SERVER_DEFAULTS.maxOutboxBytes, tickMs: 1000, log: makeLogger({ quiet: true }), session: DEFAULT_SESSION_CONFIG,
    transfers: { host: '127.0.0.1', ports: o.udpPorts, halfway: 0.5, chunk: 60000, cc: 'bbr', silentMs: 3000, maxPerSession: 4 },
  });
  await server.start();
  const res: SoakResult = {
    cycles: 0, downloads: 0, messages: 0, failures: [], seconds: 0, heapBeforeMB: 0, heapAfterMB: 0, rssAfterMB: 0, handlesBefore: {}, handlesAfter: {},
    connectionsAfter: -1, onlineAfter: -1, portsFreeAfter: -1, portsTotal: server.transfers.pool.size, transfersActiveAfter: -1,
  };
  const started = Date.now();
  let next = 0;
  const cycle = async (n: number) => {
    const dir = path.join(root, `dl-${n}`);
    const rt = new ClientRuntime({ host: '127.0.0.1', port: server.port, name: `soak${n}`, downloadsDir: dir, yes: true, reconnect: false, tls: { knownHosts: null } });
    try {
      const conn = waitEvent(rt, (e) => e.type === 'connected' || e.type === 'disconnected', 5000);
      rt.start();
      if ((await conn).type !== 'connected') throw new Error('not connected');
      const echo = waitEvent(rt, (e) => e.type === 'message' && e.text === `cycle ${n}`, 5000);
      rt.command(`cycle ${n}`);
      await echo; res.messages++;
      if (n % o.downloadEvery === 0) {
        for (;;) {
          const done = waitEvent(rt, (e) => e.type === 'finished' || e.type === 'error', 10000);
          rt.command('/get f.bin');
          const ev = await done;
          if (ev.type === 'error' && ev.code === 'busy') { await new Promise((r) => setTimeout(r, 20)); continue; }
          if (ev.type !== 'finished' || ev.sha256 !== sha) throw new Error(`download: ${JSON.stringify(ev).slice(0, 200)}`);
          res.downloads++;
          break;
        }
      }
      await rt.quit();
      res.cycles++;
    } catch (e) {
      res.failures.push(`cycle ${n}: ${(e as Error).message}`);
      rt.actor.stop();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
  // warm up, then measure
  await Promise.all(Array.from({ length: o.workers }, (_, i) => cycle(-1 - i)));
  res.cycles = 0; res.messages = 0; res.downloads = 0;
  await new Promise((r) => setTimeout(r, 200));
  res.heapBeforeMB = heapMB();
  res.handlesBefore = handles();
  await Promise.all(Array.from({ length: o.workers }, async () => {
    while (next < o.cycles) {
      const n = next++;
      await cycle(n);
      if (n % 500 === 499) o.log?.(`  ... ${n + 1} cycles, heap ${heapMB().toFixed(1)} MB`);
    }
  }));
  const settle = Date.now() + 3000;
  while (Date.now() < settle && (server.connections || server.hub.size || server.transfers.pool.available !== server.transfers.pool.size)) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 200));
  res.heapAfterMB = heapMB();
  res.rssAfterMB = process.memoryUsage().rss / 1e6;
  res.handlesAfter = handles();
  res.connectionsAfter = server.connections; res.onlineAfter = server.hub.size;
  res.portsFreeAfter = server.transfers.pool.available; res.transfersActiveAfter = server.transfers.active;
  res.seconds = (Date.now() - started) / 1000;
  await server.stop();
  fs.rmSync(root, { recursive: true, force: true });
  return res;
}

export function formatSoak(r: SoakResult): string {
  return [
    `soak: ${r.cycles} cycles (${r.messages} messages, ${r.downloads} downloads) in ${r.seconds.toFixed(1)} s, ${r.failures.length} failures`,
    `  heap ${r.heapBeforeMB.toFixed(1)} MB -> ${r.heapAfterMB.toFixed(1)} MB, rss ${r.rssAfterMB.toFixed(0)} MB`,
    `  handles before ${JSON.stringify(r.handlesBefore)} after ${JSON.stringify(r.handlesAfter)}`,
    `  after: ${r.connectionsAfter} connections, ${r.onlineAfter} online, ${r.portsFreeAfter}/${r.portsTotal} ports free, ${r.transfersActiveAfter} transfers`,
    ...r.failures.slice(0, 5).map((f) => `  ! ${f}`),
  ].join('\n');
}
