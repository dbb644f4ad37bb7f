// The server's chat history in front of the Store port: messages to all accepted in one turn of the event loop
// are appended in one transaction at the end of that turn, and only then delivered, so that nothing anyone saw
// live can be missing after a crash. Private messages accepted in the same turn wait in the same queue (they are
// not stored) so that one sender's messages keep their order. When the store cannot be written (disk full, file
// gone) the messages of that batch are refused, and the next batch tries again: chat resumes when space returns.
// A store behind a network (JetStream) answers an append with a promise: the batch is delivered (or refused) when
// it settles, and the next batch waits for it, so that order and one append per batch hold there too.
import type { ChatLine } from '../../machines/frames.js';
import { isPromise, type Awaitable, type HistoryStore, type StoredLine } from './port.js';

export interface Submission {
  /** The line to keep, or none for a delivery that only waits its turn (a private message). */
  line?: ChatLine;
  deliver(stored: StoredLine | null): void;
  refuse(problem: string): void;
}

export interface HistoryLogEvents {
  /** The store stopped taking writes (said once, until it takes them again). */
  failed?(problem: string): void;
  recovered?(): void;
}

export type Defer = (fn: () => void) => void;

export class HistoryLog {
  private queue: Submission[] = [];
  private scheduled = false;
  /** Why writes are refused without trying (a removed store file), or null. */
  private blocked: string | null = null;
  /** The last write failure, or null while writes succeed. */
  private failing: string | null = null;
  /** The append of the batch being written, while a store's append is a promise. */
  private inFlight: Promise<void> | null = null;
  /** Batches written, for benchmarks and tests. */
  batches = 0;

  constructor(
    readonly store: HistoryStore,
    private readonly events: HistoryLogEvents = {},
    private readonly defer: Defer = (fn) => { setImmediate(fn); },
  ) {}

  get healthy(): boolean { return this.blocked === null && this.failing === null; }

  submit(s: Submission): void {
    this.queue.push(s);
    if (this.scheduled || this.inFlight) return;
    this.scheduled = true;
    this.defer(() => { void this.flush(); });
  }

  /** Refuses every write until `unblock()` (the store file is gone and could not be written back). */
  block(problem: string): void { this.blocked = problem; this.setFailing(problem); }
  unblock(): void { this.blocked = null; }

  /**
   * Writes what is queued in one transaction, then delivers it in order (or refuses it). With a store whose append
   * is a promise, returns one that settles when everything queued so far is delivered or refused.
   */
  flush(): Awaitable<void> {
    if (this.inFlight) return this.inFlight.then(() => this.flush());
    this.scheduled = false;
    const batch = this.queue;
    if (!batch.length) return;
    this.queue = [];
    const lines: ChatLine[] = [];
    for (const s of batch) if (s.line) lines.push(s.line);
    let stored: Awaitable<StoredLine[]> | null = null;
    let problem = this.blocked;
    if (problem === null) {
      try { stored = this.store.append(lines); } catch (e) { problem = (e as Error).message; }
    }
    if (stored && isPromise(stored)) {
      const done = stored.then(
        (s) => { this.batches++; this.settled(batch, lines, s, null); },
        (e: unknown) => { this.settled(batch, lines, null, (e as Error).message ?? String(e)); },
      ).finally(() => {
        this.inFlight = null;
        if (this.queue.length && !this.scheduled) { this.scheduled = true; this.defer(() => { void this.flush(); }); }
      });
      this.inFlight = done;
      return done;
    }
    if (stored) this.batches++;
    this.settled(batch, lines, stored, problem);
  }

  private settled(batch: Submission[], lines: ChatLine[], stored: StoredLine[] | null, problem: string | null): void {
    if (lines.length) this.setFailing(stored ? null : problem);
    let i = 0;
    for (const s of batch) {
      if (!s.line) s.deliver(null);
      else if (stored) s.deliver(stored[i++]!);
      else s.refuse(problem ?? 'the store is unavailable');
    }
  }

  private setFailing(problem: string | null): void {
    const was = this.failing;
    this.failing = problem;
    if (problem !== null && was === null) this.events.failed?.(problem);
    else if (problem === null && was !== null) this.events.recovered?.();
  }
}
