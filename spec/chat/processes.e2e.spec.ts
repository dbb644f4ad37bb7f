// The real programs end to end: `messenger-server` and several `messenger --plain --json` line-mode clients as
// child processes, talking over real sockets; one client is killed with SIGKILL.
import { expect } from 'chai';
import { nextUdpPorts } from '../helpers/ports.js';
import type { ChildRun, Json } from '../helpers/proc.js';
import { Scope } from '../helpers/scope.js';
import { writeFiles } from '../helpers/tmp.js';

describe('end to end: messenger-server and messenger --plain --json processes', function () {
  this.timeout(30000);
  const scope = new Scope();
  let port: number;
  let server: ChildRun;
  let downloads: string;

  before(async () => {
    const files = scope.tempDir('messenger-e2e-files-');
    downloads = scope.tempDir('messenger-e2e-downloads-');
    writeFiles(files, { 'song.mp3': new Uint8Array(12345), 'notes.txt': 'hello\n', '.hidden': 'x', 'sub/inner': 'y' });
    const [a, b] = await nextUdpPorts(2);
    ({ run: server, port } = await scope.spawnServer(['--port', '0', '--files', files, '--udp-ports', `${a}-${b}`]));
  });
  after(() => scope.dispose());

  const is = (type: string, pred: (e: Json) => boolean = () => true) => (e: Json) => e.type === type && pred(e);

  async function client(name: string, args: string[] = []): Promise<ChildRun> {
    const c = scope.spawnClient(name, port, ['--downloads', downloads, ...args]);
    const first = await c.waitFor((e) => e.type === 'connected' || e.type === 'error' || e.type === 'disconnected', 15000);
    if (first.type !== 'connected') throw new Error(`${name}: ${JSON.stringify(first)}; stderr: ${c.stderr.join('\n')}`);
    return c;
  }

  it('does every chat capability: join notices, to all, private, unknown user, who, files, refusals, quit, SIGKILL', async () => {
    const [alice, bob] = await Promise.all([client('alice'), client('bob')]);
    // each is told of the other: either in `online` at connect time or as a `joined` notice afterwards
    const aliceConnected = alice.find(is('connected'))!;
    expect(aliceConnected.name).to.equal('alice');
    const bobConnected = bob.find(is('connected'))!;
    expect(bobConnected.online).to.include('bob');
    if (!(bobConnected.online as string[]).includes('alice')) await bob.waitFor(is('joined', (e) => e.name === 'alice'));
    if (!(aliceConnected.online as string[]).includes('bob')) await alice.waitFor(is('joined', (e) => e.name === 'bob'));

    const carol = await client('carol');
    await alice.waitFor(is('joined', (e) => e.name === 'carol'));
    await bob.waitFor(is('joined', (e) => e.name === 'carol'));

    // to all (with and without /all)
    alice.type('hello everyone');
    bob.type('/all hi from bob');
    for (const c of [alice, bob, carol]) {
      const m = await c.waitFor(is('message', (e) => e.text === 'hello everyone'));
      expect(m.from).to.equal('alice');
      expect(m).not.to.have.property('to');
      await c.waitFor(is('message', (e) => e.text === 'hi from bob' && e.from === 'bob'));
    }

    // private
    alice.type('/msg carol psst');
    const p = await carol.waitFor(is('message', (e) => e.text === 'psst'));
    expect(p).to.include({ from: 'alice', to: 'carol' });
    alice.type('/msg nobody hello?');
    const unknown = await alice.waitFor(is('error'));
    expect(unknown.code).to.equal('unknown-user');
    expect(unknown.message).to.be.a('string');

    // who and files
    bob.type('/who');
    expect((await bob.waitFor(is('online'))).names).to.have.members(['alice', 'bob', 'carol']);
    bob.type('/files');
    expect((await bob.waitFor(is('files'))).files).to.deep.equal([{ name: 'notes.txt', size: 6 }, { name: 'song.mp3', size: 12345 }]);
    bob.type('/help');
    await bob.waitFor(is('help'));

    // the private message never reached bob
    expect(bob.items.filter(is('message', (e) => e.text === 'psst'))).to.deep.equal([]);

    // a taken name (case-insensitively) and an invalid one are refused; the refused client ends by itself
    const dup = scope.spawnClient('ALICE', port, ['--downloads', downloads]);
    expect((await dup.waitFor(is('error'), 15000)).code).to.equal('name-taken');
    await dup.waitEnd(10000);
    expect(dup.find(is('connected'))).to.equal(undefined);
    const bad = scope.spawnClient('no spaces please', port, ['--downloads', downloads]);
    expect((await bad.waitFor(is('error'), 15000)).code).to.equal('invalid-name');
    await bad.waitEnd(10000);

    // SIGKILL: the server notices the vanished client and tells everyone
    carol.kill('SIGKILL');
    expect(await carol.waitEnd(5000)).to.equal('SIGKILL');
    const gone = await alice.waitFor(is('left', (e) => e.name === 'carol'), 5000);
    expect(gone.reason).to.equal('gone');
    await bob.waitFor(is('left', (e) => e.name === 'carol'), 5000);

    // end of input means /quit: bob leaves cleanly and exits 0
    bob.endInput();
    expect((await bob.waitFor(is('disconnected'), 5000)).reason).to.equal('quit');
    expect(await bob.waitEnd(5000)).to.equal('0');
    expect((await alice.waitFor(is('left', (e) => e.name === 'bob'), 5000)).reason).to.equal('quit');

    // /quit
    alice.type('/quit');
    expect((await alice.waitFor(is('disconnected'), 5000)).reason).to.equal('quit');
    expect(await alice.waitEnd(5000)).to.equal('0');

    // the server logged each connect and disconnect, and is still up
    const disconnects = server.items.filter((l) => l.msg === 'disconnect');
    expect(disconnects.map((l) => l.name)).to.include.members(['carol', 'bob', 'alice']);
    expect(server.running).to.equal(true);
  });

  // BUG (bin/messenger.ts with runtime/line-client.ts): a refused nickname makes line mode quit by itself, so the
  // session ends with reason "quit" and the process exits 0, as after a normal /quit: a script cannot tell.
  it('a line-mode client refused its nickname exits with a non-zero status', async () => {
    const henry = await client('henry');
    const dup = scope.spawnClient('Henry', port, ['--downloads', downloads]);
    expect((await dup.waitFor(is('error'), 15000)).code).to.equal('name-taken');
    await dup.waitEnd(10000);
    henry.type('/quit');
    await henry.waitEnd(5000);
    expect(dup.exitCode).to.not.equal(0);
  });

  it('sends a newcomer the recent messages as history', async () => {
    const dave = await client('dave');
    dave.type('remember me');
    await dave.waitFor(is('message', (e) => e.text === 'remember me'));
    const erin = await client('erin');
    const h = await erin.waitFor(is('history'));
    expect((h.messages as Json[]).map((m) => m.text)).to.include('remember me');
    dave.type('/quit');
    erin.type('/quit');
    await Promise.all([dave.waitEnd(5000), erin.waitEnd(5000)]);
  });

  it('on SIGTERM the server says bye (server-shutdown): a --no-reconnect client prints disconnected and exits', async () => {
    const frank = await client('frank', ['--no-reconnect']);
    server.kill('SIGTERM');
    const d = await frank.waitFor(is('disconnected'), 8000);
    expect(d.reason).to.equal('server-shutdown');
    await frank.waitEnd(5000);
    expect(await server.waitEnd(8000)).to.equal('0');
    expect(server.items.some((l) => l.msg === 'shutting down')).to.equal(true);
  });
});

describe('end to end: a line-mode client with default flags after a server shutdown', function () {
  this.timeout(30000);
  const scope = new Scope();
  after(() => scope.dispose());

  // BUG (machines/client.machine.ts): after a server `bye` the client reconnects (default in line mode) with
  // backoff for ever instead of ending: a script's `messenger --plain` never prints `disconnected` nor exits.
  it('prints disconnected (server-shutdown) and exits instead of reconnecting for ever', async () => {
    const files = scope.tempDir('messenger-e2e-files-');
    const [a, b] = await nextUdpPorts(2);
    const { run: server, port } = await scope.spawnServer(['--port', '0', '--files', files, '--udp-ports', `${a}-${b}`]);
    const gina = scope.spawnClient('gina', port, ['--downloads', scope.tempDir()]);
    await gina.waitFor((e) => e.type === 'connected', 15000);
    server.kill('SIGTERM');
    await server.waitEnd(8000);
    const ev = await gina.waitFor((e) => e.type === 'disconnected' || e.type === 'reconnecting', 8000);
    expect(ev).to.deep.equal({ type: 'disconnected', reason: 'server-shutdown' });
  });
});
