// The Store port: everything the server keeps across restarts goes through this narrow interface. The embedded
// SQLite adapter (runtime/store/sqlite/) answers every call at once with a plain value; the clustered adapter on
// NATS JetStream (runtime/store/jetstream/) answers writes and history reads with promises, and reads accounts and
// kept messages from a local replica. Callers handle both (`Awaitable`) without adding a microtask to the plain
// case. Accounts and the private messages kept for offline nicknames are sibling parts next to `history`.
import type { ChatLine } from '../../machines/frames.js';

/** A value now (the embedded store) or later (a store behind a network). */
export type Awaitable<T> = T | Promise<T>;

/** Whether `v` is a promise (anything with a `then`), to take the plain path without a microtask when it is not. */
export function isPromise<T>(v: Awaitable<T>): v is Promise<T> {
  return typeof (v as { then?: unknown } | null)?.then === 'function';
}

/** Calls `ok` with the value of `v` (at once when it is plain), or `fail` with what it threw or rejected with. */
export function settle<T>(run: () => Awaitable<T>, ok: (value: T) => void, fail: (e: unknown) => void): void {
  let v: Awaitable<T>;
  try { v = run(); } catch (e) { fail(e); return; }
  if (isPromise(v)) v.then(ok, fail);
  else ok(v);
}

/** What stops a `follow`. */
export interface Following { stop(): void }

/** A kept message to all, with its place in the log (ids grow with every append). */
export interface StoredLine extends ChatLine { id: number }

/** How much history to keep: at most `maxCount` messages, and (when set) none older than `maxAgeMs`. */
export interface Retention { maxCount: number; maxAgeMs?: number }

export const DEFAULT_RETENTION: Retention = { maxCount: 100_000 };

export interface HistoryStore {
  /**
   * Appends the lines in one transaction, in order, and returns them with their ids; throws (or rejects with) a
   * StoreError when it cannot (disk full, file gone, broker unreachable), and then none of them is kept. (JetStream
   * on nats-server 2.9 has no atomic batch: a broker dying between two lines of one batch can keep the first ones;
   * see docs/DESIGN.md.)
   */
  append(lines: readonly ChatLine[]): Awaitable<StoredLine[]>;
  /** The newest `limit` lines with an id below `before` (the newest of all without it), oldest first. */
  page(limit: number, before?: number): Awaitable<StoredLine[]>;
  /**
   * Deletes at most `chunk` of the oldest lines beyond the retention (`now`: the caller's clock, for the age rule);
   * returns how many it deleted, so that a caller can go on in small steps without stalling the chat. (A broker
   * that applies the retention itself returns 0.)
   */
  prune(rule: Retention, now: number, chunk: number): Awaitable<number>;
  /** How many lines are kept. */
  count(): Awaitable<number>;
  /**
   * A clustered store only: calls `onLine` with every line appended by any node, in the store's one order, from
   * the one after `afterId` on (0: from the oldest kept), each once, resuming by itself after a broker outage.
   * `onGap` says when lines were lost to it (dropped by the retention before they could be delivered).
   */
  follow?(afterId: number, onLine: (line: StoredLine) => void, onGap?: (problem: string) => void): Following;
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

/**
 * Accounts, read from the store at each use (a second process, `messenger-server account`, or another node, may
 * change them). Reads are synchronous: a clustered store answers them from a local replica that a watch keeps
 * current, so an account added anywhere counts at the next login everywhere.
 */
export interface AccountStore {
  /** The account whose nickname has this key (nameKey), or null. */
  get(key: string): StoredAccount | null;
  /** Adds an account; false (nothing written) when its nickname has one already (atomic across nodes). */
  add(key: string, account: StoredAccount): Awaitable<boolean>;
  /** Replaces an account's password hash; false when there is no such account. */
  setPassword(key: string, hash: Pick<StoredAccount, 'hash' | 'salt' | 'cost'>): Awaitable<boolean>;
  /** Removes an account and the messages kept for it; false when there was none. */
  remove(key: string): Awaitable<boolean>;
  /** Every account, by nickname. */
  list(): StoredAccount[];
}

/**
 * Private messages to registered nicknames that were offline, kept until their next login. `count` and `take` are
 * synchronous (a clustered store answers them from its replica); `put` may be a promise.
 */
export interface OfflineStore {
  /** Keeps one message for the nickname with this key (`line.to` is its name); throws (or rejects with) a
   *  StoreError when it cannot. */
  put(key: string, line: ChatLine & { to: string }): Awaitable<void>;
  /** How many messages are kept for the nickname with this key. */
  count(key: string): number;
  /** Takes (reads and deletes) the oldest messages kept for the key, as many as fit in `maxBytes` of JSON (at
   *  least one); the rest stay for the next login. The embedded store does it in one transaction; a clustered
   *  store removes them from its replica at once and from the broker just after (revision-checked), so a message
   *  is delivered at least once: twice only if the node dies, or the broker is down until it stops, in between. */
  take(key: string, maxBytes: number): ChatLine[];
}

export interface Store {
  readonly history: HistoryStore;
  readonly accounts: AccountStore;
  readonly offline: OfflineStore;
  /**
   * Checks that the store is still usable: its file still there (a removed one is written back from the open
   * database when it can be), or its broker reachable. `ok: false` says what is wrong; `note` says what was repaired.
   */
  check(): Awaitable<StoreHealth>;
  /** Closes the store cleanly (a checkpoint of the write-ahead log, or the broker connection drained); further
   *  calls do nothing. */
  close(): Awaitable<void>;
}

export type StoreHealth = { ok: true; note?: string } | { ok: false; problem: string };

/** Why a store cannot be opened or written: `kind` says which documented failure it is (`unreachable`: the message
 *  broker of a clustered store did not answer in time). */
export type StoreFailure = 'folder' | 'corrupt' | 'newer-schema' | 'write' | 'unreachable';

export class StoreError extends Error {
  constructor(readonly kind: StoreFailure, message: string) {
    super(message);
    this.name = 'StoreError';
  }
}
