// Runs the server's store: the history log in front of it, a check every TIMING.storeCheckMs that its file is
// still there (a removed one is written back or writes are refused until it is), and the retention, applied a
// small chunk per event-loop turn so that chat never waits long for it.
import { TIMING } from '../../machines/timing.js';
import { every, systemClock, type Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { HistoryLog } from './history-log.js';
import { DEFAULT_RETENTION, type Retention, type Store } from './port.js';

/** Messages deleted at most in one step of the retention. */
export const PRUNE_CHUNK = 2000;

export class HistoryKeeper {
  readonly log: HistoryLog;
  private stopTimer: (() => void) | null = null;
  private stopped = false;
  private pruning = false;

  constructor(
    readonly store: Store,
    private readonly retention: Retention = DEFAULT_RETENTION,
    private readonly logger?: Logger,
    private readonly clock: Clock = systemClock,
  ) {
    this.log = new HistoryLog(store.history, {
      failed: (problem) => this.logger?.error({ err: problem }, 'store: cannot keep messages; new messages are refused (store-unavailable)'),
      recovered: () => this.logger?.warn('store: writable again; messages are accepted'),
    });
  }

  start(): void {
    this.prune();
    this.stopTimer = every(this.clock, TIMING.storeCheckMs, () => { this.check(); this.prune(); });
  }

  /** The file check: refuses writes while the store file is gone and cannot be written back. */
  check(): void {
    const health = this.store.check();
    if (health.ok) {
      if (health.note) this.logger?.warn(`store: ${health.note}`);
      this.log.unblock();
    } else {
      this.log.block(health.problem);
    }
  }

  /** Applies the retention one chunk per event-loop turn until nothing is beyond it. */
  prune(): void {
    if (this.pruning || this.stopped) return;
    this.pruning = true;
    const step = () => {
      if (this.stopped) { this.pruning = false; return; }
      let n = 0;
      try { n = this.store.history.prune(this.retention, this.clock.now(), PRUNE_CHUNK); } catch (e) {
        this.logger?.warn({ err: (e as Error).message }, 'store: retention skipped');
      }
      if (n >= PRUNE_CHUNK) setImmediate(step); else this.pruning = false;
    };
    step();
  }

  /** Writes what is queued, stops the timers and closes the store. */
  stop(): void {
    if (this.stopped) return;
    this.log.flush();
    this.stopped = true;
    this.stopTimer?.();
    this.store.close();
  }
}
