// Runs the server's store: the history log in front of it, a check every TIMING.storeCheckMs that its file is
// still there (a removed one is written back or writes are refused until it is), and the retention, applied a
// small chunk per event-loop turn so that chat never waits long for it. A store behind a network answers the check
// and the retention with promises: one of each is under way at a time, and stopping waits for the last batch.
import { TIMING } from '../../machines/timing.js';
import { every, systemClock, type Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { HistoryLog, type Defer } from './history-log.js';
import { DEFAULT_RETENTION, isPromise, settle, type Awaitable, type Retention, type Store, type StoreHealth } from './port.js';

/** Messages deleted at most in one step of the retention. */
export const PRUNE_CHUNK = 2000;

export class HistoryKeeper {
  readonly log: HistoryLog;
  private stopTimer: (() => void) | null = null;
  private stopped = false;
  private pruning = false;
  private checking = false;

  constructor(
    readonly store: Store,
    private readonly retention: Retention = DEFAULT_RETENTION,
    private readonly logger?: Logger,
    private readonly clock: Clock = systemClock,
    /** When the history log writes its batch (HistoryLog's `defer`; the end of the turn when absent). */
    defer?: Defer,
  ) {
    this.log = new HistoryLog(store.history, {
      failed: (problem) => this.logger?.error({ err: problem }, 'store: cannot keep messages; new messages are refused (store-unavailable)'),
      recovered: () => this.logger?.warn('store: writable again; messages are accepted'),
    }, defer);
  }

  start(): void {
    this.prune();
    this.stopTimer = every(this.clock, TIMING.storeCheckMs, () => { this.check(); this.prune(); });
  }

  /** The store check: refuses writes while the store file is gone and cannot be written back (or the broker is
   *  unreachable). */
  check(): void {
    if (this.checking || this.stopped) return;
    this.checking = true;
    settle(() => this.store.check(), (health: StoreHealth) => {
      this.checking = false;
      if (this.stopped) return;
      if (health.ok) {
        if (health.note) this.logger?.warn(`store: ${health.note}`);
        this.log.unblock();
      } else {
        this.log.block(health.problem);
      }
    }, (e) => {
      this.checking = false;
      if (!this.stopped) this.log.block((e as Error).message);
    });
  }

  /** Applies the retention one chunk per event-loop turn until nothing is beyond it. */
  prune(): void {
    if (this.pruning || this.stopped) return;
    this.pruning = true;
    const step = () => {
      if (this.stopped) { this.pruning = false; return; }
      settle(() => this.store.history.prune(this.retention, this.clock.now(), PRUNE_CHUNK), (n) => {
        if (n >= PRUNE_CHUNK && !this.stopped) setImmediate(step); else this.pruning = false;
      }, (e) => {
        this.logger?.warn({ err: (e as Error).message }, 'store: retention skipped');
        this.pruning = false;
      });
    };
    step();
  }

  /** Writes what is queued, stops the timers and closes the store (a promise when the store needs time for it). */
  stop(): Awaitable<void> {
    if (this.stopped) return;
    const flushed = this.log.flush();
    this.stopped = true;
    this.stopTimer?.();
    if (isPromise(flushed)) return flushed.then(() => this.store.close(), () => this.store.close());
    return this.store.close();
  }
}
