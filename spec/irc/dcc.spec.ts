// runtime/irc/dcc.ts through the file service, over real sockets: `list`, `get NAME` as an active DCC SEND (the
// client connects to a pool port), as a passive one (the client listens, the server connects), DCC RESUME, the
// refusals, the pool, and connections from another address.
import { expect } from 'chai';
import crypto from 'node:crypto';
import net from 'node:net';
import { IrcClients, startIrcServer, type IrcClient, type IrcTestServer } from '../helpers/irc.js';
import { waitUntil } from '../helpers/recorder.js';
import { Scope } from '../helpers/scope.js';
import { nextUdpPorts } from '../helpers/ports.js';

interface Offer { file: string; ip: string; port: number; size: number; token?: string }

function parseOffer(text: string): Offer {
  const m = /^\x01DCC SEND (\S+) (\d+) (\d+) (\d+)(?: (\S+))?\x01$/.exec(text);
  if (!m) throw new Error(`not a DCC SEND: ${JSON.stringify(text)}`);
  const n = Number(m[2]);
  const o: Offer = { file: m[1]!, ip: [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.'), port: Number(m[3]), size: Number(m[4]) };
  if (m[5] !== undefined) o.token = m[5];
  return o;
}

/** Reads everything from a DCC socket, acknowledging as an IRC client does (4-byte totals); resolves at the close. */
function receive(sock: net.Socket, expected: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let got = 0;
    const timer = setTimeout(() => { sock.destroy(); reject(new Error(`DCC: ${got} of ${expected} bytes`)); }, 10000);
    sock.on('data', (d: Buffer) => {
      parts.push(d); got += d.length;
      const ack = Buffer.alloc(4); ack.writeUInt32BE(got % 2 ** 32); sock.write(ack);
      if (got >= expected) sock.end();
    });
    sock.on('error', () => {});
    sock.on('close', () => { clearTimeout(timer); resolve(Buffer.concat(parts)); });
  });
}

describe('IRC file service: DCC SEND over TCP', function () {
  this.timeout(20000);
  let scope: Scope;
  let clients: IrcClients;
  let s: IrcTestServer;
  let c: IrcClient;
  const big = crypto.randomBytes(700_000);

  async function setUp(ports?: [number, number]): Promise<void> {
    s = await startIrcServer(scope, { plain: true, files: { 'big.bin': big, 'with space.txt': 'spaced out\n', 'empty.txt': '' }, transfers: ports ? { ports } : {} });
    c = await clients.connect(s.ircPort, false, 'getter');
    await c.register('getter');
  }
  beforeEach(() => { scope = new Scope(); clients = new IrcClients(); });
  afterEach(async () => { clients.dispose(); await s?.stop(); await scope.dispose(); });

  const offerOf = async (since: number): Promise<Offer> =>
    parseOffer((await c.waitCommand('PRIVMSG', (l) => l.source === 'files!files@messenger' && l.params[1]!.startsWith('\x01DCC SEND'), { since })).params[1]!);
  const noticeOf = async (since: number, re: RegExp) =>
    (await c.waitCommand('NOTICE', (l) => l.source === 'files!files@messenger' && re.test(l.params[1]!), { since })).params[1]!;

  it('list answers with every shared file and its size', async () => {
    await setUp();
    const since = c.mark();
    c.send('PRIVMSG files :list');
    await noticeOf(since, /^get one with/);
    const notices = c.after(since).filter((l) => l.command === 'NOTICE').map((l) => l.params[1]);
    expect(notices).to.include.members(['3 shared files:', `big.bin  ${big.length} bytes`, 'with space.txt  11 bytes', 'empty.txt  0 bytes']);
  });

  it('get NAME: an active offer on a pool port, the bytes byte-identical, the port back in the pool', async () => {
    await setUp();
    const since = c.mark();
    c.send('PRIVMSG files :get big.bin');
    const offer = await offerOf(since);
    expect(offer).to.deep.include({ file: 'big.bin', ip: '127.0.0.1', size: big.length });
    expect(s.srv.server.transfers.pool.inUse).to.equal(1);
    const got = await receive(net.connect({ host: offer.ip, port: offer.port }), offer.size);
    expect(got.equals(big)).to.equal(true);
    await noticeOf(since, /^big\.bin: sent/);
    await waitUntil(() => s.srv.server.transfers.pool.inUse === 0, 3000, 'port returned');
  });

  it('a file name with a space is quoted in the offer; an empty file is offered and sent as nothing', async () => {
    await setUp();
    let since = c.mark();
    c.send('PRIVMSG files :get with space.txt');
    const l = await c.waitCommand('PRIVMSG', (x) => x.source === 'files!files@messenger', { since });
    expect(l.params[1]).to.match(/^\x01DCC SEND "with space\.txt" \d+ \d+ 11\x01$/);
    since = c.mark();
    c.send('PRIVMSG files :get empty.txt');
    const offer = await offerOf(since);
    expect(offer.size).to.equal(0);
    expect((await receive(net.connect({ host: offer.ip, port: offer.port }), 0)).length).to.equal(0);
  });

  it('get NAME passive: a reverse DCC offer (port 0 and a token); the server connects to the port the client names', async () => {
    await setUp();
    const since = c.mark();
    c.send('PRIVMSG files :get big.bin passive');
    const offer = await offerOf(since);
    expect(offer.port).to.equal(0);
    expect(offer.token).to.match(/^\d+$/);
    expect(s.srv.server.transfers.pool.inUse).to.equal(0);
    const listener = net.createServer();
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
    try {
      const accepted = new Promise<net.Socket>((r) => listener.once('connection', r));
      const port = (listener.address() as net.AddressInfo).port;
      c.send(`PRIVMSG files :\x01DCC SEND big.bin 2130706433 ${port} ${big.length} ${offer.token}\x01`);
      const got = await receive(await accepted, big.length);
      expect(got.equals(big)).to.equal(true);
      await noticeOf(since, /^big\.bin: sent/);
    } finally { listener.close(); }
  });

  it('DCC RESUME: the server accepts the position and sends the rest', async () => {
    await setUp();
    const since = c.mark();
    c.send('PRIVMSG files :get big.bin');
    const offer = await offerOf(since);
    c.send(`PRIVMSG files :\x01DCC RESUME big.bin ${offer.port} 500000\x01`);
    const accept = await c.waitCommand('PRIVMSG', (l) => l.params[1]!.startsWith('\x01DCC ACCEPT'), { since });
    expect(accept.params[1]).to.equal(`\x01DCC ACCEPT big.bin ${offer.port} 500000\x01`);
    const sock = net.connect({ host: offer.ip, port: offer.port });
    // a resuming client acknowledges totals that include what it had
    const parts: Buffer[] = [];
    await new Promise<void>((resolve) => {
      let got = 500000;
      sock.on('data', (d: Buffer) => { parts.push(d); got += d.length; const a = Buffer.alloc(4); a.writeUInt32BE(got); sock.write(a); if (got >= big.length) sock.end(); });
      sock.on('close', () => resolve());
    });
    expect(Buffer.concat(parts).equals(big.subarray(500000))).to.equal(true);
    c.send(`PRIVMSG files :\x01DCC RESUME big.bin ${offer.port} 10\x01`);
    await noticeOf(since, /no such offer/);
  });

  it('refusals: a file that is not shared, a path, an empty pool (busy); the ports always come back', async () => {
    const ports = await nextUdpPorts(1);
    await setUp(ports);
    const since = c.mark();
    c.send('PRIVMSG files :get nothing.bin');
    expect(await noticeOf(since, /^nothing\.bin:/)).to.match(/no shared file/);
    c.send('PRIVMSG files :get ../../etc/passwd');
    expect(await noticeOf(since, /^\.\.\/\.\.\/etc\/passwd:/)).to.match(/separator/);
    c.send('PRIVMSG files :get big.bin');
    const offer = await offerOf(since);
    c.send('PRIVMSG files :get big.bin');
    expect(await noticeOf(since, /^big\.bin: busy/)).to.match(/ports are in use/);
    const got = await receive(net.connect({ host: offer.ip, port: offer.port }), offer.size);
    expect(got.length).to.equal(big.length);
    await waitUntil(() => s.srv.server.transfers.pool.inUse === 0, 3000, 'port returned');
    c.send('PRIVMSG files :help me');
    await noticeOf(since, /^Commands:/);
  });

  it('a connection to an offer from another address is refused; the client\'s own still gets the file', async () => {
    await setUp();
    const since = c.mark();
    c.send('PRIVMSG files :get big.bin');
    const offer = await offerOf(since);
    const stranger = net.connect({ host: offer.ip, port: offer.port, localAddress: '127.0.0.2' });
    const strangerGot = await receive(stranger, 1).catch(() => Buffer.alloc(0));
    expect(strangerGot.length).to.equal(0);
    const got = await receive(net.connect({ host: offer.ip, port: offer.port }), offer.size);
    expect(got.equals(big)).to.equal(true);
  });

  it('an offer not taken in time is withdrawn and its port returned; a client that leaves ends its sends', async () => {
    s = await startIrcServer(scope, { plain: true, files: { 'big.bin': big }, dcc: { offerTimeoutMs: 300 } });
    c = await clients.connect(s.ircPort, false, 'slow');
    await c.register('slow');
    const since = c.mark();
    c.send('PRIVMSG files :get big.bin');
    await offerOf(since);
    expect(await noticeOf(since, /^big\.bin: the offer was not taken/)).to.match(/in time/);
    expect(s.srv.server.transfers.pool.inUse).to.equal(0);
    c.send('PRIVMSG files :get big.bin');
    await waitUntil(() => s.srv.server.transfers.pool.inUse === 1, 3000, 'offer made');
    c.destroy();
    await waitUntil(() => s.srv.server.transfers.pool.inUse === 0 && s.irc.dcc.active === 0, 3000, 'ended with its client');
  });
});
