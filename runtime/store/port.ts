// The Store port: everything the server keeps across restarts goes through this narrow interface. The embedded
// SQLite adapter (runtime/store/sqlite/) implements it today; a clustered adapter (NATS JetStream) will implement
// the same port. Accounts and the private messages kept for offline nicknames are sibling parts next to `history`.
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

/** A registered nickname: its password only as an scrypt hash, with the salt and the cost it was made with. */
export interface StoredAccount {
  /** The nickname as registered (its key, nameKey(name), is unique). */
  name: string;
  hash: Buffer;
  salt: Buffer;
  cost: { N: number; r: number; p: number };
  /** When it was registered (ms since the epoch). */
  created: number;
}

/** Accounts, read from the store at each use (a second process, `messenger-server account`, may change them). */
export interface AccountStore {
  /** The account whose nickname has this key (nameKey), or null. */
  get(key: string): StoredAccount | null;
  /** Adds an account; false (nothing written) when its nickname has one already. */
  add(key: string, account: StoredAccount): boolean;
  /** Replaces an account's password hash; false when there is no such account. */
  setPassword(key: string, hash: Pick<StoredAccount, 'hash' | 'salt' | 'cost'>): boolean;
  /** Removes an account and the messages kept for it; false when there was none. */
  remove(key: string): boolean;
  /** Every account, by nickname. */
  list(): StoredAccount[];
}

/** Private messages to registered nicknames that were offline, kept until their next login. */
export interface OfflineStore {
  /** Keeps one message for the nickname with this key (`line.to` is its name); throws a StoreError when it cannot. */
  put(key: string, line: ChatLine & { to: string }): void;
  /** How many messages are kept for the nickname with this key. */
  count(key: string): number;
  /** Takes (reads and deletes, in one transaction) the oldest messages kept for the key, as many as fit in
   *  `maxBytes` of JSON (at least one); the rest stay for the next login. */
  take(key: string, maxBytes: number): ChatLine[];
}

export interface Store {
  readonly history: HistoryStore;
  readonly accounts: AccountStore;
  readonly offline: OfflineStore;
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
