// The WAL checkpoint off the event loop. SQLite in WAL mode appends each commit to the log and, every 1,000 pages,
// copies the log back into the database file and syncs it: with synchronous=NORMAL that checkpoint is the only fsync,
// and it ran inside whichever commit crossed the mark, on the server's one thread (commits at a busy room's rate had
// a p99 of 7-9 ms and a maximum of 34-82 ms, which every message of that turn waited for). Here a worker thread with
// its own connection to the same file runs PASSIVE checkpoints (they never block the writer, nor wait for it), at
// most one at a time and at most every CHECKPOINT_EVERY_MS, asked for after commits; the server's connection runs
// with wal_autocheckpoint = 0. Should the worker fail, the server's connection checkpoints for itself again, as
// before. Durability is unchanged: a commit is in the log before it is delivered, checkpointed or not.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';

/** A checkpoint is asked for at most this often while commits come. */
export const CHECKPOINT_EVERY_MS = 250;
/** SQLite's own default, for the connection that checkpoints for itself. */
const AUTOCHECKPOINT_PAGES = 1000;

// CommonJS, evaluated in the worker: better-sqlite3 is loaded from the path the server resolved
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
let db = null;
const fail = (e) => parentPort.postMessage({ type: 'failed', message: String(e && e.message || e) });
parentPort.on('message', (m) => {
  if (m.type === 'open') {
    try { if (db) db.close(); } catch {}
    db = null;
    try { db = new Database(m.file, { fileMustExist: true }); db.pragma('busy_timeout = 2000'); } catch (e) { fail(e); }
  } else if (m.type === 'checkpoint') {
    try { const r = db ? db.pragma('wal_checkpoint(PASSIVE)')[0] : null; parentPort.postMessage({ type: 'done', result: r }); }
    catch (e) { fail(e); }
  } else if (m.type === 'close') {
    try { if (db) db.close(); } catch {}
    db = null;
    parentPort.close();
  }
});
`;

type FromWorker = { type: 'done'; result: unknown } | { type: 'failed'; message: string };

export class Checkpointer {
  private worker: Worker | null;
  private busy = false;
  private lastAt = -Infinity;
  /** Checkpoints the worker has finished (for tests and logs). */
  done = 0;
  /** Why the worker stopped being used, or null while it is. */
  failure: string | null = null;

  constructor(private db: Database.Database, file: string, private readonly now: () => number = () => performance.now()) {
    const module = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { module } });
    this.worker.unref();
    this.worker.on('message', (m: FromWorker) => {
      if (m.type === 'failed') { this.fallBack(m.message); return; }
      this.busy = false;
      this.done++;
    });
    this.worker.on('error', (e) => this.fallBack(e.message));
    this.worker.on('exit', () => { if (this.worker) this.fallBack('the checkpoint worker exited'); });
    db.pragma('wal_autocheckpoint = 0');
    this.worker.postMessage({ type: 'open', file });
  }

  /** After a commit: a checkpoint, unless one is under way or the last was asked for less than CHECKPOINT_EVERY_MS ago. */
  committed(): void {
    if (!this.worker || this.busy) return;
    const t = this.now();
    if (t - this.lastAt < CHECKPOINT_EVERY_MS) return;
    this.lastAt = t;
    this.busy = true;
    this.worker.postMessage({ type: 'checkpoint' });
  }

  /** The server's connection was replaced (the file was written back after a removal): the worker opens the new file. */
  reopen(db: Database.Database, file: string): void {
    this.db = db;
    if (!this.worker) { db.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`); return; }
    db.pragma('wal_autocheckpoint = 0');
    this.busy = false;
    this.worker.postMessage({ type: 'open', file });
  }

  /** Stops the worker (the server's connection checkpoints what is left when it closes). */
  close(): void {
    const w = this.worker;
    this.worker = null;
    if (w) void w.terminate();
  }

  private fallBack(problem: string): void {
    if (!this.worker) return;
    const w = this.worker;
    this.worker = null;
    this.failure = problem;
    void w.terminate();
    try { this.db.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`); } catch { /* a closed connection needs none */ }
  }
}
