// A log of things that arrive over time (client events, frames, output lines) with bounded waits on it.
// Every wait has a deadline and clears its timer, so a test never hangs and never leaves a handle open.

export type Pred<T> = (x: T) => boolean;

export interface WaitOptions {
  /** Deadline in ms (default 3000). */
  ms?: number;
  /** Only items logged at this index or later (see `mark()`). Default 0: the whole log. */
  since?: number;
}

interface Waiter<T> { pred: Pred<T>; since: number; resolve(x: T): void }

export class Recorder<T> {
  readonly items: T[] = [];
  private readonly waiters = new Set<Waiter<T>>();
  private ended: string | null = null;
  private readonly endWaiters = new Set<() => void>();

  constructor(readonly label = 'recorder') {}

  push(x: T): void {
    this.items.push(x);
    for (const w of [...this.waiters]) {
      if (this.items.length - 1 >= w.since && w.pred(x)) { this.waiters.delete(w); w.resolve(x); }
    }
  }

  /** The log's current length: pass it as `since` to wait only for what comes next. */
  mark(): number { return this.items.length; }

  /** Items logged since `since` (default: all). */
  after(since = 0): T[] { return this.items.slice(since); }

  find(pred: Pred<T>, since = 0): T | undefined { return this.items.slice(since).find(pred); }

  /** Resolves with the first item (at or after `since`) that matches, or rejects after `ms`. */
  waitFor(pred: Pred<T>, opts: WaitOptions | number = {}): Promise<T> {
    const { ms = 3000, since = 0 } = typeof opts === 'number' ? { ms: opts } : opts;
    const found = this.find(pred, since);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise<T>((resolve, reject) => {
      const w: Waiter<T> = {
        pred, since,
        resolve: (x) => { clearTimeout(timer); resolve(x); },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(w);
        const tail = this.items.slice(-8).map((i) => JSON.stringify(i)).join('\n  ');
        reject(new Error(`${this.label}: nothing matched within ${ms} ms; last items:\n  ${tail}`));
      }, ms);
      this.waiters.add(w);
    });
  }

  /** Resolves once `count` items (at or after `since`) match. */
  async waitForCount(pred: Pred<T>, count: number, opts: WaitOptions | number = {}): Promise<T[]> {
    const { ms = 3000, since = 0 } = typeof opts === 'number' ? { ms: opts } : opts;
    const deadline = Date.now() + ms;
    for (;;) {
      const got = this.items.slice(since).filter(pred);
      if (got.length >= count) return got;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.label}: ${got.length} of ${count} matching items within ${ms} ms`);
      // wake on the next matching item or at the deadline
      await this.waitFor(pred, { ms: left, since: this.items.length }).catch(() => undefined);
    }
  }

  // ---- end of the stream (socket closed, process exited)
  get endedWith(): string | null { return this.ended; }

  end(reason: string): void {
    if (this.ended !== null) return;
    this.ended = reason;
    for (const f of this.endWaiters) f();
    this.endWaiters.clear();
  }

  waitEnd(ms = 3000): Promise<string> {
    if (this.ended !== null) return Promise.resolve(this.ended);
    return new Promise<string>((resolve, reject) => {
      const done = () => { clearTimeout(timer); resolve(this.ended!); };
      const timer = setTimeout(() => { this.endWaiters.delete(done); reject(new Error(`${this.label}: did not end within ${ms} ms`)); }, ms);
      this.endWaiters.add(done);
    });
  }
}

/** Polls `check` until it returns true, or rejects after `ms`. For state that has no event to wait on. */
export async function waitUntil(check: () => boolean, ms = 3000, what = 'condition', everyMs = 10): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not true within ${ms} ms`);
    await delay(everyMs);
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
