// runtime/store/history-keeper.ts on a real SQLite store with a WarpClock: retention applied in small steps that let
// other work run between them, by age on the clock's time, the store file check, a clean close.
import fs from 'node:fs';
import { TIMING } from '../../machines/timing.js';
import path from 'node:path';
import { expect } from 'chai';
import { WarpClock } from '../../runtime/clock.js';
import { HistoryKeeper, PRUNE_CHUNK } from '../../runtime/store/history-keeper.js';
import { SqliteStore, STORE_FILE } from '../../runtime/store/sqlite/sqlite-store.js';
import { delay, waitUntil } from '../helpers/recorder.js';
import { makeTempDir, removeDir } from '../helpers/tmp.js';
import { JetStreamStore } from '../../runtime/store/jetstream/jetstream-store.js';
import { PrivateNats, uniquePrefix } from '../helpers/nats-broker.js';
import type { StoredLine } from '../../runtime/store/port.js';

describe('history keeper', () => {
  let dir: string;
  let keeper: HistoryKeeper | null;
  beforeEach(() => { dir = makeTempDir('messenger-keeper-'); keeper = null; });
  afterEach(async () => { await keeper?.stop(); removeDir(dir); });

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

  it('with the clustered store: refuses writes while the broker is away, takes them again when it is back; stop waits and closes', async function () {
    this.timeout(60000);
    const nats = await PrivateNats.start();
    try {
      const store = await JetStreamStore.open({ servers: [nats.url], prefix: uniquePrefix('keep'), retention: { maxCount: 1000 }, timeoutMs: 2000 });
      keeper = new HistoryKeeper(store, { maxCount: 1000 });
      keeper.start();
      const results: Array<StoredLine | string> = [];
      const say = (text: string) => keeper!.log.submit({ line: { from: 'a', text, ts: 1 }, deliver: (l) => results.push(l!), refuse: (p) => results.push(`refused: ${p}`) });
      say('before');
      await waitUntil(() => results.length === 1, 5000, 'kept');
      expect(results[0]).to.deep.include({ id: 1, text: 'before' });
      await nats.kill('SIGKILL');
      await waitUntil(() => !keeper!.log.healthy, 10000, 'the check noticed');
      say('during');
      await waitUntil(() => results.length === 2, 10000, 'answered');
      expect(results[1]).to.match(/^refused: .*message broker/);
      await nats.restart();
      // refused until the check finds the broker again (then the next batch is written)
      let kept: StoredLine | null = null;
      for (let i = 0; i < 100 && !kept; i++) {
        const before = results.length;
        say('after');
        await waitUntil(() => results.length > before, 10000, 'answered');
        const r = results.at(-1)!;
        if (typeof r !== 'string') kept = r; else await delay(200);
      }
      expect(kept).to.deep.include({ id: 2, text: 'after' });
      expect(keeper.log.healthy).to.equal(true);
      say('at stop');
      const stopped = keeper.stop();
      keeper = null;
      expect(stopped, 'a promise: the last batch and the broker take time').to.be.instanceOf(Promise);
      await stopped;
      expect(results.at(-1)).to.deep.include({ id: 3, text: 'at stop' });
      expect(await store.check()).to.deep.equal({ ok: false, problem: 'the store is closed' });
    } finally { await nats.dispose(); }
  });
});
