// runtime/cluster/name-claims.ts against a real KV bucket on the broker: atomic claims, releases at the held
// revision, takeover from a dead node, re-assertion after an outage.
import { expect } from 'chai';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { KV } from '@nats-io/kv';
import { keyOf, NameClaims } from '../../runtime/cluster/name-claims.js';
import { openNames } from '../../runtime/cluster/names-bucket.js';
import { BROKER, uniquePrefix, wipe } from './nodes.js';

describe('cluster name claims (real KV bucket)', function () {
  this.timeout(20000);
  let nc: NatsConnection;
  let kv: KV;
  let prefix: string;
  const alive = new Set<string>();
  beforeEach(async () => {
    prefix = uniquePrefix();
    nc = await connect({ servers: BROKER });
    kv = await openNames(nc, prefix);
    alive.clear();
    alive.add('n1'); alive.add('n2');
  });
  afterEach(async () => { await nc.close(); await wipe(prefix); });
  const claims = (node: string) => new NameClaims(kv, node, (n) => alive.has(n));

  it('of many claims of one name at once, from two nodes, exactly one wins; case does not matter', async () => {
    const [a, b] = [claims('n1'), claims('n2')];
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).claim(i % 3 ? 'Alice' : 'alice')));
    expect(results.filter(Boolean)).to.have.length(1);
    expect(keyOf('ALICE')).to.equal(keyOf('alice'));
  });

  it('a release frees the name; a release by a node that no longer holds it changes nothing', async () => {
    const [a, b] = [claims('n1'), claims('n2')];
    expect(await a.claim('bob')).to.equal(true);
    expect(await b.claim('bob')).to.equal(false);
    await b.release('bob');
    expect(await b.claim('bob')).to.equal(false);
    await a.release('bob');
    expect(await b.claim('bob')).to.equal(true);
  });

  it('a name held by a dead node is taken over; freeFrom frees only what that node still holds', async () => {
    const [a, b] = [claims('n1'), claims('n2')];
    expect(await a.claim('carol')).to.equal(true);
    expect(await a.claim('dave')).to.equal(true);
    alive.delete('n1');
    expect(await b.claim('carol'), 'carol\'s node is dead').to.equal(true);
    await b.freeFrom('n1', ['carol', 'dave']);
    expect((await kv.get(keyOf('carol')))?.operation, 'carol is n2\'s now: left alone').to.equal('PUT');
    const dave = await kv.get(keyOf('dave'));
    expect(dave === null || dave.operation !== 'PUT', 'dave is freed').to.equal(true);
  });

  it('after an outage, reassert keeps the names still held and reports those given to someone else', async () => {
    const [a, b] = [claims('n1'), claims('n2')];
    expect(await a.claim('erin')).to.equal(true);
    expect(await a.claim('frank')).to.equal(true);
    // meanwhile n2 thought n1 dead and gave frank away
    alive.delete('n1');
    expect(await b.claim('frank')).to.equal(true);
    alive.add('n1');
    expect(await a.reassert(['erin', 'frank'])).to.deep.equal(['frank']);
  });
});
