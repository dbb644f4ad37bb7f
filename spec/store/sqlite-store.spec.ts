// runtime/store/sqlite/sqlite-store.ts on real SQLite files in temporary folders: opening, migrations from every
// earlier schema, refusals that write nothing, batches, pages, retention, a removed file written back.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { StoreError } from '../../runtime/store/port.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../../runtime/store/sqlite/migrations.js';
import { migrate, SqliteStore, STORE_FILE } from '../../runtime/store/sqlite/sqlite-store.js';
import { makeTempDir, removeDir } from '../helpers/tmp.js';

const line = (i: number, ts = 1000 + i) => ({ from: `u${i % 3}`, text: `m${i}`, ts });

function refusal(fn: () => unknown): StoreError {
  try { fn(); } catch (e) { if (e instanceof StoreError) return e; throw e; }
  throw new Error('expected a StoreError');
}

describe('SQLite store', () => {
  let dir: string;
  const open: SqliteStore[] = [];
  const openStore = (d = dir) => { const s = SqliteStore.open(d); open.push(s); return s; };
  beforeEach(() => { dir = makeTempDir('messenger-store-'); });
  afterEach(() => { for (const s of open.splice(0)) s.close(); removeDir(dir); });

  it('creates the data folder and the store on first start, in WAL mode at the current schema', () => {
    const data = path.join(dir, 'a', 'data');
    openStore(data).close();
    const db = new Database(path.join(data, STORE_FILE), { readonly: true });
    expect(db.pragma('user_version', { simple: true })).to.equal(SCHEMA_VERSION);
    expect(db.pragma('journal_mode', { simple: true })).to.equal('wal');
    db.close();
  });

  it('appends a batch in one transaction and returns the lines with growing ids', () => {
    const s = openStore();
    const stored = s.history.append([line(1), line(2), line(3)]);
    expect(stored.map((l) => l.text)).to.deep.equal(['m1', 'm2', 'm3']);
    expect(stored[1]!.id).to.equal(stored[0]!.id + 1);
    expect(s.history.append([])).to.deep.equal([]);
    expect(s.history.count()).to.equal(3);
  });

  it('a batch longer than one INSERT statement returns the ids the store gave each line, in order, after a retention', () => {
    const s = openStore();
    s.history.append(Array.from({ length: 40 }, (_, i) => line(i)));
    s.history.prune({ maxCount: 5 }, 0, 1000);
    const stored = s.history.append(Array.from({ length: 75 }, (_, i) => line(100 + i)));
    const read = s.history.page(75);
    expect(stored).to.deep.equal(read);
    expect(stored.map((l) => l.text)).to.deep.equal(Array.from({ length: 75 }, (_, i) => `m${100 + i}`));
    expect(stored[0]!.id).to.equal(41);
  });

  it('keeps what was appended across a reopen, oldest first, and pages back by id', () => {
    const s = openStore();
    s.history.append(Array.from({ length: 10 }, (_, i) => line(i)));
    s.close();
    const again = openStore();
    const last3 = again.history.page(3);
    expect(last3.map((l) => l.text)).to.deep.equal(['m7', 'm8', 'm9']);
    expect(last3[0]).to.include({ from: 'u1', ts: 1007 });
    expect(again.history.page(4, last3[0]!.id).map((l) => l.text)).to.deep.equal(['m3', 'm4', 'm5', 'm6']);
    expect(again.history.page(100, again.history.page(1, last3[0]!.id)[0]!.id)).to.have.length(6);
    expect(again.history.page(0)).to.deep.equal([]);
  });

  describe('migrations', () => {
    for (let from = 0; from < SCHEMA_VERSION; from++) {
      it(`brings a store at schema ${from} to ${SCHEMA_VERSION}, keeping its messages`, () => {
        const file = path.join(dir, STORE_FILE);
        const db = new Database(file);
        migrate(db, 0, from);
        if (from >= 1) db.prepare('INSERT INTO messages (sender, text, ts) VALUES (?, ?, ?)').run('old', 'kept', 7);
        db.close();
        const s = openStore();
        const db2 = new Database(file, { readonly: true });
        expect(db2.pragma('user_version', { simple: true })).to.equal(SCHEMA_VERSION);
        db2.close();
        if (from >= 1) expect(s.history.page(10).map((l) => [l.from, l.text, l.ts])).to.deep.equal([['old', 'kept', 7]]);
        s.history.append([line(1)]);
        expect(s.history.count()).to.equal(from >= 1 ? 2 : 1);
      });
    }

    it('numbers one migration per schema version', () => {
      expect(MIGRATIONS).to.have.length(SCHEMA_VERSION);
    });
  });

  describe('refusals that write nothing', () => {
    it('a store of a newer schema', () => {
      const file = path.join(dir, STORE_FILE);
      const db = new Database(file);
      migrate(db, 0);
      db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
      db.close();
      const before = fs.readFileSync(file);
      const e = refusal(() => openStore());
      expect(e.kind).to.equal('newer-schema');
      expect(e.message).to.match(/newer than this server/);
      expect(fs.readFileSync(file).equals(before)).to.equal(true);
    });

    it('a store file that is not a database', () => {
      const file = path.join(dir, STORE_FILE);
      const junk = Buffer.alloc(8192, 0x5a);
      fs.writeFileSync(file, junk);
      const e = refusal(() => openStore());
      expect(e.kind).to.equal('corrupt');
      expect(fs.readFileSync(file).equals(junk)).to.equal(true);
      expect(fs.readdirSync(dir).sort()).to.deep.equal([STORE_FILE]);
    });

    it('a store whose pages are damaged', () => {
      const s = openStore();
      s.history.append(Array.from({ length: 500 }, (_, i) => ({ from: 'x', text: 'y'.repeat(200), ts: i })));
      s.close();
      open.length = 0;
      const file = path.join(dir, STORE_FILE);
      const bytes = fs.readFileSync(file);
      bytes.fill(0xff, 4096 * 3, 4096 * 6); // pages 4-6: table pages, not the header
      fs.writeFileSync(file, bytes);
      const e = refusal(() => openStore());
      expect(e.kind).to.equal('corrupt');
      expect(fs.readFileSync(file).equals(bytes)).to.equal(true);
    });

    it('a data folder that is a file', () => {
      const file = path.join(dir, 'plain');
      fs.writeFileSync(file, 'x');
      expect(refusal(() => openStore(file)).kind).to.equal('folder');
      expect(refusal(() => openStore(path.join(file, 'sub'))).kind).to.equal('folder');
    });
  });

  describe('retention', () => {
    it('keeps the newest maxCount, a chunk at a time', () => {
      const s = openStore();
      s.history.append(Array.from({ length: 50 }, (_, i) => line(i)));
      expect(s.history.prune({ maxCount: 20 }, 0, 10)).to.equal(10);
      expect(s.history.count()).to.equal(40);
      expect(s.history.prune({ maxCount: 20 }, 0, 100)).to.equal(20);
      expect(s.history.prune({ maxCount: 20 }, 0, 100)).to.equal(0);
      expect(s.history.page(100).map((l) => l.text)).to.deep.equal(Array.from({ length: 20 }, (_, i) => `m${30 + i}`));
    });

    it('forgets messages older than maxAgeMs', () => {
      const s = openStore();
      s.history.append(Array.from({ length: 10 }, (_, i) => line(i, i * 1000)));
      expect(s.history.prune({ maxCount: 100, maxAgeMs: 4500 }, 10_000, 100)).to.equal(6);
      expect(s.history.page(100).map((l) => l.ts)).to.deep.equal([6000, 7000, 8000, 9000]);
    });

    it('keeps nothing with maxCount 0', () => {
      const s = openStore();
      s.history.append([line(1), line(2)]);
      s.history.prune({ maxCount: 0 }, 0, 100);
      expect(s.history.count()).to.equal(0);
      expect(s.history.append([line(3)])[0]!.id).to.equal(3);
    });
  });

  it('writes a removed store file back from the open database and goes on', () => {
    const s = openStore();
    s.history.append([line(1), line(2)]);
    expect(s.check()).to.deep.equal({ ok: true });
    fs.rmSync(path.join(dir, STORE_FILE));
    const h = s.check();
    expect(h.ok).to.equal(true);
    expect(h.ok && h.note).to.match(/written back/);
    s.history.append([line(3)]);
    s.close();
    open.length = 0;
    expect(openStore().history.page(10).map((l) => l.text)).to.deep.equal(['m1', 'm2', 'm3']);
  });

  it('keeps accounts: one per nickname key, the hash with its salt and cost, changed and removed; across a reopen', () => {
    const s = openStore();
    const a = { name: 'Alice', hash: Buffer.alloc(32, 1), salt: Buffer.alloc(16, 2), cost: { N: 1024, r: 8, p: 1 }, created: 5 };
    expect(s.accounts.add('alice', a)).to.equal(true);
    expect(s.accounts.add('alice', { ...a, name: 'ALICE' })).to.equal(false);
    expect(s.accounts.setPassword('alice', { hash: Buffer.alloc(32, 3), salt: Buffer.alloc(16, 4), cost: { N: 2048, r: 8, p: 2 } })).to.equal(true);
    expect(s.accounts.setPassword('nobody', a)).to.equal(false);
    s.close();
    const again = openStore();
    const got = again.accounts.get('alice')!;
    expect([got.name, got.hash.equals(Buffer.alloc(32, 3)), got.salt.equals(Buffer.alloc(16, 4)), got.cost, got.created])
      .to.deep.equal(['Alice', true, true, { N: 2048, r: 8, p: 2 }, 5]);
    expect(again.accounts.list().map((x) => x.name)).to.deep.equal(['Alice']);
    again.offline.put('alice', { from: 'bob', to: 'Alice', text: 'kept', ts: 1 });
    expect(again.accounts.remove('alice')).to.equal(true);
    expect([again.accounts.get('alice'), again.offline.count('alice'), again.accounts.remove('alice')]).to.deep.equal([null, 0, false]);
  });

  it('keeps private messages per recipient and hands them out once, oldest first, within a byte budget', () => {
    const s = openStore();
    for (let i = 0; i < 5; i++) s.offline.put('carol', { from: 'bob', to: 'Carol', text: `m${i}`.padEnd(100, '.'), ts: i });
    s.offline.put('dave', { from: 'bob', to: 'dave', text: 'not for carol', ts: 9 });
    expect(s.offline.count('carol')).to.equal(5);
    const first = s.offline.take('carol', 300);
    expect(first.map((l) => [l.from, l.to, l.text.slice(0, 2), l.ts])).to.deep.equal([['bob', 'Carol', 'm0', 0], ['bob', 'Carol', 'm1', 1]]);
    expect(s.offline.take('carol', 10).map((l) => l.ts), 'at least one, whatever the budget').to.deep.equal([2]);
    expect(s.offline.take('carol', 1e6).map((l) => l.ts)).to.deep.equal([3, 4]);
    expect(s.offline.take('carol', 1e6)).to.deep.equal([]);
    expect(s.offline.count('dave')).to.equal(1);
  });
});
