// The soak: many connect, chat, download, disconnect cycles against one in-process server, with memory, handles,
// connections and pool ports measured before and after. Used by `npm run soak` (bench/soak.ts) and by
// spec/hostile/soak.spec.ts.
//
// Memory is measured as heap retained per session: after a warm-up (long enough to fill every bounded store, such
// as the 100-message history), the cycles run in rounds; between rounds every session has ended, the server is
// idle, and the heap is read after full GC once it has stopped shrinking (settledHeapBytes). The least-squares slope of those readings against the
// number of sessions is the bytes each session leaves behind; a constant offset (a cache filled once) does not
// move it, and noise is spread over all the rounds. A leak of 1 KB per session shows as a slope of about 1024.
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

export interface SoakOptions {
  cycles: number; workers: number; downloadEvery: number; udpPorts: [number, number]; log?: (s: string) => void;
  /** Cycles run before the baseline is taken (default 200: more than the 100 messages the history keeps). */
  warmup?: number;
  /** Heap readings after the baseline, evenly spread over the cycles (default 4). */
  rounds?: number;
  /** Called once per measured session (a test uses it to inject a leak of its own). */
  onSession?: (n: number) => void;
}

/** One heap reading after full GC: `sessions` measured sessions ended so far, `bytes` of V8 heap in use (code aside). */
export interface HeapSample { sessions: number; bytes: number }

/** The retained-heap bound the soak enforces: a session may leave at most this many bytes behind (1 KB is caught: a
 *  leak of 1,024 bytes a session measures 1,730-1,750). Five runs of the 400-cycle slice without a leak measured -216,
 *  -199, -194, +335 and +524 bytes (the slope of five settled-heap readings over 400 sessions: 0.2 MB of heap is
 *  within V8's own drift), so 512 was inside the noise. */
export const MAX_RETAINED_BYTES_PER_SESSION = 768;
export interface SoakResult {
  cycles: number; downloads: number; messages: number; failures: string[]; seconds: number;
  heapBeforeMB: number; heapAfterMB: number; rssAfterMB: number;
  /** Heap readings after full GC, the baseline first. */
  heapSamples: HeapSample[];
  /** Bytes of heap each session leaves behind: the slope of heapSamples (least squares). */
  retainedPerSession: number;
  handlesBefore: Record<string, number>; handlesAfter: Record<string, number>;
  connectionsAfter: number; onlineAfter: number; portsFreeAfter: number; portsTotal: number; transfersActiveAfter: number;
}

const gc: () => void = (() => { v8.setFlagsFromString('--expose-gc'); return vm.runInNewContext('gc') as () => void; })();
/**
 * The heap in use once it has settled: an ended session may still be held for a while by a timer of its own (a
 * socket's 2 s destroy fallback, for one), so readings after full GC are taken every SETTLE_STEP_MS until the last
 * ones, spanning SETTLE_SPAN_MS (longer than any such timer), differ by less than SETTLE_BYTES.
 */
async function settledHeapBytes(): Promise<number> {
  const deadline = Date.now() + SETTLE_MAX_MS;
  const window: number[] = [await heapBytes()];
  const need = SETTLE_SPAN_MS / SETTLE_STEP_MS + 1;
  for (;;) {
    await new Promise((r) => setTimeout(r, SETTLE_STEP_MS));
    window.push(await heapBytes());
    if (window.length > need) window.shift();
    if ((window.length === need && Math.max(...window) - Math.min(...window) < SETTLE_BYTES) || Date.now() > deadline) return window.at(-1)!;
  }
}
const SETTLE_STEP_MS = 500;
const SETTLE_SPAN_MS = 2500;
const SETTLE_BYTES = 16 * 1024;
const SETTLE_MAX_MS = 15_000;

/**
 * V8 heap in use after full GC, without the code spaces: compiled code keeps growing for a long while as the JIT
 * optimises more functions, which is not memory a session leaves behind.
 */
async function heapBytes(): Promise<number> {
  for (let i = 0; i < 3; i++) { gc(); await new Promise((r) => setImmediate(r)); } // finalizers and weak refs run between
  return v8.getHeapSpaceStatistics().filter((x) => !x.space_name.startsWith('code')).reduce((a, x) => a + x.space_used_size, 0);
}

/** The least-squares slope of bytes against sessions: bytes retained per session. */
export function retainedPerSession(samples: readonly HeapSample[]): number {
  const n = samples.length;
  if (n < 2) return 0;
  const mx = samples.reduce((a, s) => a + s.sessions, 0) / n;
  const my = samples.reduce((a, s) => a + s.bytes, 0) / n;
  let num = 0;
  let den = 0;
  for (const s of samples) { num += (s.sessions - mx) * (s.bytes - my); den += (s.sessions - mx) ** 2; }
  return den === 0 ? 0 : num / den;
}
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
    cycles: 0, downloads: 0, messages: 0, failures: [], seconds: 0, heapBeforeMB: 0, heapAfterMB: 0, rssAfterMB: 0,
    heapSamples: [], retainedPerSession: 0, handlesBefore: {}, handlesAfter: {},
    connectionsAfter: -1, onlineAfter: -1, portsFreeAfter: -1, portsTotal: server.transfers.pool.size, transfersActiveAfter: -1,
  };
  const started = Date.now();
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
  const idle = async () => {
    const settle = Date.now() + 3000;
    while (Date.now() < settle && (server.connections || server.hub.size || server.transfers.pool.available !== server.transfers.pool.size)) await new Promise((r) => setTimeout(r, 20));
  };
  const runCycles = async (count: number, first: number, measured: boolean) => {
    let next = first;
    const end = first + count;
    await Promise.all(Array.from({ length: o.workers }, async () => {
      while (next < end) {
        const n = next++;
        await cycle(n);
        if (measured) o.onSession?.(n);
      }
    }));
    await idle();
  };
  // warm up (module loading, JIT, the history filling to its bound), then the baseline
  const warmup = o.warmup ?? 200;
  await runCycles(warmup, -warmup, false);
  res.cycles = 0; res.messages = 0; res.downloads = 0;
  res.heapSamples.push({ sessions: 0, bytes: await settledHeapBytes() });
  res.handlesBefore = handles();
  const rounds = Math.max(1, o.rounds ?? 4);
  let done = 0;
  for (let r = 1; r <= rounds; r++) {
    const upTo = Math.round((o.cycles * r) / rounds);
    await runCycles(upTo - done, done, true);
    done = upTo;
    res.heapSamples.push({ sessions: done, bytes: await settledHeapBytes() });
    if (r < rounds) o.log?.(`  ... ${done} cycles, heap ${(res.heapSamples.at(-1)!.bytes / 1e6).toFixed(1)} MB`);
  }
  res.retainedPerSession = retainedPerSession(res.heapSamples);
  res.heapBeforeMB = res.heapSamples[0]!.bytes / 1e6;
  res.heapAfterMB = res.heapSamples.at(-1)!.bytes / 1e6;
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
    `  heap ${r.heapBeforeMB.toFixed(1)} MB -> ${r.heapAfterMB.toFixed(1)} MB (after full GC), rss ${r.rssAfterMB.toFixed(0)} MB; retained per session ${r.retainedPerSession.toFixed(0)} B (bound ${MAX_RETAINED_BYTES_PER_SESSION} B)`,
    `  handles before ${JSON.stringify(r.handlesBefore)} after ${JSON.stringify(r.handlesAfter)}`,
    `  after: ${r.connectionsAfter} connections, ${r.onlineAfter} online, ${r.portsFreeAfter}/${r.portsTotal} ports free, ${r.transfersActiveAfter} transfers`,
    ...r.failures.slice(0, 5).map((f) => `  ! ${f}`),
  ].join('\n');
}
