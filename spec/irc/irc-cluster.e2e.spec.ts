// The IRC listener on a cluster, with the real programs: two `messenger-server --cluster --irc-port` processes on
// one real NATS broker, IRC clients on both and a line-mode client: one set of names across the nodes (433 for a
// name held on the other node), messages to all and private ones between nodes, NAMES of everyone, CHATHISTORY from
// the cluster's store, and quits.
import { expect } from 'chai';
import { IrcClients } from '../helpers/irc.js';
import { nextUdpPorts } from '../helpers/ports.js';
import { Scope } from '../helpers/scope.js';
import { BROKER, uniquePrefix, wipe } from '../cluster/nodes.js';

describe('IRC listener on a cluster (real processes, real NATS)', function () {
  this.timeout(90000);
  let scope: Scope;
  let clients: IrcClients;
  let prefix: string;
  beforeEach(() => { scope = new Scope(); clients = new IrcClients(); prefix = uniquePrefix(); });
  afterEach(async () => { clients.dispose(); await scope.dispose(); await wipe(prefix); });

  const node = async (name: string) => {
    const [lo, hi] = await nextUdpPorts(2);
    const s = await scope.spawnServer(['--no-tls', '--port', '0', '--irc-port', '0', '--cluster', BROKER, '--node', name, '--cluster-prefix', prefix,
      '--udp-ports', `${lo}-${hi}`, '--files', scope.tempDir('files-')]);
    const ircPort = Number((await s.run.waitFor((l) => l.msg === 'IRC listening', 15000)).ircPort);
    return { ...s, ircPort };
  };

  it('IRC users on two nodes and a line-mode client: one set of names, chat both ways across nodes, NAMES, QUIT', async () => {
    const n1 = await node('i1');
    const n2 = await node('i2');
    const a = await clients.connect(n1.ircPort, false, 'ircA');
    await a.register('ircA', { ms: 20000 });
    const b = await clients.connect(n2.ircPort, false, 'ircB');
    b.send('NICK ircA', 'USER b 0 * :B');
    expect((await b.waitCommand('433', () => true, 20000)).params[1]).to.equal('ircA');
    b.send('NICK ircB');
    await b.waitCommand('001', () => true, 20000);
    const c = scope.spawnClient('ndc', n2.port, ['--no-tls']);
    await c.waitFor((e) => e.type === 'connected', 20000);
    await a.waitCommand('JOIN', (l) => l.source!.startsWith('ircB!'), 10000);
    await a.waitCommand('JOIN', (l) => l.source!.startsWith('ndc!'), 10000);

    a.send('PRIVMSG #messenger :hello cluster');
    await b.waitCommand('PRIVMSG', (l) => l.params[1] === 'hello cluster' && l.source!.startsWith('ircA!'), 10000);
    await c.waitFor((e) => e.type === 'message' && e.text === 'hello cluster' && e.from === 'ircA', 10000);
    c.type('/msg ircA across the nodes');
    expect((await a.waitCommand('PRIVMSG', (l) => l.params[1] === 'across the nodes', 10000)).source).to.equal('ndc!ndc@messenger');
    b.send('PRIVMSG ircA :from the other node');
    await a.waitCommand('PRIVMSG', (l) => l.params[1] === 'from the other node' && l.params[0] === 'ircA', 10000);

    const since = a.mark();
    a.send('NAMES #messenger');
    await a.waitCommand('366', () => true, { since, ms: 10000 });
    expect(a.after(since).filter((l) => l.command === '353').flatMap((l) => l.params[3]!.split(' '))).to.have.members(['ircA', 'ircB', 'ndc']);

    // the history of the cluster's store, paged from IRC (the clustered hub answers with a promise)
    const before = a.mark();
    a.send('CHATHISTORY LATEST #messenger * 10');
    await a.waitCommand('BATCH', (l) => l.params[0]!.startsWith('-'), { since: before, ms: 10000 });
    const paged = a.after(before).filter((l) => l.command === 'PRIVMSG').map((l) => l.params[1]!);
    // without server-time the time leads the text
    expect(paged.some((t) => /^\[\d{4}-\d\d-\d\d \d\d:\d\d UTC\] hello cluster$/.test(t)), JSON.stringify(paged)).to.equal(true);

    b.send('QUIT :bye');
    expect((await a.waitCommand('QUIT', (l) => l.source!.startsWith('ircB!'), 10000)).params[0]).to.equal('Quit');
    expect(await c.waitFor((e) => e.type === 'left' && e.name === 'ircB', 10000)).to.include({ reason: 'quit' });
  });
});
