// The load generator's controller: forks worker processes (bench/chat/loadgen-worker.ts), spreads clients over them
// (each process stays under the fd limit and the generator gets more than one event loop), and sums their counts.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ProtoName } from './protocols.js';
import { BUCKETS, BUCKET_US, type WorkerCmd, type WorkerStats } from './loadgen-worker.js';

const WORKER = fileURLToPath(new URL('./loadgen-worker.ts', import.meta.url));

class Worker {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly proc: ChildProcess;

  constructor(readonly index: number) {
    this.proc = fork(WORKER, [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, LOADGEN_WORKER: String(index) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.proc.on('message', (m: { id: number; result?: unknown; error?: string }) => {
      const w = this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      if (m.error) w.reject(new Error(`loadgen worker ${index}: ${m.error}`)); else w.resolve(m.result);
    });
    this.proc.on('exit', (code) => {
      for (const w of this.waiting.values()) w.reject(new Error(`loadgen worker ${index} exited (${code})`));
      this.waiting.clear();
    });
  }

  call<T>(body: WorkerCmd): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.proc.send({ id, body });
    });
  }
}

export interface Totals { deliveries: number; sent: number; observed: number; dropped: number; bytes: number; hist?: Uint32Array }

export class LoadGen {
  readonly workers: Worker[];
  private sets = new Map<string, number>(); // set -> workers used

  constructor(count: number) {
    this.workers = Array.from({ length: count }, (_, i) => new Worker(i));
  }

  /** Connects `names` to a server, spread over the first `use` workers; resolves when every client is in the room. */
  async connect(set: string, proto: ProtoName, port: number, names: string[], use = this.workers.length, concurrency = 64, noLogin = false, secure = false): Promise<void> {
    use = Math.min(use, this.workers.length);
    this.sets.set(set, use);
    const shares = Array.from({ length: use }, (_, w) => names.filter((_, i) => i % use === w));
    const results = await Promise.all(shares.map((share, w) =>
      this.workers[w]!.call<{ ok: number; failed: string[] }>({ cmd: 'connect', set, proto, port, names: share, concurrency, timeoutMs: 180_000, noLogin, secure })));
    const failed = results.flatMap((r) => r.failed);
    if (failed.length) throw new Error(`${set}: ${failed.length} of ${names.length} clients did not get in: ${failed.slice(0, 3).join('; ')}`);
  }

  /**
   * A login storm: `names` spread over the first `use` workers, at most `concurrency` per worker waiting for their
   * welcome at a time. Resolves with how many got in, the failures (a timeout among them), and the seconds until
   * the last one got in.
   */
  async storm(set: string, proto: ProtoName, port: number, names: string[], use: number, concurrency: number, timeoutMs: number): Promise<{ ok: number; failed: string[]; seconds: number }> {
    use = Math.min(use, this.workers.length);
    this.sets.set(set, use);
    const shares = Array.from({ length: use }, (_, w) => names.filter((_, i) => i % use === w));
    const t0 = performance.now();
    let last = t0;
    const results = await Promise.all(shares.map((share, w) =>
      this.workers[w]!.call<{ ok: number; failed: string[] }>({ cmd: 'connect', set, proto, port, names: share, concurrency, timeoutMs, noLogin: false, secure: false })
        .then((r) => { if (!r.failed.length) last = Math.max(last, performance.now()); return r; })));
    const failed = results.flatMap((r) => r.failed);
    return { ok: results.reduce((s, r) => s + r.ok, 0), failed, seconds: failed.length ? NaN : (last - t0) / 1000 };
  }

  private each<T>(set: string, body: WorkerCmd): Promise<T[]> {
    const use = this.sets.get(set) ?? 0;
    return Promise.all(this.workers.slice(0, use).map((w) => w.call<T>(body)));
  }

  /** Starts sending: `senders` per worker; window and rate are per worker. */
  async load(set: string, o: { senders: number; mode: 'window' | 'rate'; window: number; rate: number; textSize: number }): Promise<void> {
    await this.each(set, { cmd: 'load', set, ...o });
  }

  async stopLoad(set: string, drainMs = 3000): Promise<void> { await this.each(set, { cmd: 'stopLoad', set, drainMs }); }
  async resetHist(set: string): Promise<void> { await this.each(set, { cmd: 'resetHist', set }); }
  async close(set: string): Promise<void> { await this.each(set, { cmd: 'close', set }); this.sets.delete(set); }

  async stats(set: string, hist = false): Promise<Totals> {
    const all = await this.each<WorkerStats>(set, { cmd: 'stats', set, hist });
    const t: Totals = { deliveries: 0, sent: 0, observed: 0, dropped: 0, bytes: 0 };
    if (hist) t.hist = new Uint32Array(BUCKETS + 1);
    for (const s of all) {
      t.deliveries += s.deliveries; t.sent += s.sent; t.observed += s.observed; t.dropped += s.dropped; t.bytes += s.bytes;
      if (s.hist && t.hist) for (const [b, n] of s.hist) t.hist[b]! += n;
    }
    return t;
  }

  async exit(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.call({ cmd: 'exit' }).catch(() => undefined)));
  }

  kill(): void { for (const w of this.workers) if (w.proc.exitCode === null) w.proc.kill('SIGKILL'); }
}

/** Percentile of a latency histogram, in milliseconds. */
export function percentile(hist: Uint32Array, q: number): number {
  let total = 0;
  for (const n of hist) total += n;
  if (!total) return NaN;
  const want = Math.ceil(total * q);
  let seen = 0;
  for (let b = 0; b < hist.length; b++) {
    seen += hist[b]!;
    if (seen >= want) return ((b + 0.5) * BUCKET_US) / 1000;
  }
  return NaN;
}
