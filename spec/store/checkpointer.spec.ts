// runtime/store/sqlite/checkpointer.ts: the WAL checkpoint in a worker thread, on real SQLite files. The server's
// connection stops checkpointing for itself; the worker's PASSIVE checkpoints carry the log into the database file;
// a worker that cannot do its job hands checkpointing back to the connection.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { Checkpointer } from '../../runtime/store/sqlite/checkpointer.js';
import { SqliteStore, STORE_FILE } from '../../runtime/store/sqlite/sqlite-store.js';
import { makeTempDir, removeDir } from '../helpers/tmp.js';

const until = async (ok: () => boolean, what: string): Promise<void> => {
  for (let i = 0; i < 400; i++) { if (ok()) return; await new Promise((r) => setTimeout(r, 25)); }
  throw new Error(`timed out waiting for ${what}`);
};
const lines = (n: number, from = 0) => Array.from({ length: n }, (_, i) => ({ from: 'ann', text: `message ${from + i} `.padEnd(200, 'x'), ts: 1000 + from + i }));

describe('SQLite WAL checkpoints in a worker', function () {
  this.timeout(20_000);
  let dir: string;
  beforeEach(() => { dir = makeTempDir('messenger-ckpt-'); });
  afterEach(() => removeDir(dir));

  it('the worker checkpoints what the server commits, and nothing is lost', async () => {
    const s = SqliteStore.open(dir);
    for (let b = 0; b < 20; b++) s.history.append(lines(500, b * 500)); // ~2 MB of log
    await until(() => s.checkpoints.done > 0, 'a checkpoint');
    expect(s.checkpoints.failure).to.equal(null);
    s.close();
    const db = new Database(path.join(dir, STORE_FILE), { readonly: true });
    expect(db.prepare('SELECT count(*) AS n FROM messages').get()).to.deep.equal({ n: 10_000 });
    db.close();
  });

  it('hands checkpointing back to the connection when the worker cannot open the file', async () => {
    const file = path.join(dir, 'x.db');
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    const c = new Checkpointer(db, path.join(dir, 'no-such.db'));
    expect(db.pragma('wal_autocheckpoint', { simple: true })).to.equal(0);
    await until(() => c.failure !== null, 'the worker to fail');
    expect(c.failure).to.match(/no-such|unable to open|does not exist/i);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).to.equal(1000);
    c.committed(); // a no-op now
    c.close();
    db.close();
  });

  it('follows the file when the store writes it back after a removal', async () => {
    const s = SqliteStore.open(dir);
    s.history.append(lines(100));
    await until(() => s.checkpoints.done > 0, 'a first checkpoint');
    fs.rmSync(path.join(dir, STORE_FILE));
    expect(s.check().ok).to.equal(true); // written back from the open connection
    const before = s.checkpoints.done;
    await new Promise((r) => setTimeout(r, 300));
    s.history.append(lines(100, 100));
    await until(() => s.checkpoints.done > before, 'a checkpoint of the new file');
    expect(s.checkpoints.failure).to.equal(null);
    expect(s.history.count()).to.equal(200);
    s.close();
  });
});
