// One chat across a cluster with the real programs: two `messenger-server --cluster` processes (different --port,
// --node and UDP pools, TLS on) on one real NATS broker, a line-mode client `messenger --plain --json` on each: the
// events MISSION.md's contract names, as on one server. (Downloads across nodes: cluster-files.e2e.spec.ts.)
import { expect } from 'chai';
import { nextUdpPorts } from '../helpers/ports.js';
import type { ChildRun, Json } from '../helpers/proc.js';
import { Scope } from '../helpers/scope.js';
import { BROKER, uniquePrefix, wipe } from './nodes.js';

describe('cluster chat (real processes, real NATS)', function () {
  this.timeout(90000);
  let scope: Scope;
  let prefix: string;
  beforeEach(() => { scope = new Scope(); prefix = uniquePrefix(); });
  afterEach(async () => { await scope.dispose(); await wipe(prefix); });

  const is = (type: string, pred: (e: Json) => boolean = () => true) => (e: Json) => e.type === type && pred(e);
  const node = async (name: string) => {
    const [lo, hi] = await nextUdpPorts(2);
    return scope.spawnServer(['--port', '0', '--cluster', BROKER, '--node', name, '--cluster-prefix', prefix, '--udp-ports', `${lo}-${hi}`, '--files', scope.tempDir('files-')]);
  };
  const client = async (name: string, port: number): Promise<ChildRun> => {
    const c = scope.spawnClient(name, port, ['--downloads', scope.tempDir('dl-')]);
    const first = await c.waitFor((e) => e.type === 'connected' || e.type === 'error' || e.type === 'disconnected', 20000);
    if (first.type !== 'connected') throw new Error(`${name}: ${JSON.stringify(first)}; stderr: ${c.stderr.join('\n')}`);
    return c;
  };

  it('clients on two nodes: joined, messages to all and private both ways, who, a taken name, left', async () => {
    const n1 = await node('c1');
    const n2 = await node('c2');
    const alice = await client('alice', n1.port);
    const bob = await client('bob', n2.port);
    await alice.waitFor(is('joined', (e) => e.name === 'bob'), 10000);

    alice.type('hello from c1');
    bob.type('/all hello from c2');
    for (const c of [alice, bob]) {
      await c.waitFor(is('message', (e) => e.text === 'hello from c1' && e.from === 'alice' && e.to === undefined), 10000);
      await c.waitFor(is('message', (e) => e.text === 'hello from c2' && e.from === 'bob' && e.to === undefined), 10000);
    }
    alice.type('/msg bob only for you');
    expect((await bob.waitFor(is('message', (e) => e.text === 'only for you'), 10000)).to).to.equal('bob');
    bob.type('/msg Alice right back');
    expect((await alice.waitFor(is('message', (e) => e.text === 'right back'), 10000)).from).to.equal('bob');

    let since = bob.mark();
    bob.type('/who');
    expect((await bob.waitFor(is('online'), { since, ms: 10000 })).names).to.have.members(['alice', 'bob']);

    // one set of names: bob is taken on the other node too
    const bob2 = scope.spawnClient('BOB', n1.port, ['--no-reconnect']);
    expect((await bob2.waitFor(is('error'), 20000)).code).to.equal('name-taken');

    since = alice.mark();
    bob.type('/quit');
    expect((await alice.waitFor(is('left', (e) => e.name === 'bob'), { since, ms: 10000 })).reason).to.equal('quit');
    await bob.waitEnd(10000);
  });
});
