// Every chat capability end to end through the client runtime against an in-process server on a real socket.
import { expect } from 'chai';
import { waitUntil } from '../helpers/recorder.js';
import { Scope } from '../helpers/scope.js';
import type { TestServer } from '../helpers/server.js';

describe('chat end to end (client runtime, in-process server)', () => {
  const scope = new Scope();
  let srv: TestServer;

  beforeEach(async () => { srv = await scope.server({ files: { 'a.txt': 'hello', 'b.bin': new Uint8Array(1000) } }); });
  afterEach(() => scope.dispose());

  it('connects with a nickname: connected names the accepted nickname and who is online', async () => {
    const alice = await scope.online(srv.port, 'alice');
    expect(alice.ofType('connected')[0]).to.include({ name: 'alice' });
    expect(alice.ofType('connected')[0]!.online).to.deep.equal(['alice']);
    const bob = await scope.online(srv.port, 'bob');
    expect(bob.ofType('connected')[0]!.online).to.have.members(['alice', 'bob']);
    expect(srv.server.hub.names()).to.have.members(['alice', 'bob']);
  });

  it('tells everyone when someone joins and when someone leaves (with the reason)', async () => {
    const alice = await scope.online(srv.port, 'alice');
    const bob = await scope.online(srv.port, 'bob');
    await alice.waitForType('joined', (e) => e.name === 'bob');
    const carol = await scope.online(srv.port, 'carol');
    await alice.waitForType('joined', (e) => e.name === 'carol');
    await bob.waitForType('joined', (e) => e.name === 'carol');
    // nobody is told of their own arrival
    expect(carol.ofType('joined')).to.have.length(0);
    await carol.close();
    expect(await carol.waitEnd()).to.equal('quit');
    const left = await alice.waitForType('left', (e) => e.name === 'carol');
    expect(left.reason).to.equal('quit');
    await bob.waitForType('left', (e) => e.name === 'carol' && e.reason === 'quit');
    expect(srv.server.hub.names()).to.have.members(['alice', 'bob']);
  });

  it('sends a message to everyone, the sender included (its echo), without a `to` field', async () => {
    const alice = await scope.online(srv.port, 'alice');
    const bob = await scope.online(srv.port, 'bob');
    const carol = await scope.online(srv.port, 'carol');
    alice.command('hello everyone');
    carol.command('/all  two  spaces ');
    for (const c of [alice, bob, carol]) {
      const m = await c.waitForType('message', (e) => e.text === 'hello everyone');
      expect(m.from).to.equal('alice');
      expect(m).not.to.have.property('to');
      expect(Number.isSafeInteger(m.ts), 'ts in whole milliseconds').to.equal(true);
      expect(m.ts).to.be.greaterThan(0);
      await c.waitForType('message', (e) => e.from === 'carol' && e.text === ' two  spaces ');
    }
  });

  it('sends a private message to one person only, echoed to the sender with `to`', async () => {
    const alice = await scope.online(srv.port, 'alice');
    const bob = await scope.online(srv.port, 'bob');
    const carol = await scope.online(srv.port, 'carol');
    alice.command('/msg bob just for you');
    const got = await bob.waitForType('message', (e) => e.text === 'just for you');
    expect(got).to.include({ from: 'alice', to: 'bob' });
    const echo = await alice.waitForType('message', (e) => e.text === 'just for you');
    expect(echo).to.include({ from: 'alice', to: 'bob' });
    // a later message to all reaches carol, and the private one never did
    alice.command('marker');
    await carol.waitForType('message', (e) => e.text === 'marker');
    expect(carol.ofType('message').map((m) => m.text)).to.deep.equal(['marker']);
  });

  it('routes a private message case-insensitively and names the recipient as it registered', async () => {
    const alice = await scope.online(srv.port, 'alice');
    const bob = await scope.online(srv.port, 'Bob');
    alice.command('/msg BOB hi');
    const m = await bob.waitForType('message', (e) => e.text === 'hi');
    expect(m.to).to.equal('Bob');
    await alice.waitForType('message', (e) => e.text === 'hi' && e.to === 'Bob');
  });

  it('answers a private message to an unknown name with unknown-user, and stays online', async () => {
    const alice = await scope.online(srv.port, 'alice');
    alice.command('/msg nobody hello?');
    const e = await alice.waitForType('error');
    expect(e.code).to.equal('unknown-user');
    expect(e.message).to.contain('nobody');
    alice.command('/who');
    await alice.waitForType('online');
    expect(alice.rt.isOnline).to.equal(true);
  });

  it('lists everyone online, the asker included', async () => {
    const alice = await scope.online(srv.port, 'alice');
    await scope.online(srv.port, 'bob');
    await scope.online(srv.port, 'carol');
    alice.command('/who');
    const o = await alice.waitForType('online');
    expect(o.names).to.have.members(['alice', 'bob', 'carol']);
    expect(o.names).to.have.length(3);
  });

  it('lists the shared files with their sizes', async () => {
    const alice = await scope.online(srv.port, 'alice');
    alice.command('/files');
    const f = await alice.waitForType('files');
    expect(f.files).to.deep.equal([{ name: 'a.txt', size: 5 }, { name: 'b.bin', size: 1000 }]);
  });

  it('refuses a nickname already online, case-insensitively, with name-taken', async () => {
    await scope.online(srv.port, 'Alice');
    for (const name of ['Alice', 'alice', 'ALICE']) {
      const dup = scope.client(srv.port, name).start();
      const e = await dup.waitForType('error');
      expect(e.code, name).to.equal('name-taken');
      expect(dup.ofType('connected')).to.have.length(0);
      await dup.close();
    }
    expect(srv.server.hub.names()).to.deep.equal(['Alice']);
  });

  it('refuses a name equal after Unicode compatibility folding (fullwidth letters) with name-taken', async () => {
    await scope.online(srv.port, 'alice');
    const dup = scope.client(srv.port, '\uFF41lice').start(); // fullwidth "a"
    expect((await dup.waitForType('error')).code).to.equal('name-taken');
  });

  it('refuses invalid nicknames with invalid-name', async () => {
    for (const name of ['', 'has space', '-dash-first', 'x'.repeat(25), 'semi;colon', 'emoji😀']) {
      const c = scope.client(srv.port, name).start();
      const e = await c.waitForType('error');
      expect(e.code, JSON.stringify(name)).to.equal('invalid-name');
      await c.close();
    }
    expect(srv.server.hub.size).to.equal(0);
  });

  it('lets a refused client choose another nickname on the same connection', async () => {
    await scope.online(srv.port, 'alice');
    const c = scope.client(srv.port, 'alice').start();
    await c.waitForType('error', (e) => e.code === 'name-taken');
    c.rt.rename('alice2');
    const ok = await c.waitForType('connected');
    expect(ok.name).to.equal('alice2');
  });

  it('accepts letters of any script, digits, "-", "_" and "." in nicknames', async () => {
    for (const name of ['Zoë', 'Дмитрий', '李雷', 'a.b-c_d', '42']) {
      const c = await scope.online(srv.port, name);
      expect(c.ofType('connected')[0]!.name).to.equal(name);
    }
  });

  it('serves 20 clients at once: everyone hears everyone', async function () {
    const names = Array.from({ length: 20 }, (_, i) => `user${i}`);
    const clients = await Promise.all(names.map((n) => scope.online(srv.port, n)));
    expect(srv.server.hub.size).to.equal(20);
    clients.forEach((c, i) => c.command(`hi from ${i}`));
    await Promise.all(clients.map((c) => c.waitForCount((e) => e.type === 'message' && e.text.startsWith('hi from '), 20, 5000)));
    for (const c of clients) {
      const texts = c.ofType('message').map((m) => m.text).sort();
      expect(texts).to.deep.equal(names.map((_, i) => `hi from ${i}`).sort());
    }
    clients[0]!.command('/who');
    expect((await clients[0]!.waitForType('online')).names).to.have.members(names);
  });

  it('logs out: the quitting client gets disconnected (quit) and the server forgets the name', async () => {
    const alice = await scope.online(srv.port, 'alice');
    await alice.rt.quit();
    expect(alice.ofType('disconnected')[0]!.reason).to.equal('quit');
    await waitUntil(() => srv.server.hub.size === 0, 2000, 'the server forgets alice');
    // the name is free again
    await scope.online(srv.port, 'alice');
  });
});
