// Two and three nodes of a cluster (in-process servers, each its own NATS connection, one real broker) behave as
// one chat: one set of names, messages to all and private messages across nodes in each sender's order, join and
// leave notices once for everyone, one history, shared accounts and kept messages.
import { expect } from 'chai';
import { Scope } from '../helpers/scope.js';
import type { RawClient } from '../helpers/raw.js';
import { startNode, uniquePrefix, wipe, type TestNode } from './nodes.js';

describe('cluster: one chat across nodes (real NATS JetStream)', function () {
  this.timeout(30000);
  let scope: Scope;
  let prefix: string;
  beforeEach(() => { scope = new Scope(); prefix = uniquePrefix(); });
  afterEach(async () => { await scope.dispose(); await wipe(prefix); });

  const nodes = async (n: number): Promise<TestNode[]> => {
    const list: TestNode[] = [];
    for (let i = 0; i < n; i++) list.push(await startNode(scope, prefix, `n${i + 1}`));
    return list;
  };
  const on = async (node: TestNode, name: string): Promise<RawClient> => {
    const r = await scope.raw(node.port, `${name}@${node.node}`);
    await r.hello(name, 8000);
    return r;
  };
  const messages = (r: RawClient, since = 0) => r.ofType('message', since).map((f) => `${String(f.from)}${f.to ? `>${String(f.to)}` : ''}:${String(f.text)}`);

  it('two nodes: each sees the other\'s users join and leave once, `who` lists both, messages to all cross', async () => {
    const [a, b] = await nodes(2);
    const alice = await on(a!, 'alice');
    const bob = await on(b!, 'bob');
    await alice.waitForType('joined', (f) => f.name === 'bob', 5000);
    expect(bob.ofType('welcome')[0]!.online).to.include.members(['alice', 'bob']);
    const since = alice.mark();
    alice.send({ type: 'who' });
    expect((await alice.waitForType('online', () => true, { since, ms: 5000 })).names).to.have.members(['alice', 'bob']);
    alice.send({ type: 'say', text: 'hello from n1' });
    bob.send({ type: 'say', text: 'hello from n2' });
    for (const r of [alice, bob]) {
      await r.waitFor(() => messages(r).length >= 2, 5000);
      expect(messages(r)).to.have.members(['alice:hello from n1', 'bob:hello from n2']);
    }
    // one order for everyone
    expect(messages(alice)).to.deep.equal(messages(bob));
    bob.send({ type: 'bye' });
    const left = await alice.waitForType('left', (f) => f.name === 'bob', 5000);
    expect(left.reason).to.equal('quit');
    await new Promise((r) => setTimeout(r, 300));
    expect(alice.ofType('joined').filter((f) => f.name === 'bob')).to.have.length(1);
    expect(alice.ofType('left').filter((f) => f.name === 'bob')).to.have.length(1);
  });

  it('three nodes: a private message goes to the recipient\'s node only, echoed to its sender; one sender\'s say/tell/say keep their order', async () => {
    const [a, b, c] = await nodes(3);
    const alice = await on(a!, 'alice');
    const bob = await on(b!, 'bob');
    const carol = await on(c!, 'carol');
    for (const r of [alice, bob, carol]) await r.waitFor(() => r.ofType('joined').length + (r.ofType('welcome')[0]!.online as string[]).length >= 3, 5000);
    for (let i = 0; i < 5; i++) {
      alice.send({ type: 'say', text: `all ${i}` });
      alice.send({ type: 'tell', to: 'Bob', text: `psst ${i}` });
    }
    await bob.waitFor(() => messages(bob).length >= 10, 8000);
    expect(messages(bob)).to.deep.equal([0, 1, 2, 3, 4].flatMap((i) => [`alice:all ${i}`, `alice>bob:psst ${i}`]));
    await carol.waitFor(() => messages(carol).length >= 5, 8000);
    await new Promise((r) => setTimeout(r, 300));
    expect(messages(carol), 'carol gets the messages to all only').to.deep.equal([0, 1, 2, 3, 4].map((i) => `alice:all ${i}`));
    await alice.waitFor(() => messages(alice).length >= 10, 8000);
    expect(messages(alice).filter((m) => m.includes('>')), 'the echo names the recipient as she is called').to.deep.equal([0, 1, 2, 3, 4].map((i) => `alice>bob:psst ${i}`));
  });

  it('one set of names: the same name claimed on two nodes at the same instant is given to exactly one', async () => {
    const [a, b] = await nodes(2);
    const names = Array.from({ length: 12 }, (_, i) => `racer${i}`);
    const tries = await Promise.all(names.flatMap((n) => [a!, b!].map(async (node) => {
      const r = await scope.raw(node.port, `${n}@${node.node}`);
      // the same name, spelled differently on each node: names are unique case-insensitively
      r.send({ type: 'hello', v: 1, name: node === b ? n.toUpperCase() : n });
      return r.waitFor((f) => f.type === 'welcome' || f.type === 'error', 8000);
    })));
    for (let i = 0; i < names.length; i++) {
      const pair = [tries[2 * i]!.type, tries[2 * i + 1]!.type].sort();
      expect(pair, `${names[i]} on both nodes at once`).to.deep.equal(['error', 'welcome']);
      const refused = [tries[2 * i]!, tries[2 * i + 1]!].find((f) => f.type === 'error')!;
      expect(refused.code).to.equal('name-taken');
    }
  });

  it('one history: a client on any node gets the same replay, and the same older pages', async () => {
    const [a, b, c] = await nodes(3);
    const alice = await on(a!, 'alice');
    const bob = await on(b!, 'bob');
    for (let i = 0; i < 6; i++) (i % 2 ? bob : alice).send({ type: 'say', text: `line ${i}` });
    await alice.waitFor(() => messages(alice).length >= 6, 8000);
    const late1 = await on(c!, 'dave');
    const late2 = await on(a!, 'erin');
    const replay = (r: RawClient) => (r.ofType('history')[0]?.messages as Array<{ from: string; text: string }> | undefined ?? []).map((m) => `${m.from}:${m.text}`);
    await late1.waitFor(() => late1.ofType('history').length > 0, 5000);
    await late2.waitFor(() => late2.ofType('history').length > 0, 5000);
    expect(replay(late1)).to.deep.equal(messages(alice));
    expect(replay(late2)).to.deep.equal(replay(late1));
    const ids = (late1.ofType('history')[0]!.messages as Array<{ id: number }>).map((m) => m.id);
    for (const r of [late1, late2]) r.send({ type: 'history', before: ids[3], limit: 2 });
    const p1 = await late1.waitForType('history', (f) => f.older === true, 5000);
    const p2 = await late2.waitForType('history', (f) => f.older === true, 5000);
    expect(p1.messages).to.deep.equal(p2.messages);
    // the two before the fourth, in the cluster's one order (alice's and bob's lines interleave as the stream took them)
    expect((p1.messages as Array<{ from: string; text: string }>).map((m) => `${m.from}:${m.text}`)).to.deep.equal(replay(late1).slice(1, 3));
  });

  it('accounts are shared: registered on one node, a login elsewhere needs the password; kept messages follow the user to any node', async () => {
    const cheap = { scryptCost: { N: 1 << 10, r: 8, p: 1 } };
    const a = await startNode(scope, prefix, 'n1', cheap);
    const b = await startNode(scope, prefix, 'n2', cheap);
    const carol = await on(a, 'carol');
    carol.send({ type: 'register', password: 'secret' });
    await carol.waitForType('registered', () => true, 8000);
    carol.send({ type: 'bye' });
    for (let i = 0; i < 100 && b.server.hub.isTaken('carol'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(b.server.hub.isTaken('carol'), 'n2 heard that carol left').to.equal(false);
    const dave = await on(b, 'dave');
    // an offline registered nickname: dave's message is kept for carol
    dave.send({ type: 'tell', to: 'carol', text: 'while you were away' });
    const echo = await dave.waitForType('message', (f) => f.to === 'carol', 8000);
    expect(echo.text).to.equal('while you were away');
    const impostor = await scope.raw(b.port, 'impostor');
    impostor.send({ type: 'hello', v: 1, name: 'carol' });
    expect((await impostor.waitError(5000)).code).to.equal('name-registered');
    const wrong = await scope.raw(b.port, 'wrong');
    wrong.send({ type: 'hello', v: 1, name: 'carol', password: 'nope' });
    expect((await wrong.waitError(8000)).code).to.equal('auth-failed');
    const back = await scope.raw(b.port, 'carol again');
    back.send({ type: 'hello', v: 1, name: 'carol', password: 'secret' });
    await back.waitForType('welcome', () => true, 8000);
    const h = await back.waitForType('history', () => true, 5000);
    const kept = (h.messages as Array<{ from: string; to?: string; text: string }>).filter((m) => m.to).map(({ from, to, text }) => ({ from, to, text }));
    expect(kept).to.deep.equal([{ from: 'dave', to: 'carol', text: 'while you were away' }]);
  });

  it('garbage on the cluster\'s subjects (another program on the broker) is dropped: the nodes chat on', async () => {
    const [a, b] = await nodes(2);
    const alice = await on(a!, 'alice');
    const bob = await on(b!, 'bob');
    await alice.waitForType('joined', (f) => f.name === 'bob', 5000);
    const nc = a!.store.connection;
    const junk = ['', 'not json', '[1,2]', '{"op":"join","node":"evil"}', '{"op":"roster","node":"evil","names":[1]}', '{"node":"evil","at":"x","users":1}', '\u0000\u00ff'];
    for (const subject of [`${prefix}.presence`, `${prefix}.roster`, `${prefix}.node.n2.hb`, `${prefix}.node.n1.tell`, `${prefix}.node.n2.tell`]) {
      for (const j of junk) nc.publish(subject, new TextEncoder().encode(j));
    }
    const forged = await nc.request(`${prefix}.node.n2.tell`, new TextEncoder().encode('{"from":"x"}'), { timeout: 2000 });
    expect(JSON.parse(new TextDecoder().decode(forged.data))).to.deep.equal({ ok: false });
    const since = bob.mark();
    alice.send({ type: 'say', text: 'still fine' });
    expect((await bob.waitForType('message', () => true, { since, ms: 5000 })).text).to.equal('still fine');
    expect(a!.server.hub.names().sort()).to.deep.equal(['alice', 'bob']);
  });
});
