// A small deterministic network simulator for the transport's end-to-end tests: a virtual clock with an
// event queue, and one-way links with propagation delay, seeded random loss, reordering, duplication, a
// bandwidth limit with a finite drop-tail queue, and a blackout window. No real time, no sockets.

/** mulberry32: a tiny seeded PRNG, good enough for impairment decisions and fully reproducible. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface SimEvent { at: number; seq: number; fn: () => void }

/** A binary min-heap of events ordered by (time, insertion order): same-time events run first-in first-out. */
export class EventQueue {
  now = 0;
  processed = 0;
  private readonly heap: SimEvent[] = [];
  private seq = 0;

  get pending(): number { return this.heap.length; }

  schedule(at: number, fn: () => void): void {
    const ev = { at: Math.max(at, this.now), seq: this.seq++, fn };
    const h = this.heap;
    h.push(ev);
    for (let i = h.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      if (!this.less(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  /** Runs events until the queue is empty, `until` is passed, `stop()` says so, or `maxEvents` ran. */
  run(opts: { until?: number; maxEvents?: number; stop?: () => boolean } = {}): void {
    const until = opts.until ?? Infinity;
    const maxEvents = opts.maxEvents ?? 5_000_000;
    while (this.heap.length && this.processed < maxEvents) {
      if (opts.stop?.()) return;
      if (this.heap[0]!.at > until) { this.now = until; return; }
      const ev = this.pop();
      this.now = ev.at;
      this.processed++;
      ev.fn();
    }
  }

  private pop(): SimEvent {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length) {
      h[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }

  private less(a: SimEvent, b: SimEvent): boolean { return a.at < b.at || (a.at === b.at && a.seq < b.seq); }
}

export interface LinkConfig {
  /** One-way propagation delay (ms). */
  delayMs: number;
  lossRate?: number;
  /** Probability that a packet is held back by up to reorderExtraMs, letting later ones overtake it. */
  reorderRate?: number;
  reorderExtraMs?: number;
  duplicateRate?: number;
  /** Bottleneck rate in bytes per second; unlimited when absent. */
  bandwidthBps?: number;
  /** Drop-tail queue limit in bytes in front of the bottleneck. */
  queueBytes?: number;
  /** Everything sent in [from, to) is dropped. */
  blackout?: { from: number; to: number };
}

export interface LinkStats { sent: number; delivered: number; lost: number; queueDrops: number; blackoutDrops: number; duplicated: number }

/** One direction of a path. */
export class Link {
  readonly stats: LinkStats = { sent: 0, delivered: 0, lost: 0, queueDrops: 0, blackoutDrops: 0, duplicated: 0 };
  /** When the bottleneck finishes serializing what is queued. */
  private busyUntil = 0;

  constructor(private readonly sim: EventQueue, private readonly cfg: LinkConfig, private readonly rng: () => number) {}

  /** Sends a datagram of `bytes`; `deliver` runs at the far end on arrival (possibly twice, possibly never). */
  send(bytes: number, deliver: () => void): void {
    const now = this.sim.now;
    this.stats.sent++;
    const b = this.cfg.blackout;
    if (b && now >= b.from && now < b.to) { this.stats.blackoutDrops++; return; }
    if (this.rng() < (this.cfg.lossRate ?? 0)) { this.stats.lost++; return; }
    const departure = this.serialize(bytes, now);
    if (departure === null) { this.stats.queueDrops++; return; }
    this.schedule(departure, deliver);
    if (this.rng() < (this.cfg.duplicateRate ?? 0)) { this.stats.duplicated++; this.schedule(departure, deliver); }
  }

  /** The time the datagram leaves the bottleneck, or null when the queue is full (tail drop). */
  private serialize(bytes: number, now: number): number | null {
    const rate = this.cfg.bandwidthBps;
    if (rate === undefined) return now;
    const start = Math.max(now, this.busyUntil);
    const backlog = ((start - now) * rate) / 1000;
    if (backlog + bytes > (this.cfg.queueBytes ?? Infinity)) return null;
    this.busyUntil = start + (bytes / rate) * 1000;
    return this.busyUntil;
  }

  private schedule(departure: number, deliver: () => void): void {
    let at = departure + this.cfg.delayMs;
    if (this.rng() < (this.cfg.reorderRate ?? 0)) at += this.rng() * (this.cfg.reorderExtraMs ?? 0);
    this.sim.schedule(at, () => { this.stats.delivered++; deliver(); });
  }
}
