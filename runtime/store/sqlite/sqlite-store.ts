// The embedded store: one SQLite file in the data folder, through better-sqlite3 (synchronous, so a batch is one
// transaction that ends before the batch is delivered). WAL mode with synchronous=NORMAL: a committed transaction
// survives the process being killed at any point (it is in the log file the OS already holds).
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { ChatLine } from '../../../machines/frames.js';
import { StoreError, type AccountStore, type HistoryStore, type OfflineStore, type Retention, type Store, type StoreHealth, type StoredAccount, type StoredLine } from '../port.js';
import { Checkpointer } from './checkpointer.js';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.js';

export const STORE_FILE = 'messenger.db';

type Db = Database.Database;

interface Row { id: number; sender: string; text: string; ts: number }

/** Prepared statements per database, by their SQL: a login asks the accounts and the mailbox every time, and
 *  preparing a statement costs more than running it (a storm of 10,000 logins spent ~0.5 CPU-s in prepare). */
const statements = new WeakMap<Db, Map<string, Database.Statement>>();
function stmt(db: Db, sql: string): Database.Statement {
  let cache = statements.get(db);
  if (!cache) { cache = new Map(); statements.set(db, cache); }
  let st = cache.get(sql);
  if (!st) { st = db.prepare(sql); cache.set(sql, st); }
  return st;
}

function describe(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err.code ? `${err.code}: ${err.message}` : String(err.message ?? e);
}

/** Makes sure `dir` exists and can be read and written (a probe file is written and removed). */
export function prepareDataFolder(dir: string): void {
  try { fs.mkdirSync(dir, { recursive: true }); } catch (e) {
    throw new StoreError('folder', `cannot create the data folder ${dir} (${describe(e)})`);
  }
  let st: fs.Stats;
  try { st = fs.statSync(dir); } catch (e) { throw new StoreError('folder', `cannot read the data folder ${dir} (${describe(e)})`); }
  if (!st.isDirectory()) throw new StoreError('folder', `the data folder ${dir} is not a folder`);
  try { fs.readdirSync(dir); } catch (e) { throw new StoreError('folder', `cannot read the data folder ${dir} (${describe(e)})`); }
  const probe = path.join(dir, `.probe-${process.pid}`);
  try { fs.writeFileSync(probe, ''); fs.rmSync(probe); } catch (e) {
    throw new StoreError('folder', `cannot write in the data folder ${dir} (${describe(e)})`);
  }
}

/** Runs the migrations a database at `from` still needs, each in its own transaction. */
export function migrate(db: Db, from: number, to = SCHEMA_VERSION): void {
  for (let v = from; v < to; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}

/** Opens the database file, refusing (StoreError) a file that is not a sound SQLite database or is of a newer schema. */
function openChecked(file: string): Db {
  let db: Db;
  try { db = new Database(file); } catch (e) { throw new StoreError('folder', `cannot open the store ${file} (${describe(e)})`); }
  try {
    const version = db.pragma('user_version', { simple: true }) as number;
    const check = db.pragma('quick_check', { simple: true }) as string;
    if (check !== 'ok') throw new StoreError('corrupt', `the store ${file} is damaged (${check})`);
    if (version > SCHEMA_VERSION) {
      throw new StoreError('newer-schema', `the store ${file} has schema version ${version}, newer than this server's ${SCHEMA_VERSION}: run a newer messenger-server`);
    }
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    migrate(db, version);
    return db;
  } catch (e) {
    db.close();
    if (e instanceof StoreError) throw e;
    const code = (e as { code?: string }).code;
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') throw new StoreError('corrupt', `the store ${file} is not a sound database (${describe(e)})`);
    throw new StoreError('folder', `cannot use the store ${file} (${describe(e)})`);
  }
}

/** Rows written by one INSERT statement at most: a batch of a turn goes in a few statements, not one per message
 *  (each statement run is a call into SQLite with its own bookkeeping; 3 x 32 parameters stay far below its limit). */
const ROWS_PER_INSERT = 32;

class SqliteHistory implements HistoryStore {
  /** INSERT statements of 1..ROWS_PER_INSERT rows, prepared when first needed (index: rows - 1). */
  private inserts: Database.Statement<unknown[]>[] = [];
  private before!: Database.Statement<[number, number], Row>;
  private bounds!: Database.Statement<[]>;
  private deleteBelow!: Database.Statement<[number]>;
  private appendAll!: (lines: readonly ChatLine[]) => StoredLine[];

  constructor(private db: Db) { this.bind(db); }

  bind(db: Db): void {
    this.db = db;
    this.inserts = [];
    this.before = db.prepare('SELECT id, sender, text, ts FROM messages WHERE id < ? ORDER BY id DESC LIMIT ?');
    // two subqueries, not min(id), max(id) in one: SQLite reads a lone min() or max() off the end of the rowid tree,
    // but both in one query scan the whole table (5 ms at 100,000 messages, run by every step of the retention)
    this.bounds = db.prepare('SELECT (SELECT min(id) FROM messages) AS lo, (SELECT max(id) FROM messages) AS hi');
    this.deleteBelow = db.prepare('DELETE FROM messages WHERE id < ?');
    this.appendAll = db.transaction((lines: readonly ChatLine[]) => {
      const out: StoredLine[] = new Array(lines.length);
      for (let i = 0; i < lines.length; i += ROWS_PER_INSERT) {
        const k = Math.min(ROWS_PER_INSERT, lines.length - i);
        const args: unknown[] = new Array(3 * k);
        for (let j = 0; j < k; j++) {
          const l = lines[i + j]!;
          args[3 * j] = l.from; args[3 * j + 1] = l.text; args[3 * j + 2] = l.ts;
        }
        // one statement inserts its rows one after another under the write lock: their ids are consecutive
        const last = Number(this.insert(k).run(args).lastInsertRowid);
        for (let j = 0; j < k; j++) {
          const l = lines[i + j]!;
          out[i + j] = { id: last - k + 1 + j, from: l.from, text: l.text, ts: l.ts };
        }
      }
      return out;
    });
  }

  private insert(rows: number): Database.Statement<unknown[]> {
    return (this.inserts[rows - 1] ??= this.db.prepare(`INSERT INTO messages (sender, text, ts) VALUES ${Array(rows).fill('(?, ?, ?)').join(', ')}`));
  }

  /** Called after each commit of a batch (the store's background checkpoint). */
  committed: () => void = () => {};

  append(lines: readonly ChatLine[]): StoredLine[] {
    if (!lines.length) return [];
    let stored: StoredLine[];
    try { stored = this.appendAll(lines); } catch (e) { throw new StoreError('write', `cannot write to the store (${describe(e)})`); }
    this.committed();
    return stored;
  }

  page(limit: number, before?: number): StoredLine[] {
    if (limit <= 0) return [];
    const rows = this.before.all(before ?? Number.MAX_SAFE_INTEGER, limit);
    const out: StoredLine[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[rows.length - 1 - i]!;
      out[i] = { id: r.id, from: r.sender, text: r.text, ts: r.ts };
    }
    return out;
  }

  prune(rule: Retention, now: number, chunk: number): number {
    const bounds = this.bounds.get() as { lo: number | null; hi: number | null };
    if (bounds.lo === null || bounds.hi === null) return 0;
    let deleted = 0;
    // the count rule: keep the newest maxCount ids, deleting at most `chunk` of the oldest at a time
    const keepFrom = bounds.hi - rule.maxCount + 1;
    if (keepFrom > bounds.lo) {
      deleted += this.deleteBelow.run(Math.min(keepFrom, bounds.lo + chunk)).changes;
    }
    // the age rule: among the oldest `chunk` left, the ones older than maxAgeMs
    if (rule.maxAgeMs !== undefined && deleted < chunk) {
      deleted += stmt(this.db, 'DELETE FROM messages WHERE id IN (SELECT id FROM messages ORDER BY id LIMIT ?) AND ts < ?')
        .run(chunk - deleted, now - rule.maxAgeMs).changes;
    }
    if (deleted > 0) this.committed();
    return deleted;
  }

  count(): number { return (stmt(this.db, 'SELECT count(*) AS n FROM messages').get() as { n: number }).n; }
}

interface AccountRow { name: string; hash: Buffer; salt: Buffer; scrypt_n: number; scrypt_r: number; scrypt_p: number; created: number }
const toAccount = (r: AccountRow): StoredAccount =>
  ({ name: r.name, hash: r.hash, salt: r.salt, cost: { N: r.scrypt_n, r: r.scrypt_r, p: r.scrypt_p }, created: r.created });

class SqliteAccounts implements AccountStore {
  constructor(private db: Db) {}
  bind(db: Db): void { this.db = db; }

  get(key: string): StoredAccount | null {
    const r = stmt(this.db, 'SELECT * FROM accounts WHERE name_key = ?').get(key) as AccountRow | undefined;
    return r ? toAccount(r) : null;
  }

  add(key: string, a: StoredAccount): boolean {
    try {
      return stmt(this.db, 'INSERT OR IGNORE INTO accounts (name_key, name, hash, salt, scrypt_n, scrypt_r, scrypt_p, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(key, a.name, a.hash, a.salt, a.cost.N, a.cost.r, a.cost.p, a.created).changes === 1;
    } catch (e) { throw new StoreError('write', `cannot write to the store (${describe(e)})`); }
  }

  setPassword(key: string, h: Pick<StoredAccount, 'hash' | 'salt' | 'cost'>): boolean {
    try {
      return stmt(this.db, 'UPDATE accounts SET hash = ?, salt = ?, scrypt_n = ?, scrypt_r = ?, scrypt_p = ? WHERE name_key = ?')
        .run(h.hash, h.salt, h.cost.N, h.cost.r, h.cost.p, key).changes === 1;
    } catch (e) { throw new StoreError('write', `cannot write to the store (${describe(e)})`); }
  }

  remove(key: string): boolean {
    try {
      return this.db.transaction(() => {
        // the next person to register this nickname must not read what was kept for the old account
        stmt(this.db, 'DELETE FROM offline WHERE to_key = ?').run(key);
        return stmt(this.db, 'DELETE FROM accounts WHERE name_key = ?').run(key).changes === 1;
      })();
    } catch (e) { throw new StoreError('write', `cannot write to the store (${describe(e)})`); }
  }

  list(): StoredAccount[] { return (stmt(this.db, 'SELECT * FROM accounts ORDER BY name_key').all() as AccountRow[]).map(toAccount); }
}

class SqliteOffline implements OfflineStore {
  constructor(private db: Db) {}
  bind(db: Db): void { this.db = db; }

  put(key: string, l: ChatLine & { to: string }): void {
    try { stmt(this.db, 'INSERT INTO offline (to_key, recipient, sender, text, ts) VALUES (?, ?, ?, ?, ?)').run(key, l.to, l.from, l.text, l.ts); }
    catch (e) { throw new StoreError('write', `cannot write to the store (${describe(e)})`); }
  }

  count(key: string): number {
    return (stmt(this.db, 'SELECT count(*) AS n FROM offline WHERE to_key = ?').get(key) as { n: number }).n;
  }

  take(key: string, maxBytes: number): ChatLine[] {
    // most logins have nothing kept: one indexed lookup, no transaction
    if (stmt(this.db, 'SELECT 1 FROM offline WHERE to_key = ? LIMIT 1').get(key) === undefined) return [];
    return this.db.transaction(() => {
      const rows = stmt(this.db, 'SELECT id, recipient, sender, text, ts FROM offline WHERE to_key = ? ORDER BY id')
        .all(key) as Array<{ id: number; recipient: string; sender: string; text: string; ts: number }>;
      const out: ChatLine[] = [];
      let bytes = 0;
      let last = -1;
      for (const r of rows) {
        const line: ChatLine = { from: r.sender, to: r.recipient, text: r.text, ts: r.ts };
        bytes += Buffer.byteLength(JSON.stringify(line)) + 1;
        if (out.length && bytes > maxBytes) break;
        out.push(line);
        last = r.id;
      }
      if (last >= 0) stmt(this.db, 'DELETE FROM offline WHERE to_key = ? AND id <= ?').run(key, last);
      return out;
    })();
  }
}

export class SqliteStore implements Store {
  readonly history: SqliteHistory;
  readonly accounts: SqliteAccounts;
  readonly offline: SqliteOffline;
  private ino: number;
  private closed = false;
  /** The WAL checkpoint in a worker thread, started by the first batch of history written (checkpointer.ts). */
  private checkpointer: Checkpointer | null = null;
  private checkpointerFailed = false;

  private constructor(private db: Db, readonly file: string) {
    this.history = new SqliteHistory(db);
    this.history.committed = () => this.committed();
    this.accounts = new SqliteAccounts(db);
    this.offline = new SqliteOffline(db);
    this.ino = fs.statSync(file).ino;
  }

  /**
   * Opens (creating on first start) the store in the data folder `dir`. Throws a StoreError, having written
   * nothing, when the folder cannot be created, read or written, or the file is damaged or of a newer schema.
   */
  static open(dir: string): SqliteStore {
    prepareDataFolder(dir);
    const file = path.join(dir, STORE_FILE);
    if (fs.existsSync(file)) {
      try { fs.accessSync(file, fs.constants.R_OK | fs.constants.W_OK); } catch (e) {
        throw new StoreError('folder', `cannot read and write the store ${file} (${describe(e)})`);
      }
    }
    return new SqliteStore(openChecked(file), file);
  }

  private committed(): void {
    if (this.closed || this.checkpointerFailed) return;
    if (!this.checkpointer) {
      // no worker (a thread could not be started): the connection checkpoints for itself, as SQLite does by default
      try { this.checkpointer = new Checkpointer(this.db, this.file); } catch { this.checkpointerFailed = true; return; }
    }
    this.checkpointer.committed();
  }

  /** Checkpoints the background worker finished, and why it stopped being used (null while it is): for tests. */
  get checkpoints(): { done: number; failure: string | null } {
    return { done: this.checkpointer?.done ?? 0, failure: this.checkpointer?.failure ?? null };
  }

  check(): StoreHealth {
    if (this.closed) return { ok: false, problem: 'the store is closed' };
    let ino: number | null = null;
    try { ino = fs.statSync(this.file).ino; } catch { /* gone */ }
    if (ino === this.ino) return { ok: true };
    // the file was removed (or replaced) under us: the open connection still holds every committed message, so
    // write them back to the file's place and go on with that copy
    if (ino !== null) return { ok: false, problem: `the store file ${this.file} was replaced while the server ran` };
    try {
      this.db.prepare('VACUUM INTO ?').run(this.file);
      const db = openChecked(this.file);
      this.db.close();
      this.db = db;
      this.history.bind(db);
      this.accounts.bind(db);
      this.offline.bind(db);
      this.checkpointer?.reopen(db, this.file);
      this.ino = fs.statSync(this.file).ino;
      return { ok: true, note: `the store file ${this.file} was removed while the server ran: written back from the open database` };
    } catch (e) {
      try { fs.rmSync(this.file, { force: true }); } catch { /* a partial copy is not a store */ }
      return { ok: false, problem: `the store file ${this.file} was removed while the server ran and cannot be written back (${describe(e)})` };
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.checkpointer?.close();
    try { this.db.pragma('wal_checkpoint(TRUNCATE)'); } catch { /* closing still checkpoints what it can */ }
    this.db.close();
  }
}
