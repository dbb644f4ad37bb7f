// The one scheduler of the server's transfers: a single timer for all of them. Each turn it gives every active
// transfer a tick (`now`) in which it sends what its pacer, window and credit allow; then it sleeps until the
// earliest wakeup any of them asked for (at ~1 ms granularity, the resolution of Node's timers), or runs again on
// the next event-loop turn when one of them still has packets ready. Time is read and slept on the injected clock;
// the next-turn kicks (setImmediate) are not time.
import { systemClock, type Clock, type TimerHandle } from './clock.js';

export interface Schedulable {
  /** Does this turn's work; returns the next time (ms) it wants a turn, or null to wait for an event. */
  service(now: number): number | null;
}

export class Scheduler {
  private readonly members = new Set<Schedulable>();
  private timer: TimerHandle | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private wakeAt = Infinity;
  /** Turns run, for tests and benchmarks. */
  turns = 0;

  constructor(private readonly clock: Clock = systemClock) {}

  get size(): number { return this.members.size; }

  add(m: Schedulable): void { this.members.add(m); this.kick(); }
  remove(m: Schedulable): void {
    this.members.delete(m);
    if (!this.members.size) this.cancel();
  }

  /** Something happened (an ACK, a consent): run a turn soon. */
  kick(): void {
    if (this.immediate) return;
    this.immediate = setImmediate(() => { this.immediate = null; this.turn(); });
  }

  private cancel(): void {
    if (this.timer !== null) { this.clock.clearTimeout(this.timer); this.timer = null; }
    if (this.immediate) { clearImmediate(this.immediate); this.immediate = null; }
    this.wakeAt = Infinity;
  }

  private turn(): void {
    this.turns++;
    const now = this.clock.now();
    let next = Infinity;
    for (const m of this.members) {
      const at = m.service(now);
      if (at !== null && at < next) next = at;
    }
    if (next === Infinity) { this.cancel(); return; }
    const delay = next - this.clock.now();
    if (delay <= 0.5) { this.kick(); return; }
    if (this.timer !== null && this.wakeAt <= next) return;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.wakeAt = next;
    this.timer = this.clock.setTimeout(() => { this.timer = null; this.wakeAt = Infinity; this.turn(); }, Math.max(1, Math.floor(delay)));
  }

  stop(): void { this.members.clear(); this.cancel(); }
}
