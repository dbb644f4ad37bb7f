// The Store port: everything the server keeps across restarts goes through this narrow interface. The embedded
// SQLite adapter (runtime/store/sqlite/) implements it today; a clustered adapter (NATS JetStream) will implement
// the same port. Accounts and offline messages will be sibling parts of `Store` next to `history`.
import type { ChatLine } from '../../machines/frames.js';

/** A kept message to all, with its place in the log (ids grow with every append). */
export interface StoredLine extends ChatLine { id: number }

/** How much history to keep: at most `maxCount` messages, and (when set) none older than `maxAgeMs`. */
export interface Retention { maxCount: number; maxAgeMs?: number }

export const DEFAULT_RETENTION: Retention = { maxCount: 100_000 };

export interface HistoryStore {
  /**
   * Appends the lines in one transaction, in order, and returns them with their ids; throws a StoreError when it
   * cannot (disk full, file gone), and then none of them is kept.
   */
  append(lines: readonly ChatLine[]): StoredLine[];
  /** The newest `limit` lines with an id below `before` (the newest of all without it), oldest first. */
  page(limit: number, before?: number): StoredLine[];
  /**
   * Deletes at most `chunk` of the oldest lines beyond the retention (`now`: the caller's clock, for the age rule);
   * returns how many it deleted, so that a caller can go on in small steps without stalling the chat.
   */
  prune(rule: Retention, now: number, chunk: number): number;
  /** How many lines are kept. */
  count(): number;
}

export interface Store {
  readonly history: HistoryStore;
  /**
   * Checks that the store is still usable: its file still there (a removed one is written back from the open
   * database when it can be). `ok: false` says what is wrong; `note` says what was repaired.
   */
  check(): StoreHealth;
  /** Closes the store cleanly (a checkpoint of the write-ahead log); further calls do nothing. */
  close(): void;
}

export type StoreHealth = { ok: true; note?: string } | { ok: false; problem: string };

/** Why a store cannot be opened or written: `kind` says which documented failure it is. */
export type StoreFailure = 'folder' | 'corrupt' | 'newer-schema' | 'write';

export class StoreError extends Error {
  constructor(readonly kind: StoreFailure, message: string) {
    super(message);
    this.name = 'StoreError';
  }
}
