// Faults of a cluster, with real processes and a real broker: a node killed with SIGKILL (its users leave for
// everyone within 10 s and their names free); the broker stopped and restarted (local users keep chatting, what
// cannot be delivered is refused to its sender, the nodes come back and re-announce who is online); a node stopped
// (SIGSTOP) does not stall the others and comes back.
import { spawn, type ChildProcess } from 'node:child_process';
import { expect } from 'chai';
import { Scope } from '../helpers/scope.js';
import { freeTcpPort, nextUdpPorts } from '../helpers/ports.js';
import type { RawClient } from '../helpers/raw.js';
import { BROKER, startNode, uniquePrefix, wipe } from './nodes.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('cluster faults (real processes, real NATS)', function () {
  this.timeout(60000);
  let scope: Scope;
  let prefix: string;
  beforeEach(() => { scope = new Scope(); prefix = uniquePrefix(); });
  afterEach(async () => { await scope.dispose(); });

  const serverArgs = async (node: string, servers = BROKER) => {
    const [lo, hi] = await nextUdpPorts(2);
    return ['--port', '0', '--cluster', servers, '--node', node, '--cluster-prefix', prefix, '--udp-ports', `${lo}-${hi}`, '--files', scope.tempDir('files-')];
  };
  const login = async (port: number, name: string): Promise<RawClient> => {
    const r = await scope.raw(port, name);
    await r.hello(name, 10000);
    return r;
  };

  it('a node killed with SIGKILL: everyone else sees its users leave within 10 s, and their names are free again', async () => {
    try {
      const a = await scope.spawnServer(await serverArgs('k1'));
      const b = await scope.spawnServer(await serverArgs('k2'));
      const alice = await login(a.port, 'alice');
      await login(b.port, 'bob');
      await alice.waitForType('joined', (f) => f.name === 'bob', 10000);
      const killedAt = Date.now();
      b.run.kill('SIGKILL');
      const left = await alice.waitForType('left', (f) => f.name === 'bob', 10000);
      expect(Date.now() - killedAt).to.be.below(10000);
      expect(left.reason).to.equal('server-lost');
      // the name is free: bob logs in again, on the node that is left
      await login(a.port, 'bob');
    } finally { await scope.dispose(); await wipe(prefix); }
  });

  describe('the broker stopped and restarted', () => {
    let broker: ChildProcess | null = null;
    let port = 0;
    let dir = '';
    const startBroker = async () => {
      broker = spawn('nats-server', ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir], { stdio: 'ignore' });
      const { connect } = await import('@nats-io/transport-node');
      for (let i = 0; i < 100; i++) {
        try { const nc = await connect({ servers: `nats://127.0.0.1:${port}`, timeout: 500 }); await nc.close(); return; } catch { await sleep(100); }
      }
      throw new Error('nats-server did not start');
    };
    const killBroker = async () => {
      const b = broker;
      broker = null;
      if (!b || b.exitCode !== null) return;
      const gone = new Promise((r) => b.once('exit', r));
      b.kill('SIGKILL');
      await gone;
    };
    before(async () => { port = await freeTcpPort(); });
    beforeEach(async () => { dir = scope.tempDir('nats-'); await startBroker(); });
    afterEach(async () => { await scope.dispose(); await killBroker(); });

    it('local users keep chatting, what cannot be delivered gets an error, and after the restart the nodes re-announce presence', async () => {
      const servers = [`nats://127.0.0.1:${port}`];
      const a = await startNode(scope, prefix, 'o1', { servers });
      const b = await startNode(scope, prefix, 'o2', { servers });
      const alice = await login(a.port, 'alice');
      const carol = await login(a.port, 'carol');
      const bob = await login(b.port, 'bob');
      await alice.waitForType('joined', (f) => f.name === 'bob', 10000);
      await killBroker();
      await sleep(300);
      // private messages between users of one node need no broker
      let since = carol.mark();
      alice.send({ type: 'tell', to: 'carol', text: 'still here?' });
      expect((await carol.waitForType('message', () => true, { since, ms: 5000 })).text).to.equal('still here?');
      // a message to all cannot be kept: refused to its sender, never silently lost
      since = alice.mark();
      alice.send({ type: 'say', text: 'into the void' });
      const refused = await alice.waitForType('error', (f) => f.re === 'say', { since, ms: 10000 });
      expect(refused.code).to.equal('cluster-unavailable');
      expect(carol.ofType('message').map((f) => f.text)).to.not.include('into the void');
      // a private message to a user of the other node: refused too
      since = alice.mark();
      alice.send({ type: 'tell', to: 'bob', text: 'are you there?' });
      expect((await alice.waitForType('error', (f) => f.re === 'tell', { since, ms: 10000 })).code).to.equal('cluster-unavailable');
      // a new login cannot claim its name
      const dave = await scope.raw(a.port, 'dave');
      dave.send({ type: 'hello', v: 1, name: 'dave' });
      expect((await dave.waitError(10000)).code).to.equal('cluster-unavailable');
      // the broker comes back (its JetStream state on disk): the nodes reconnect by themselves
      await startBroker();
      since = alice.mark();
      for (let i = 0; i < 100; i++) {
        alice.send({ type: 'say', text: `back ${i}` });
        const f = await alice.waitFor((x) => (x.type === 'message' && String(x.text).startsWith('back')) || (x.type === 'error' && x.re === 'say'), { since, ms: 10000 });
        if (f.type === 'message') break;
        since = alice.mark();
        await sleep(300);
      }
      const heard = await bob.waitForType('message', (f) => String(f.text).startsWith('back'), 15000);
      expect(heard.from).to.equal('alice');
      since = bob.mark();
      bob.send({ type: 'who' });
      expect((await bob.waitForType('online', () => true, { since, ms: 5000 })).names).to.include.members(['alice', 'bob', 'carol']);
      // and names are claimed again
      await login(a.port, 'dave');
    });
  });

  it('a stopped node (SIGSTOP) does not stall the others; its users leave, and it comes back on SIGCONT', async () => {
    try {
      const a = await scope.spawnServer(await serverArgs('s1'));
      const b = await scope.spawnServer(await serverArgs('s2'));
      const alice = await login(a.port, 'alice');
      const carol = await login(a.port, 'carol');
      await login(b.port, 'bob');
      await alice.waitForType('joined', (f) => f.name === 'bob', 10000);
      b.run.kill('SIGSTOP');
      try {
        // the others chat on: a message to all reaches carol while bob's node is frozen
        let since = carol.mark();
        alice.send({ type: 'say', text: 'anyone?' });
        expect((await carol.waitForType('message', () => true, { since, ms: 5000 })).text).to.equal('anyone?');
        // a private message to bob: an error once his node does not answer, not a stall
        since = alice.mark();
        alice.send({ type: 'tell', to: 'bob', text: 'hello?' });
        const e = await alice.waitFor((f) => (f.type === 'error' && f.re === 'tell') || (f.type === 'left' && f.name === 'bob'), { since, ms: 10000 });
        expect(['cluster-unavailable', undefined]).to.include(e.code);
        await alice.waitForType('left', (f) => f.name === 'bob', 10000);
        since = carol.mark();
        alice.send({ type: 'say', text: 'still chatting' });
        expect((await carol.waitForType('message', () => true, { since, ms: 5000 })).text).to.equal('still chatting');
      } finally { b.run.kill('SIGCONT'); }
      // back: bob is online again for the others
      await alice.waitForType('joined', (f) => f.name === 'bob', 15000);
    } finally { await scope.dispose(); await wipe(prefix); }
  });
});
