// The measuring steps of the chat benchmarks, shared by bench:chat (one server against ngIRCd) and bench:cluster
// (one chat over 1, 2, 3 nodes): a saturation window, latency at a fixed offered load, waiting for a server to go
// quiet, building dist/ when it is stale. Each step drives client sets of the load generator (bench/chat/loadgen.ts)
// and reads the CPU time of the server processes from /proc; a step may span several sets (one per node) and
// several processes (the nodes, the broker).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { percentile, type LoadGen, type Totals } from './loadgen.js';
import { cpuSeconds } from './servers.js';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
export const log = (s: string): void => { process.stderr.write(`${s}\n`); };

export function median(xs: number[]): number {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2) : NaN;
}

let nameSeq = 0;
/** `n` nicknames that no other call in this process gives out. */
export const names = (n: number, tag: string): string[] => Array.from({ length: n }, () => `${tag}${(nameSeq++).toString(36)}`);

/** The load of one saturation or latency step, per load-generator worker and client set. */
export interface LoadShape {
  senders: number;
  /** Messages in flight (window mode). */
  window: number;
  textSize: number;
  warmMs: number;
  measureMs: number;
}

/** Sum of utime + stime of several processes, in seconds. */
export const cpuOf = (pids: readonly number[]): number[] => pids.map(cpuSeconds);

export interface WindowResult {
  /** Deliveries per second, over every set. */
  dps: number;
  /** Messages per second (deliveries / deliveries per message). */
  mps: number;
  deliveries: number;
  seconds: number;
  /** CPU-seconds each process spent in the window, in the order of `pids`. */
  cpu: number[];
}

/** CPU-seconds per million deliveries of the processes at `idx` (all when absent). */
export function cpuPerM(w: { cpu: number[]; deliveries: number }, idx?: number[]): number {
  const c = (idx ?? w.cpu.map((_, i) => i)).reduce((s, i) => s + w.cpu[i]!, 0);
  return w.deliveries ? (c / w.deliveries) * 1e6 : NaN;
}

async function totals(gen: LoadGen, sets: readonly string[], hist = false): Promise<Totals[]> {
  return Promise.all(sets.map((s) => gen.stats(s, hist)));
}
const delivered = (t: Totals[]) => t.reduce((s, x) => s + x.deliveries, 0);

/**
 * One saturation window: every set in `senderSets` sends with a window of messages in flight (closed by a receiver
 * of the sender's own set), deliveries are counted over `countSets` and CPU over `pids` for `shape.measureMs`.
 */
export async function saturate(gen: LoadGen, senderSets: readonly string[], countSets: readonly string[], pids: readonly number[], perMsg: number, shape: LoadShape): Promise<WindowResult> {
  for (const set of senderSets) await gen.load(set, { senders: shape.senders, mode: 'window', window: shape.window, rate: 0, textSize: shape.textSize });
  await sleep(shape.warmMs);
  const s0 = await totals(gen, countSets); const c0 = cpuOf(pids); const t0 = performance.now();
  await sleep(shape.measureMs);
  const s1 = await totals(gen, countSets); const c1 = cpuOf(pids); const t1 = performance.now();
  await Promise.all(senderSets.map((set) => gen.stopLoad(set)));
  const d = delivered(s1) - delivered(s0);
  const seconds = (t1 - t0) / 1000;
  return { dps: d / seconds, mps: d / seconds / perMsg, deliveries: d, seconds, cpu: c1.map((c, i) => c - c0[i]!) };
}

export interface LatencyResult {
  /** Offered messages per second, over all senders. */
  rate: number;
  p50: number; p99: number; p999: number;
  deliveries: number;
  cpu: number[];
  /** Messages the generator did not send because too many were unanswered (the server fell behind). */
  dropped: number;
}

/**
 * Latency at a fixed offered load: `senderSets` send `msgRate` messages per second in all (spread over their
 * `workers` worker processes each), send-to-receipt is taken at every receiver of `receiverSets`.
 */
export async function latencyAt(gen: LoadGen, senderSets: readonly string[], receiverSets: readonly string[], pids: readonly number[], msgRate: number, workers: number, shape: Omit<LoadShape, 'window'>): Promise<LatencyResult> {
  const perWorker = msgRate / workers / senderSets.length;
  for (const set of senderSets) await gen.load(set, { senders: shape.senders, mode: 'rate', window: 0, rate: perWorker, textSize: shape.textSize });
  await sleep(shape.warmMs);
  for (const set of receiverSets) await gen.resetHist(set);
  const senders0 = await totals(gen, senderSets);
  const s0 = await totals(gen, receiverSets); const c0 = cpuOf(pids);
  await sleep(shape.measureMs);
  const s1 = await totals(gen, receiverSets, true); const c1 = cpuOf(pids);
  const senders1 = await totals(gen, senderSets);
  await Promise.all(senderSets.map((set) => gen.stopLoad(set)));
  const hist = s1[0]!.hist!;
  for (const t of s1.slice(1)) t.hist!.forEach((n, b) => { hist[b]! += n; });
  const dropped = senders1.reduce((s, x) => s + x.dropped, 0) - senders0.reduce((s, x) => s + x.dropped, 0);
  return {
    rate: msgRate, p50: percentile(hist, 0.5), p99: percentile(hist, 0.99), p999: percentile(hist, 0.999),
    deliveries: delivered(s1) - delivered(s0), cpu: c1.map((c, i) => c - c0[i]!), dropped,
  };
}

/** Waits until none of `pids` used more than 10 ms of CPU in three quarter-second steps in a row (or `maxMs`). */
export async function waitQuiet(pids: readonly number[], maxMs = 120_000): Promise<void> {
  const until = Date.now() + maxMs;
  let last = cpuOf(pids), calm = 0;
  while (Date.now() < until && calm < 3) {
    await sleep(250);
    const now = cpuOf(pids);
    calm = now.every((c, i) => c - last[i]! <= 0.01) ? calm + 1 : 0;
    last = now;
  }
}

/** Runs `npm run build` when dist/bin/messenger-server.js is older than a source file. */
export function ensureBuilt(root: string): void {
  const out = path.join(root, 'dist/bin/messenger-server.js');
  const newest = (dir: string): number => {
    let t = 0;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) t = Math.max(t, newest(p));
      else if (e.name.endsWith('.ts')) t = Math.max(t, fs.statSync(p).mtimeMs);
    }
    return t;
  };
  const src = Math.max(...['machines', 'runtime', 'bin'].map((d) => newest(path.join(root, d))));
  if (fs.existsSync(out) && fs.statSync(out).mtimeMs >= src) return;
  log('dist/ is older than the sources: npm run build');
  const r = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    if (!fs.existsSync(out)) throw new Error('npm run build failed and there is no dist/bin/messenger-server.js');
    log('npm run build failed: measuring the existing dist/ (may be stale)');
  }
}
