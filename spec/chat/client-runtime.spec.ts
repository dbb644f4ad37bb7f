// runtime/client-runtime.ts as the one executor of commands: what run() hands back to a view (the reply to a /who or
// /files, the download whose question a /yes or /no answered), on a real server over real sockets; and lifecycle edges
// not covered elsewhere (its connection is proven path by path in spec/model/client.model.spec.ts); with several
// servers, the keepalive and what is typed while it reconnects (the failover of real processes: multi-host.e2e.spec.ts).
import os from 'node:os';
import { expect } from 'chai';
import type { ClientEvent } from '../../machines/client-events.js';
import { ClientRuntime } from '../../runtime/client-runtime.js';
import { nextUdpPorts } from '../helpers/ports.js';
import { Scope } from '../helpers/scope.js';

describe('client runtime: run()', () => {
  const scope = new Scope();
  afterEach(() => scope.dispose());

  it('/files and /who: the reply is the answer the events carry', async () => {
    const srv = await scope.server({ files: { 'a.txt': 'hello', 'b.bin': 'xy' } });
    const c = await scope.online(srv.port, 'ann');
    const since = c.mark();
    const files = await c.rt.run({ kind: 'files' }).reply;
    expect(files).to.deep.equal({ type: 'files', files: [{ name: 'a.txt', size: 5 }, { name: 'b.bin', size: 2 }] });
    expect(c.ofType('files', since)).to.deep.equal([files]);
    const who = await c.rt.run({ kind: 'who' }).reply;
    expect(who).to.deep.equal({ type: 'online', names: ['ann'] });
  });

  it('two questions in a row get their own answers, in order', async () => {
    const srv = await scope.server({ files: { 'a.txt': 'hello' } });
    const c = await scope.online(srv.port, 'bea');
    const [files, who] = await Promise.all([c.rt.run({ kind: 'files' }).reply, c.rt.run({ kind: 'who' }).reply]);
    expect(files?.type).to.equal('files');
    expect(who?.type).to.equal('online');
  });

  it('a question that cannot be sent replies null (with a not-connected error); other commands hand back nothing', async () => {
    const srv = await scope.server();
    const c = scope.client(srv.port, 'cid'); // not started: no connection
    expect(await c.rt.run({ kind: 'who' }).reply).to.equal(null);
    expect(c.ofType('error').map((e) => e.code)).to.deep.equal(['not-connected']);
    expect(c.rt.run({ kind: 'empty' })).to.deep.equal({});
    expect(c.rt.run({ kind: 'invalid', message: 'usage: /msg NAME TEXT' })).to.deep.equal({});
    expect(c.ofType('error').map((e) => e.code)).to.deep.equal(['not-connected', 'bad-command']);
  });

  it('/yes answers the waiting question and says which download it was; with none waiting, nothing (no-such-transfer)', async function () {
    this.timeout(15000);
    const srv = await scope.server({ files: { 'big.bin': Buffer.alloc(400_000, 7) } });
    const c = await scope.online(srv.port, 'dee');
    expect(c.rt.run({ kind: 'yes' })).to.deep.equal({});
    expect((await c.waitForType('error')).code).to.equal('no-such-transfer');
    c.rt.run({ kind: 'get', file: 'big.bin' });
    const asked = await c.waitForType('consent', () => true, 10000);
    expect(c.rt.run({ kind: 'yes' })).to.deep.equal({ answered: { id: asked.id, answer: 'yes' } });
    expect((await c.waitForType('finished', () => true, 10000)).file).to.equal('big.bin');
  });
});

describe('client runtime: lifecycle', () => {
  it('quit() before start() settles with "quit", reports one disconnected event, and a later start() does not connect', async () => {
    const rt = new ClientRuntime({ host: '127.0.0.1', port: 1, name: 'ann', downloadsDir: os.tmpdir(), yes: false, reconnect: false });
    const events: ClientEvent[] = [];
    rt.on('event', (e) => events.push(e));
    expect(await rt.quit()).to.equal('quit');
    expect(rt.state).to.equal('closed');
    rt.start();
    expect(rt.state).to.equal('closed');
    expect(events.map((e) => e.type)).to.deep.equal(['disconnected']);
  });
});

describe('client runtime: several servers', function () {
  this.timeout(60000);
  const scope = new Scope();
  afterEach(() => scope.dispose());

  it('the keepalive: a live server answers its pings; one that stops answering (SIGSTOP) is lost, and the client moves on', async () => {
    const [u1, u2] = await nextUdpPorts(2);
    const a = await scope.spawnServer(['--port', '0', '--udp-ports', `${u1}-${u2}`, '--files', scope.tempDir()]);
    const b = await scope.server();
    const servers = [{ host: '127.0.0.1', port: a.port }, { host: '127.0.0.1', port: b.port }];
    const keepalive = { pingAfterMs: 300, silentMs: 1500, tickMs: 100 };
    const c = scope.client(a.port, 'kim', { reconnect: true, servers, keepalive });
    await c.connect(10000);
    // three times the silence allowed: the server is quiet, but answers each ping
    await new Promise((r) => setTimeout(r, 3 * keepalive.silentMs));
    expect(c.ofType('reconnecting'), 'a live server is never counted lost').to.have.length(0);
    const mark = c.mark();
    a.run.kill('SIGSTOP'); // the socket stays open, nothing more is heard: a host gone without a FIN
    const lost = await c.waitForType('reconnecting', () => true, { since: mark, ms: 10000 });
    expect(lost.reason).to.match(/keepalive lost: nothing heard from 127\.0\.0\.1:\d+ for \ds/);
    expect(lost.host).to.equal(`127.0.0.1:${b.port}`);
    const back = await c.waitForType('connected', () => true, { since: mark, ms: 10000 });
    expect(back.server).to.equal(`127.0.0.1:${b.port}`);
    expect(back.name).to.equal('kim');
  });

  it('lines typed while reconnecting are refused with a clear error, never sent later; a shutdown sends it to another server', async () => {
    const a = await scope.server(), b = await scope.server();
    const servers = [{ host: '127.0.0.1', port: a.port }, { host: '127.0.0.1', port: b.port }];
    const bob = await scope.online(b.port, 'bob');
    // a long first wait, so that there is time to type
    const c = await scope.online(a.port, 'kim', { reconnect: true, servers, timing: { backoffBaseMs: 1500, backoffJitter: 0 } });
    const mark = c.mark();
    await a.stop(); // a graceful shutdown (bye server-shutdown): with several servers, the client goes to another
    await c.waitForType('reconnecting', (e) => e.host === `127.0.0.1:${b.port}`, { since: mark, ms: 5000 });
    c.command('said while away');
    c.command('/msg bob also while away');
    const refused = c.ofType('error', mark);
    expect(refused.map((e) => e.code)).to.deep.equal(['not-connected', 'not-connected']);
    expect(refused[0]!.message).to.match(/not sent: the connection to the server is lost; reconnecting/);
    await c.waitForType('connected', () => true, { since: mark, ms: 10000 });
    c.command('said when back');
    await bob.waitForType('message', (m) => m.text === 'said when back', 5000);
    expect(bob.ofType('message').map((m) => m.text)).to.not.include.members(['said while away', 'also while away']);
    expect(c.ofType('disconnected')).to.have.length(0);
  });
});
