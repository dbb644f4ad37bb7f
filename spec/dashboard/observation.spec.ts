// What the dashboard reads of a real server (in process, real TLS sockets and UDP): sessions with their state and
// messages sent, a download at the halfway question holding its pool port, and its ending read once.
import { expect } from 'chai';
import crypto from 'node:crypto';
import { MAX_SESSIONS_READ, Observer } from '../../runtime/dashboard/observation.js';
import { Scope } from '../helpers/scope.js';

const until = async (what: string, check: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('dashboard observation of a running server', function () {
  this.timeout(30_000);
  const scope = new Scope();
  afterEach(() => scope.dispose());

  it('reads sessions, a paused download and its port, and the download\'s ending once', async () => {
    const srv = await scope.server({ files: { 'big.bin': crypto.randomBytes(2 << 20) } });
    const observer = new Observer(srv.server, { name: 'node-a', address: `127.0.0.1:${srv.port}` });
    expect(observer.sample().sessions).to.deep.equal([]);

    const alice = await scope.online(srv.port, 'alice');
    const bob = await scope.online(srv.port, 'bob');
    alice.command('/all hello');
    alice.command('/msg bob hi');
    await bob.waitForType('message', (m) => m.text === 'hi');
    let o = observer.sample();
    const a = o.sessions.find((s) => s.name === 'alice')!;
    expect(a).to.include({ state: 'chatting', sent: 2, tls: true, ended: false });
    expect(a.remote).to.match(/^127\.0\.0\.1:\d+$/);
    expect(o.online).to.equal(2);
    expect(o.nodes).to.deep.equal([{ name: 'node-a', address: `127.0.0.1:${srv.port}`, self: true, state: 'up', sessions: 2, transfers: 0, since: observer.startedAt }]);

    alice.command('/get big.bin');
    await alice.waitForType('consent', () => true, 10_000);
    await until('the sender to pause', () => observer.sample().transfers.some((t) => t.state === 'pausedAwaitingConsent'));
    o = observer.sample();
    const t = o.transfers[0]!;
    expect(t).to.include({ client: 'alice', file: 'big.bin', size: 2 << 20, ended: false, holdAt: 1 << 20 });
    expect(t.acked).to.equal(1 << 20);
    expect(o.pool.taken).to.deep.equal([t.port]);

    alice.command('/yes');
    await alice.waitForType('finished', () => true, 10_000);
    await until('the transfer to leave the host', () => srv.server.transfers.active === 0);
    o = observer.sample();
    expect(o.transfers).to.have.length(1);
    expect(o.transfers[0]).to.include({ ended: true, outcome: 'finished', state: 'finished', acked: 2 << 20 });
    expect(observer.sample().transfers).to.deep.equal([]);

    await bob.close();
    await until('bob to leave', () => srv.server.sessions.size === 1);
    o = observer.sample();
    expect(o.sessions.filter((s) => s.ended).map((s) => [s.name, s.state])).to.deep.equal([['bob', 'closed']]);
    expect(observer.sample().sessions.map((s) => s.name)).to.deep.equal(['alice']);
  });

  it('reads the newest sessions up to its bound per sample, and counts them all', async () => {
    const srv = await scope.server();
    for (const n of ['c1', 'c2', 'c3']) await scope.online(srv.port, n);
    const o = new Observer(srv.server, { address: 'x' }, undefined, 2).sample();
    expect(o.sessionCount).to.equal(3);
    expect(o.sessions.map((s) => s.name)).to.deep.equal(['c2', 'c3']);
    expect(MAX_SESSIONS_READ).to.be.greaterThan(100);
  });
});
