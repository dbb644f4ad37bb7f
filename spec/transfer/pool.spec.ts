// The UDP port pool: a paused download holds its port; an empty pool answers busy at once (never a hang); every
// ending (finished, declined, stopped) gives the port back, and the next request gets it.
import { expect } from 'chai';
import { content, expectIntact, get, getIntact, poolFull, TransferScope, waitEnding } from './harness.js';
import { nextUdpPorts } from '../helpers/ports.js';


describe('transfer/pool', function () {
  this.timeout(30000);
  const scope = new TransferScope();
  afterEach(() => scope.dispose());

  it('a pool of one port held by a paused download answers busy; the port comes back after /no', async () => {
    const data = content(400_000, 51);
    const srv = await scope.server({ files: { 'a.bin': data, 'b.bin': content(5000, 52) }, ports: await nextUdpPorts(1) });
    const pool = srv.server.transfers.pool;
    expect(pool.size).to.equal(1);
    const holder = await scope.client(srv, 'holder');
    const other = await scope.client(srv, 'other', { yes: true });

    let since = holder.mark();
    holder.command('/get a.bin');
    await holder.waitForType('consent', (e) => e.file === 'a.bin', { since, ms: 10000 });
    expect(pool.available).to.equal(0);

    const t0 = Date.now();
    const busy = await get(other, 'b.bin', 3000);
    expect(Date.now() - t0, 'busy is answered at once').to.be.below(1000);
    expect(busy.type).to.equal('error');
    expect(busy).to.include({ code: 'busy' });
    // the holder can be refused too (its own second request), and nothing was written for the refusal
    const busy2 = await get(holder, 'b.bin', 3000);
    expect(busy2).to.include({ type: 'error', code: 'busy' });

    holder.command('/no');
    const stopped = await waitEnding(holder, 'a.bin', since, 10000);
    expect(stopped.type).to.equal('stopped');
    await poolFull(srv, 3000);

    await getIntact(other, 'b.bin', content(5000, 52));
    await poolFull(srv, 3000);
    since = holder.mark();
    // and the holder resumes its own download on the same single port
    const resumed = await get(holder, 'a.bin', 10000);
    expectIntact(resumed, data);
    expect(holder.ofType('download', since)[0]!.resumed).to.equal(true);
    await poolFull(srv, 3000);
  });

  it('more requests than ports: the extra ones are busy, the rest finish, and the pool refills', async () => {
    const data = content(300_000, 53);
    const srv = await scope.server({ files: { 'f.bin': data }, ports: await nextUdpPorts(2) });
    const holders = await Promise.all(['h1', 'h2'].map((n) => scope.client(srv, n)));
    for (const h of holders) {
      const since = h.mark();
      h.command('/get f.bin');
      await h.waitForType('consent', () => true, { since, ms: 10000 });
    }
    const late = await scope.client(srv, 'late', { yes: true });
    expect(await get(late, 'f.bin', 3000)).to.include({ type: 'error', code: 'busy' });
    const ends = holders.map((h) => { const s = h.mark(); h.command('/yes'); return waitEnding(h, 'f.bin', s, 15000); });
    for (const e of await Promise.all(ends)) expectIntact(e, data);
    await poolFull(srv);
    await getIntact(late, 'f.bin', data);
    await poolFull(srv);
    expect(srv.server.transfers.stats).to.include({ started: 3, finished: 3, failed: 0 });
  });

  it('/stop during a download ends it as stopped and returns the port', async () => {
    const data = content(2_000_000, 54);
    const pool = await nextUdpPorts(1);
    const listen = await nextUdpPorts(1);
    // a slow link (8 Mbit/s) so that the download is still running when /stop arrives
    await scope.emulator(pool, listen, {}, { rateBitsPerSec: 8e6, queuePackets: 200 });
    const srv = await scope.server({ files: { 's.bin': data }, ports: pool, transfers: { advertisePorts: listen } });
    const c = await scope.client(srv, 'stopper', { yes: true });
    const since = c.mark();
    c.command('/get s.bin');
    await c.waitForType('progress', (e) => e.received > 0, { since, ms: 10000 });
    c.command('/stop');
    const end = await waitEnding(c, 's.bin', since, 10000);
    expect(end.type).to.equal('stopped');
    if (end.type === 'stopped') expect(end.received).to.be.above(0).and.below(data.length);
    await poolFull(srv, 3000);
    expect(srv.server.transfers.stats.stopped).to.equal(1);
  });

  it('a client may run at most maxPerSession downloads at once', async () => {
    const srv = await scope.server({
      files: { 'p1.bin': content(300_000, 1), 'p2.bin': content(300_000, 2), 'p3.bin': content(300_000, 3) },
      ports: await nextUdpPorts(4), transfers: { maxPerSession: 2 },
    });
    const c = await scope.client(srv, 'greedy');
    const since = c.mark();
    c.command('/get p1.bin');
    c.command('/get p2.bin');
    await c.waitForCount((e) => e.type === 'consent', 2, { since, ms: 10000 });
    expect(await get(c, 'p3.bin', 3000)).to.include({ type: 'error', code: 'too-many-transfers' });
    c.command('/no');
    c.command('/no');
    await c.waitForCount((e) => e.type === 'stopped', 2, { since, ms: 10000 });
    await poolFull(srv);
  });
});
