// runtime/store/history-log.ts with the hub in front of a real SQLite store: one transaction per event-loop turn,
// the append before the delivery, private messages kept in order behind it, refusals while the store cannot be
// written and chat again when it can.
import { expect } from 'chai';
import type { ChatLine } from '../../machines/frames.js';
import { Hub } from '../../runtime/hub.js';
import { HistoryLog } from '../../runtime/store/history-log.js';
import type { HistoryStore, StoredLine } from '../../runtime/store/port.js';
import { SqliteStore } from '../../runtime/store/sqlite/sqlite-store.js';
import { makeTempDir, removeDir } from '../helpers/tmp.js';

class Rec {
  readonly lines: Buffer[] = [];
  write(line: Buffer): void { this.lines.push(line); }
  get frames(): Record<string, unknown>[] { return this.lines.map((l) => JSON.parse(l.toString('utf8'))); }
}

/** The real store, whose appends can be made to fail as a full disk makes them fail. */
class Faulty implements HistoryStore {
  full = false;
  appends: number[] = [];
  constructor(private readonly inner: SqliteStore['history']) {}
  append(lines: readonly ChatLine[]): StoredLine[] {
    if (this.full) throw new Error('cannot write to the store (SQLITE_FULL: database or disk is full)');
    this.appends.push(lines.length);
    return this.inner.append(lines);
  }
  page(limit: number, before?: number): StoredLine[] { return this.inner.page(limit, before); }
  prune(...a: Parameters<HistoryStore['prune']>): number { return this.inner.prune(...a); }
  count(): number { return this.inner.count(); }
}

const turn = () => new Promise<void>((r) => setImmediate(r));

describe('history log (the hub with a store)', () => {
  let dir: string;
  let store: SqliteStore;
  let faulty: Faulty;
  let events: string[];
  let log: HistoryLog;
  beforeEach(() => {
    dir = makeTempDir('messenger-log-');
    store = SqliteStore.open(dir);
    faulty = new Faulty(store.history);
    events = [];
    log = new HistoryLog(faulty, { failed: (p) => events.push(`failed: ${p}`), recovered: () => events.push('recovered') });
  });
  afterEach(() => { store.close(); removeDir(dir); });

  it('writes everything said in one turn in one transaction, and delivers only after it is kept', async () => {
    const hub = new Hub(100, {}, log);
    const a = new Rec(); const b = new Rec();
    hub.join('a', a); hub.join('b', b);
    const mark = b.lines.length;
    for (let i = 0; i < 50; i++) hub.sayAll(i % 2 ? 'a' : 'b', `m${i}`, 1000 + i);
    expect(b.lines.length, 'nothing delivered before the append').to.equal(mark);
    expect(store.history.count()).to.equal(0);
    await turn();
    expect(faulty.appends).to.deep.equal([50]);
    expect(store.history.count()).to.equal(50);
    expect(b.frames.slice(mark).map((f) => f.text)).to.deep.equal(Array.from({ length: 50 }, (_, i) => `m${i}`));
    hub.sayAll('a', 'next turn', 2000);
    await turn();
    expect(faulty.appends).to.deep.equal([50, 1]);
  });

  it('keeps one sender\'s private message behind its messages to all of the same turn', async () => {
    const hub = new Hub(100, {}, log);
    const a = new Rec(); const b = new Rec();
    hub.join('a', a); hub.join('b', b);
    hub.sayAll('a', 'first, to all', 1);
    expect(hub.tell('a', 'b', 'second, private', 2)).to.equal(true);
    expect(hub.tell('a', 'nobody', 'x', 3)).to.equal(false);
    await turn();
    expect(b.frames.slice(-2).map((f) => f.text)).to.deep.equal(['first, to all', 'second, private']);
    expect(store.history.page(10).map((l) => l.text)).to.deep.equal(['first, to all']);
  });

  it('replays at login what the store kept (once loaded), also after a restart on the same store', async () => {
    const hub = new Hub(3, {}, log);
    await hub.load();
    for (let i = 0; i < 5; i++) hub.sayAll('a', `m${i}`, i);
    await turn();
    expect(hub.history().map((l) => l.text)).to.deep.equal(['m2', 'm3', 'm4']);
    const again = new Hub(3, {}, new HistoryLog(store.history));
    expect(again.history(), 'nothing before load()').to.deep.equal([]);
    await again.load();
    expect(again.history()).to.deep.equal(hub.history());
    const page = again.historyPage(10, again.history()[0]!.id);
    expect(Array.isArray(page), 'the embedded store answers a page at once').to.equal(true);
    expect((page as ChatLine[]).map((l) => l.text)).to.deep.equal(['m0', 'm1']);
    const none = new Hub(0, {}, new HistoryLog(store.history));
    await none.load();
    expect(none.history()).to.deep.equal([]);
  });

  it('with an append that is a promise: delivers when it settles, the next batch waiting for it, in order', async () => {
    let release: (() => void) | null = null;
    const slow: HistoryStore = {
      append: async (lines) => { await new Promise<void>((r) => { release = r; }); return store.history.append(lines); },
      page: (limit, before) => Promise.resolve(store.history.page(limit, before)),
      prune: () => 0,
      count: () => store.history.count(),
    };
    const batches: number[] = [];
    const counting: HistoryStore = { ...slow, append: (lines) => { batches.push(lines.length); return slow.append(lines); } };
    const slowLog = new HistoryLog(counting);
    const hub = new Hub(100, {}, slowLog);
    const a = new Rec(); const b = new Rec();
    hub.join('a', a); hub.join('b', b);
    hub.sayAll('a', 'one', 1); hub.sayAll('a', 'two', 2);
    await turn();
    expect(batches).to.deep.equal([2]);
    hub.sayAll('a', 'three', 3);
    hub.tell('a', 'b', 'private four', 4);
    hub.sayAll('a', 'five', 5);
    await turn(); await turn();
    expect(batches, 'the next batch waits for the one in flight').to.deep.equal([2]);
    expect(b.frames.map((f) => f.text)).to.deep.equal([]);
    release!();
    await new Promise((r) => setTimeout(r, 20));
    expect(batches).to.deep.equal([2, 2]);
    expect(b.frames.map((f) => f.text)).to.deep.equal(['one', 'two']);
    release!();
    await new Promise((r) => setTimeout(r, 20));
    expect(b.frames.map((f) => f.text)).to.deep.equal(['one', 'two', 'three', 'private four', 'five']);
    expect((await hub.historyPage(10))!.map((l) => l.text)).to.deep.equal(['one', 'two', 'three', 'five']);
  });

  it('with an append that rejects: refuses that batch, and a flush waits for what is in flight', async () => {
    let fail = true;
    const flaky: HistoryStore = {
      append: async (lines) => { await turn(); if (fail) throw new Error('cannot write to the message broker (timeout)'); return store.history.append(lines); },
      page: (limit, before) => store.history.page(limit, before),
      prune: () => 0,
      count: () => store.history.count(),
    };
    const flakyLog = new HistoryLog(flaky, { failed: (p) => events.push(`failed: ${p}`), recovered: () => events.push('recovered') });
    const hub = new Hub(100, {}, flakyLog);
    const a = new Rec();
    hub.join('a', a);
    hub.sayAll('a', 'lost', 1);
    await flakyLog.flush();
    expect(a.frames.at(-1)).to.include({ type: 'error', code: 'store-unavailable', re: 'say' });
    expect(events).to.deep.equal(['failed: cannot write to the message broker (timeout)']);
    fail = false;
    hub.sayAll('a', 'kept', 2);
    await flakyLog.flush();
    expect(a.frames.at(-1)).to.include({ type: 'message', text: 'kept' });
    expect(events.at(-1)).to.equal('recovered');
  });

  it('refuses messages with store-unavailable while the store cannot be written, and chats again when it can', async () => {
    const hub = new Hub(100, {}, log);
    const a = new Rec(); const b = new Rec();
    hub.join('a', a); hub.join('b', b);
    faulty.full = true;
    hub.sayAll('a', 'lost', 1);
    hub.tell('a', 'b', 'private still goes', 2);
    await turn();
    expect(a.frames.slice(-2).map((f) => f.code ?? f.text)).to.deep.equal(['store-unavailable', 'private still goes']);
    expect(a.frames.at(-2)).to.include({ type: 'error', re: 'say' });
    expect(b.frames.map((f) => f.text)).to.deep.equal(['private still goes']);
    hub.sayAll('a', 'lost too', 3);
    await turn();
    expect(events).to.have.length(1);
    expect(events[0]).to.match(/^failed: .*SQLITE_FULL/);
    expect(log.healthy).to.equal(false);
    faulty.full = false;
    hub.sayAll('a', 'back', 4);
    await turn();
    expect(events).to.deep.equal([events[0], 'recovered']);
    expect(b.frames.at(-1)).to.include({ type: 'message', text: 'back' });
    expect(store.history.page(10).map((l) => l.text)).to.deep.equal(['back']);
  });

  it('refuses without trying while blocked (a store file gone), until unblocked', async () => {
    const hub = new Hub(100, {}, log);
    const a = new Rec();
    hub.join('a', a);
    log.block('the store file was removed');
    hub.sayAll('a', 'x', 1);
    await turn();
    expect(faulty.appends).to.deep.equal([]);
    expect(a.frames.at(-1)).to.include({ code: 'store-unavailable' });
    log.unblock();
    hub.sayAll('a', 'y', 2);
    await turn();
    expect(a.frames.at(-1)).to.include({ type: 'message', text: 'y' });
  });
});
