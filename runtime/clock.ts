// Clocks for the runtime (the interface is machines/clock.ts). `systemClock` is the real one. `WarpClock` runs at
// real speed but can be moved forward by hand: `advance(ms)` fires every timer that falls due on the way, in order,
// each seeing `now()` at its own due time. Sockets stay real; a test reaches a 15 s deadline in microseconds.
import type { Clock, TimerHandle } from '../machines/clock.js';

export type { Clock, TimerHandle } from '../machines/clock.js';

const origin = performance.timeOrigin;

/** The real clock. Its timers do not keep the process alive by themselves: each belongs to a socket, a download or
 *  an actor that does. */
export const systemClock: Clock = {
  now: () => origin + performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout | undefined),
};

/** A repeating timer on any clock (re-armed from its due time, so it does not drift). Returns a stop function. */
export function every(clock: Clock, ms: number, fn: () => void): () => void {
  let due = clock.now() + ms;
  let handle: TimerHandle = null;
  let stopped = false;
  const arm = () => {
    handle = clock.setTimeout(() => {
      if (stopped) return;
      due += ms;
      const now = clock.now();
      if (due <= now) due = now + ms; // fell behind (a busy loop, a big jump): no burst of catch-up calls
      arm();
      fn();
    }, Math.max(0, due - clock.now()));
  };
  arm();
  return () => { stopped = true; clock.clearTimeout(handle); };
}

interface WarpTimer { id: number; due: number; fn: () => void }

export class WarpClock implements Clock {
  private offset = 0;
  private nextId = 1;
  private readonly timers = new Map<number, WarpTimer>();
  private real: NodeJS.Timeout | null = null;
  private realDue = Infinity;
  /** Timers fired so far (by real time or by advance). */
  fired = 0;

  constructor(private readonly base: Clock = systemClock) {}

  now(): number { return this.base.now() + this.offset; }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const t: WarpTimer = { id: this.nextId++, due: this.now() + Math.max(0, ms), fn };
    this.timers.set(t.id, t);
    this.rearm();
    return t.id;
  }

  clearTimeout(handle: TimerHandle): void {
    if (typeof handle !== 'number') return;
    if (this.timers.delete(handle)) this.rearm();
  }

  /** Timers waiting to fire. */
  get pending(): number { return this.timers.size; }

  /** Moves time forward by `ms`, firing each timer that falls due on the way at its own time. */
  advance(ms: number): void {
    const target = this.now() + ms;
    for (;;) {
      const t = this.earliest();
      if (!t || t.due > target) break;
      this.timers.delete(t.id);
      if (t.due > this.now()) this.offset += t.due - this.now();
      this.fire(t);
    }
    if (target > this.now()) this.offset += target - this.now();
    this.rearm();
  }

  /** Stops every timer (end of a test). */
  dispose(): void {
    this.timers.clear();
    if (this.real) clearTimeout(this.real);
    this.real = null;
    this.realDue = Infinity;
  }

  private earliest(): WarpTimer | undefined {
    let e: WarpTimer | undefined;
    for (const t of this.timers.values()) if (!e || t.due < e.due || (t.due === e.due && t.id < e.id)) e = t;
    return e;
  }

  private fire(t: WarpTimer): void {
    this.fired++;
    t.fn();
  }

  /** One real timer, for the earliest warp timer, so that time also passes by itself. */
  private rearm(): void {
    const e = this.earliest();
    const due = e ? e.due : Infinity;
    if (due === this.realDue && this.real) return;
    if (this.real) clearTimeout(this.real);
    this.real = null;
    this.realDue = due;
    if (!e) return;
    this.real = setTimeout(() => {
      this.real = null;
      this.realDue = Infinity;
      const now = this.now();
      for (;;) {
        const t = this.earliest();
        if (!t || t.due > now) break;
        this.timers.delete(t.id);
        this.fire(t);
      }
      this.rearm();
    }, Math.max(0, due - this.now()));
    this.real.unref?.();
  }
}
