// runtime/store/history-keeper.ts on a real SQLite store with a WarpClock: retention applied in small steps that let
// other work run between them, by age on the clock's time, the store file check, a clean close.
import fs from 'node:fs';
import { TIMING } from '../../machines/timing.js';
import path from 'node:path';
import { expect } from 'chai';
import { WarpClock } from '../../runtime/clock.js';
import { HistoryKeeper, PRUNE_CHUNK } from '../../runtime/store/history-keeper.js';
import { SqliteStore, STORE_FILE } from '../../runtime/store/sqlite/sqlite-store.js';
import { waitUntil } from '../helpers/recorder.js';
import { makeTempDir, removeDir } from '../helpers/tmp.js';

describe('history keeper', () => {
  let dir: string;
  let keeper: HistoryKeeper | null;
  beforeEach(() => { dir = makeTempDir('messenger-keeper-'); keeper = null; });
  afterEach(() => { keeper?.stop(); removeDir(dir); });

  const fill = (store: SqliteStore, n: number, ts: (i: number) => number) => {
    for (let i = 0; i < n; i += 1000) store.history.append(Array.from({ length: Math.min(1000, n - i) }, (_, k) => ({ from: 'a', text: `m${i + k}`, ts: ts(i + k) })));
  };

  it('applies the count rule at start, a chunk per event-loop turn, other work running in between', async () => {
    const store = SqliteStore.open(dir);
    fill(store, PRUNE_CHUNK * 3 + 500, () => 1);
    keeper = new HistoryKeeper(store, { maxCount: 100 }, undefined, new WarpClock());
    let between = 0;
    let counting = true;
    const other = () => { if (!counting) return; between++; setImmediate(other); };
    setImmediate(other);
    keeper.start();
    expect(store.history.count(), 'one chunk at once, not all').to.equal(PRUNE_CHUNK * 2 + 500);
    await waitUntil(() => store.history.count() === 100, 5000, 'pruned to 100');
    counting = false;
    expect(between, 'turns that ran between the steps').to.be.at.least(2);
    expect(store.history.page(1)[0]!.text).to.equal(`m${PRUNE_CHUNK * 3 + 499}`);
  });

  it('applies the age rule on the clock\'s time at every check', async () => {
    const clock = new WarpClock();
    const store = SqliteStore.open(dir);
    const t0 = clock.now();
    fill(store, 10, (i) => t0 + i * 1000);
    keeper = new HistoryKeeper(store, { maxCount: 1000, maxAgeMs: 5000 }, undefined, clock);
    keeper.start();
    expect(store.history.count()).to.equal(10);
    clock.advance(7500); // now - 5 s is 2.5 s after the first message (and a little real time)
    await waitUntil(() => store.history.count() === 7, 3000, 'older than 5 s forgotten');
    expect(store.history.page(10).map((l) => l.text)).to.deep.equal(['m3', 'm4', 'm5', 'm6', 'm7', 'm8', 'm9']);
  });

  it('writes a removed store file back at the next check; stop closes the store', () => {
    const clock = new WarpClock();
    const store = SqliteStore.open(dir);
    keeper = new HistoryKeeper(store, { maxCount: 1000 }, undefined, clock);
    keeper.start();
    store.history.append([{ from: 'a', text: 'kept', ts: 1 }]);
    fs.rmSync(path.join(dir, STORE_FILE));
    clock.advance(TIMING.storeCheckMs);
    expect(fs.existsSync(path.join(dir, STORE_FILE))).to.equal(true);
    expect(keeper.log.healthy).to.equal(true);
    keeper.stop();
    keeper = null;
    expect(store.check()).to.deep.equal({ ok: false, problem: 'the store is closed' });
    const again = SqliteStore.open(dir);
    expect(again.history.page(10).map((l) => l.text)).to.deep.equal(['kept']);
    again.close();
  });
});
