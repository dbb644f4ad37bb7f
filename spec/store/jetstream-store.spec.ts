// runtime/store/jetstream/ on the real NATS: every method of the Store port, two stores on one prefix as two nodes
// of a cluster, the atomic account create, `follow` across a broker restart, and a broker killed with SIGKILL under
// a running store (on a private nats-server of its own). Each test uses a prefix of its own and deletes its streams
// and buckets afterwards.
import { expect } from 'chai';
import { LIMITS } from '../../machines/limits.js';
import { JetStreamStore } from '../../runtime/store/jetstream/jetstream-store.js';
import { StoreError, type StoredAccount, type StoredLine } from '../../runtime/store/port.js';
import { deletePrefix, PrivateNats, SHARED_NATS, uniquePrefix } from '../helpers/nats-broker.js';
import { delay, waitUntil } from '../helpers/recorder.js';

const account = (name: string, created = 1): StoredAccount =>
  ({ name, hash: Buffer.from(`hash of ${name}`), salt: Buffer.from('salt'), cost: { N: 1024, r: 8, p: 1 }, created });

const line = (i: number, from = 'a') => ({ from, text: `m${i}`, ts: 1000 + i });

/** What a promise settles to, or 'pending' after `ms`. */
async function outcome<T>(p: Promise<T> | T, ms: number): Promise<{ value: T } | { error: unknown } | 'pending'> {
  return Promise.race([Promise.resolve(p).then((value) => ({ value }), (error: unknown) => ({ error })), delay(ms).then(() => 'pending' as const)]);
}

describe('JetStream store (clustered, on the real NATS)', function () {
  this.timeout(60000);
  const stores: JetStreamStore[] = [];
  const prefixes: Array<[string, string]> = [];
  let brokers: PrivateNats[] = [];

  async function open(prefix: string, server = SHARED_NATS, retention = { maxCount: 1000 }, timeoutMs?: number): Promise<JetStreamStore> {
    if (!prefixes.some(([s, p]) => s === server && p === prefix)) prefixes.push([server, prefix]);
    const s = await JetStreamStore.open({ servers: [server], prefix, retention, name: `test-${prefix}`, timeoutMs });
    stores.push(s);
    return s;
  }

  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
    for (const [server, prefix] of prefixes.splice(0)) {
      if (brokers.some((b) => b.url === server)) continue; // its whole folder goes
      await deletePrefix(server, prefix);
    }
    for (const b of brokers) await b.dispose();
    brokers = [];
  });

  describe('one node: every method of the port', () => {
    it('history: append gives the stream sequences as ids; page reads backwards, also past the retention; count', async () => {
      const s = await open(uniquePrefix('h'), SHARED_NATS, { maxCount: 5 });
      expect(s.history.append([]), 'nothing to append: answered at once').to.deep.equal([]);
      const first = await s.history.append([line(0), line(1, 'b')]);
      expect(first).to.deep.equal([{ id: 1, ...line(0) }, { id: 2, ...line(1, 'b') }]);
      for (let i = 2; i < 8; i++) await s.history.append([line(i)]);
      expect(await s.history.count(), 'the broker keeps the newest 5').to.equal(5);
      expect((await s.history.page(3)).map((l) => l.id)).to.deep.equal([6, 7, 8]);
      expect((await s.history.page(3, 6)).map((l) => l.id), 'before 6: what is left of 1..5').to.deep.equal([4, 5]);
      expect((await s.history.page(10, 4))).to.deep.equal([]);
      expect((await s.history.page(100)).map((l) => l.text)).to.deep.equal(['m3', 'm4', 'm5', 'm6', 'm7']);
      expect(s.history.page(0)).to.deep.equal([]);
    });

    it('history: an append the broker refuses (its stream gone) is a StoreError that says so, not a hang', async () => {
      const s = await open(uniquePrefix('d'));
      await s.history.append([line(0)]);
      await deletePrefix(SHARED_NATS, s.prefix);
      const e = await Promise.resolve(s.history.append([line(1), line(2)])).then(() => null, (err: unknown) => err);
      expect(e).to.be.instanceOf(StoreError).with.property('kind', 'write');
      expect((e as Error).message).to.match(/^cannot keep messages: JetStream did not take it \(503/);
    });

    it('history: prune brings the stream to a new retention (the broker applies it), then answers 0 at once', async () => {
      const s = await open(uniquePrefix('p'), SHARED_NATS, { maxCount: 100 });
      await s.history.append(Array.from({ length: 20 }, (_, i) => line(i)));
      expect(s.history.prune({ maxCount: 100 }, Date.now(), 10), 'unchanged rule: nothing to do').to.equal(0);
      expect(await s.history.prune({ maxCount: 8 }, Date.now(), 10)).to.equal(0);
      expect(await s.history.count()).to.equal(8);
      expect((await s.history.page(100)).map((l) => l.id)).to.deep.equal([13, 14, 15, 16, 17, 18, 19, 20]);
      await s.history.prune({ maxCount: 8, maxAgeMs: 1000 }, Date.now(), 10);
      const until = Date.now() + 10000;
      while ((await s.history.count()) > 0 && Date.now() < until) await delay(200);
      expect(await s.history.count(), 'the age rule: older than a second forgotten').to.equal(0);
    });

    it('history: follow delivers from after an id, in order, each once, new lines as they come', async () => {
      const s = await open(uniquePrefix('f'));
      await s.history.append([line(0), line(1), line(2)]);
      const got: StoredLine[] = [];
      const f = s.history.follow(1, (l) => got.push(l));
      await waitUntil(() => got.length === 2, 5000, 'the kept ones after id 1');
      await s.history.append([line(3)]);
      await waitUntil(() => got.length === 3, 5000, 'a new one');
      f.stop();
      await s.history.append([line(4)]);
      await delay(200);
      expect(got.map((l) => [l.id, l.text])).to.deep.equal([[2, 'm1'], [3, 'm2'], [4, 'm3']]);
    });

    it('history: follow says which lines the retention dropped before it could deliver them, never skips silently', async () => {
      const s = await open(uniquePrefix('g'), SHARED_NATS, { maxCount: 3 });
      await s.history.append(Array.from({ length: 10 }, (_, i) => line(i)));
      const got: number[] = [];
      const gaps: string[] = [];
      const f = s.history.follow(2, (l) => got.push(l.id), (p) => gaps.push(p));
      await waitUntil(() => got.length === 3, 5000, 'what is kept');
      f.stop();
      expect(got).to.deep.equal([8, 9, 10]);
      expect(gaps).to.deep.equal(['messages 3 to 7 were dropped by the retention before they could be delivered']);
      const fromOldest: number[] = [];
      const gaps0: string[] = [];
      const f0 = s.history.follow(0, (l) => fromOldest.push(l.id), (p) => gaps0.push(p));
      await waitUntil(() => fromOldest.length === 3, 5000, 'from the oldest kept');
      f0.stop();
      expect(gaps0, 'after 0 means from the oldest kept: no gap').to.deep.equal([]);
    });

    it('accounts: add once per key, get and list at once from the replica, setPassword, remove (with the mailbox)', async () => {
      const s = await open(uniquePrefix('a'));
      expect(await s.accounts.add('zoë', account('Zoë', 5))).to.equal(true);
      expect(await s.accounts.add('zoë', account('ZOË'))).to.equal(false);
      expect(await s.accounts.add('bob', account('bob'))).to.equal(true);
      expect(s.accounts.get('zoë')).to.deep.equal(account('Zoë', 5));
      expect(s.accounts.get('nobody')).to.equal(null);
      expect(s.accounts.list().map((a) => a.name), 'by key').to.deep.equal(['bob', 'Zoë']);
      const h = { hash: Buffer.from('new hash'), salt: Buffer.from('new salt'), cost: { N: 2048, r: 8, p: 2 } };
      expect(await s.accounts.setPassword('zoë', h)).to.equal(true);
      expect(s.accounts.get('zoë')).to.deep.equal({ ...account('Zoë', 5), ...h });
      expect(await s.accounts.setPassword('nobody', h)).to.equal(false);
      await s.offline.put('zoë', { from: 'bob', to: 'Zoë', text: 'for the old account', ts: 1 });
      expect(await s.accounts.remove('zoë')).to.equal(true);
      expect(await s.accounts.remove('zoë')).to.equal(false);
      expect(s.accounts.get('zoë')).to.equal(null);
      expect(s.offline.count('zoë'), 'the mailbox went with the account').to.equal(0);
      expect(await s.accounts.add('zoë', account('zoë', 9)), 'the name can be registered again').to.equal(true);
      expect(s.offline.take('zoë', 1 << 20)).to.deep.equal([]);
    });

    it('offline: put, count, take the oldest that fit (at least one), the rest for the next time; the cap refuses', async () => {
      const s = await open(uniquePrefix('o'));
      for (let i = 0; i < 5; i++) await s.offline.put('ann', { from: 'bob', to: 'Ann', text: `${i}`.repeat(100), ts: i });
      expect(s.offline.count('ann')).to.equal(5);
      expect(s.offline.count('ANN'.toLowerCase())).to.equal(5);
      const first = s.offline.take('ann', 250);
      expect(first.map((l) => l.ts)).to.deep.equal([0]);
      expect(first[0]).to.deep.equal({ from: 'bob', to: 'Ann', text: '0'.repeat(100), ts: 0 });
      expect(s.offline.count('ann'), 'taken out of the replica at once').to.equal(4);
      expect(s.offline.take('ann', 1).map((l) => l.ts), 'at least one').to.deep.equal([1]);
      expect(s.offline.take('ann', 1 << 20).map((l) => l.ts)).to.deep.equal([2, 3, 4]);
      expect(s.offline.take('ann', 1 << 20)).to.deep.equal([]);
      // the broker's copy follows: a second node opening now finds the mailbox empty
      const other = await open(s.prefix);
      await waitUntil(() => other.offline.count('ann') === 0, 5000, 'removed on the broker too');
      for (let i = 0; i < LIMITS.offlinePerRecipient; i++) await s.offline.put('ann', { from: 'bob', to: 'Ann', text: 'x', ts: i });
      const full = await outcome(s.offline.put('ann', { from: 'bob', to: 'Ann', text: 'one too many', ts: 0 }), 10000);
      expect(full !== 'pending' && 'error' in full && full.error).to.be.instanceOf(StoreError).with.property('message').that.matches(/mailbox of Ann is full/);
      expect(s.offline.count('ann')).to.equal(LIMITS.offlinePerRecipient);
    });

    it('check says the broker answers; close drains, and then check says closed; opening needs a reachable broker', async () => {
      const s = await open(uniquePrefix('c'));
      expect(await s.check()).to.deep.equal({ ok: true });
      await s.close();
      await s.close();
      expect(await s.check()).to.deep.equal({ ok: false, problem: 'the store is closed' });
      const probe = await PrivateNats.start();
      brokers.push(probe);
      await probe.kill();
      const e = await JetStreamStore.open({ servers: [probe.url], prefix: 'x', retention: { maxCount: 1 } }).then(() => null, (err: unknown) => err);
      expect(e).to.be.instanceOf(StoreError).with.property('kind', 'unreachable');
      const bad = await JetStreamStore.open({ servers: [SHARED_NATS], prefix: 'no.dots', retention: { maxCount: 1 } }).then(() => null, (err: unknown) => err);
      expect(bad).to.be.instanceOf(StoreError).with.property('message').that.matches(/prefix "no.dots"/);
    });
  });

  describe('two nodes on one prefix', () => {
    it('see each other\'s appends in one order through follow, and each other\'s accounts and kept messages', async () => {
      const prefix = uniquePrefix('n');
      const a = await open(prefix);
      const b = await open(prefix);
      const seenA: number[] = [];
      const seenB: number[] = [];
      const fa = a.history.follow(0, (l) => seenA.push(l.id));
      const fb = b.history.follow(0, (l) => seenB.push(l.id));
      const writes: Array<Promise<StoredLine[]>> = [];
      for (let i = 0; i < 20; i++) writes.push(Promise.resolve((i % 2 ? a : b).history.append([line(i, i % 2 ? 'on-a' : 'on-b'), line(i + 100)])));
      const ids = (await Promise.all(writes)).flat().map((l) => l.id).sort((x, y) => x - y);
      expect(ids, 'one sequence for both nodes').to.deep.equal(Array.from({ length: 40 }, (_, i) => i + 1));
      await waitUntil(() => seenA.length === 40 && seenB.length === 40, 10000, 'both followers have all');
      expect(seenA).to.deep.equal(ids);
      expect(seenB).to.deep.equal(ids);
      fa.stop(); fb.stop();
      expect((await b.history.page(3)).map((l) => l.id)).to.deep.equal([38, 39, 40]);

      expect(await a.accounts.add('carol', account('Carol'))).to.equal(true);
      await waitUntil(() => b.accounts.get('carol') !== null, 5000, 'the account reaches the other node');
      expect(b.accounts.list().map((x) => x.name)).to.deep.equal(['Carol']);
      expect(await b.accounts.add('carol', account('carol'))).to.equal(false);

      await a.offline.put('carol', { from: 'dan', to: 'Carol', text: 'one', ts: 1 });
      await b.offline.put('carol', { from: 'eve', to: 'Carol', text: 'two', ts: 2 });
      await waitUntil(() => a.offline.count('carol') === 2 && b.offline.count('carol') === 2, 5000, 'both nodes count both');
      expect(b.offline.take('carol', 1 << 20).map((l) => l.text)).to.deep.equal(['one', 'two']);
      await waitUntil(() => a.offline.count('carol') === 0, 5000, 'taken on b: gone on a');

      expect(await b.accounts.remove('carol')).to.equal(true);
      await waitUntil(() => a.accounts.get('carol') === null, 5000, 'removed on b: gone on a');
    });

    it('two registrations of one nickname at once: exactly one wins, every time', async () => {
      const prefix = uniquePrefix('r');
      const a = await open(prefix);
      const b = await open(prefix);
      for (let i = 0; i < 10; i++) {
        const results = await Promise.all([a.accounts.add(`name${i}`, account(`A${i}`)), b.accounts.add(`name${i}`, account(`B${i}`))]);
        expect(results.filter(Boolean), `name${i}`).to.have.length(1);
        const winner = results[0] ? `A${i}` : `B${i}`;
        await waitUntil(() => a.accounts.get(`name${i}`)?.name === winner && b.accounts.get(`name${i}`)?.name === winner, 5000, 'both agree');
      }
    });

    it('the mailbox cap holds across nodes: two messages for the last place at once, one kept', async () => {
      const prefix = uniquePrefix('m');
      const a = await open(prefix);
      const b = await open(prefix);
      for (let i = 0; i < LIMITS.offlinePerRecipient - 1; i++) await a.offline.put('gus', { from: 'x', to: 'gus', text: `${i}`, ts: i });
      await waitUntil(() => b.offline.count('gus') === LIMITS.offlinePerRecipient - 1, 5000, 'b has them');
      const results = await Promise.allSettled([
        a.offline.put('gus', { from: 'a', to: 'gus', text: 'last from a', ts: 0 }),
        b.offline.put('gus', { from: 'b', to: 'gus', text: 'last from b', ts: 0 }),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).to.have.length(1);
      expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).to.be.instanceOf(StoreError);
      await waitUntil(() => a.offline.count('gus') === LIMITS.offlinePerRecipient && b.offline.count('gus') === LIMITS.offlinePerRecipient, 5000, 'both see 100');
    });
  });

  describe('a broker that restarts or dies (a private nats-server)', () => {
    it('follow goes on across a broker restart: in order, nothing lost, nothing twice', async () => {
      const nats = await PrivateNats.start();
      brokers.push(nats);
      const s = await open(uniquePrefix('x'), nats.url);
      const follower = await open(s.prefix, nats.url);
      const seen: StoredLine[] = [];
      const gaps: string[] = [];
      const f = follower.history.follow(0, (l) => seen.push(l), (p) => gaps.push(p));
      await s.history.append([line(0), line(1)]);
      await waitUntil(() => seen.length === 2, 5000, 'before the restart');
      await nats.kill('SIGKILL');
      await nats.restart();
      // the writer reconnects by itself, and JetStream may need a moment after the restart
      let written = false;
      for (let i = 0; i < 50 && !written; i++) {
        try { await s.history.append([line(2), line(3)]); written = true; } catch { await delay(200); }
      }
      expect(written, 'writes succeed after the restart').to.equal(true);
      await waitUntil(() => seen.length >= 4, 20000, 'after the restart');
      await s.history.append([line(4)]);
      await waitUntil(() => seen.length >= 5, 10000, 'and on');
      await delay(300);
      f.stop();
      expect(seen.map((l) => [l.id, l.text])).to.deep.equal([[1, 'm0'], [2, 'm1'], [3, 'm2'], [4, 'm3'], [5, 'm4']]);
      expect(gaps).to.deep.equal([]);
    });

    it('killed: writes fail with a StoreError within the bound, replica reads answer; restarted: writes succeed, nothing acknowledged lost', async () => {
      const nats = await PrivateNats.start();
      brokers.push(nats);
      const bound = 2000;
      const s = await open(uniquePrefix('k'), nats.url, { maxCount: 1000 }, bound);
      const acked = await s.history.append([line(0), line(1), line(2)]);
      expect(await s.accounts.add('hal', account('Hal'))).to.equal(true);
      await s.offline.put('hal', { from: 'ida', to: 'Hal', text: 'kept', ts: 1 });
      // writes under way when the broker dies, and writes after
      const during = outcome(s.history.append([line(3)]), bound * 4);
      await nats.kill('SIGKILL');
      const afterwards: Array<Promise<unknown>> = [
        Promise.resolve().then(() => s.history.append([line(4)])),
        Promise.resolve().then(() => s.accounts.add('ivy', account('Ivy'))),
        Promise.resolve().then(() => s.accounts.setPassword('hal', account('Hal'))),
        Promise.resolve().then(() => s.offline.put('hal', { from: 'ida', to: 'Hal', text: 'lost', ts: 2 })),
        Promise.resolve().then(() => s.history.page(10)),
      ];
      // a hang check, not a speed test: each settles within a few times the bound
      for (const o of await Promise.all(afterwards.map((p) => outcome(p, bound * 4)))) {
        expect(o, 'settled').to.not.equal('pending');
        expect(o !== 'pending' && 'error' in o && o.error).to.be.instanceOf(StoreError);
      }
      const d = await during;
      expect(d, 'the write under way settled').to.not.equal('pending');
      if (d !== 'pending' && 'value' in d) acked.push(...d.value);
      const health = await s.check();
      expect(health.ok).to.equal(false);
      // the replica keeps answering
      expect(s.accounts.get('hal')?.name).to.equal('Hal');
      expect(s.accounts.list()).to.have.length(1);
      expect(s.offline.count('hal')).to.equal(1);
      // taken while the broker is away: handed out from the replica now, removed from the broker once it is back
      expect(s.offline.take('hal', 1 << 20).map((l) => l.text)).to.deep.equal(['kept']);
      expect(s.offline.count('hal')).to.equal(0);

      await nats.restart();
      const until = Date.now() + 20000;
      let ok = false;
      while (!ok && Date.now() < until) { ok = (await s.check()).ok; if (!ok) await delay(200); }
      expect(ok, 'check says reachable again').to.equal(true);
      let again: StoredLine[] = [];
      for (let i = 0; i < 50 && !again.length; i++) {
        try { again = await s.history.append([line(5)]); } catch { await delay(200); }
      }
      expect(again).to.have.length(1);
      acked.push(...again);
      const kept = await s.history.page(100);
      for (const l of acked) expect(kept, `line ${l.id}`).to.deep.include(l);
      expect(await s.accounts.add('ivy', account('Ivy'))).to.equal(true);
      expect(s.offline.take('hal', 1 << 20), 'not twice').to.deep.equal([]);
      // a new node on the restarted broker sees what was acknowledged
      const fresh = await open(s.prefix, nats.url);
      expect(fresh.accounts.list().map((a) => a.name)).to.deep.equal(['Hal', 'Ivy']);
      await waitUntil(() => fresh.offline.count('hal') === 0, 15000, 'the take reached the broker after the restart');
    });
  });
});
