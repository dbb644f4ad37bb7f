// Every timer of the server and the client runtime that is not a protocol machine's own deadline, reached by moving
// a WarpClock, never by waiting: the session close grace, the refusal grace, the shutdown grace, the client's chat
// pacing; and the machines' deadlines once each end to end (hello, idle, ping, handshake, close grace, backoff).
// Sockets are real; a peer that "does not close" is a half-open socket that never ends its side.
import dgram from 'node:dgram';
import net from 'node:net';
import tls from 'node:tls';
import { expect } from 'chai';
import { TIMING } from '../../machines/timing.js';
import { WarpClock } from '../../runtime/clock.js';
import { nextUdpPorts } from '../helpers/ports.js';
import { Scope } from '../helpers/scope.js';
import { connectSocket, TEST_IDENTITY } from '../helpers/tls.js';

/** Open TCP connections of a MessengerServer's listener (refused ones included). */
const openConnections = (srv: { server: unknown }): Promise<number> => new Promise((resolve, reject) => {
  (srv.server as { server: net.Server }).server.getConnections((e, n) => (e ? reject(e) : resolve(n)));
});

const untilAsync = async (cond: () => Promise<boolean>, ms = 2000): Promise<void> => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 2));
  }
};

const until = async (cond: () => boolean, ms = 2000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setImmediate(r));
  }
};

/** A raw peer that reads frames and never closes its side by itself. */
class Peer {
  frames: Array<Record<string, unknown>> = [];
  closed = false;
  private buf = '';
  constructor(readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      this.buf += d;
      for (let nl = this.buf.indexOf('\n'); nl >= 0; nl = this.buf.indexOf('\n')) {
        this.frames.push(JSON.parse(this.buf.slice(0, nl)) as Record<string, unknown>);
        this.buf = this.buf.slice(nl + 1);
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => { this.closed = true; });
  }
  static async connect(port: number): Promise<Peer> {
    return new Peer(await connectSocket(port, '127.0.0.1', true, { allowHalfOpen: true }));
  }
  send(f: unknown): void { this.socket.write(JSON.stringify(f) + '\n'); }
  has(type: string, pred: (f: Record<string, unknown>) => boolean = () => true): boolean {
    return this.frames.some((f) => f.type === type && pred(f));
  }
}

describe('time/timers: every deadline reached by moving the clock', function () {
  let scope: Scope;
  let clock: WarpClock;
  const peers: Peer[] = [];
  beforeEach(() => { scope = new Scope(); clock = new WarpClock(); });
  afterEach(async () => {
    for (const p of peers.splice(0)) p.socket.destroy();
    await scope.dispose();
    clock.dispose();
  });
  const peer = async (port: number) => { const p = await Peer.connect(port); peers.push(p); return p; };

  it('server: a connection that never says hello is told hello-timeout and closed when the deadline passes', async () => {
    const srv = await scope.server({ clock });
    const p = await peer(srv.port);
    await until(() => srv.server.connections === 1);
    clock.advance(TIMING.helloTimeoutMs / 2);
    await new Promise((r) => setImmediate(r));
    expect(p.has('bye'), 'not before the deadline').to.equal(false);
    clock.advance(TIMING.helloTimeoutMs / 2 + 1000);
    await until(() => p.has('bye', (f) => f.reason === 'hello-timeout'));
  });

  it('server: a silent session is pinged, then closed as idle-timeout', async () => {
    const srv = await scope.server({ clock });
    const p = await peer(srv.port);
    p.send({ type: 'hello', v: 1, name: 'quiet' });
    await until(() => p.has('welcome'));
    clock.advance(TIMING.pingEveryMs + TIMING.sessionTickMs);
    await until(() => p.has('ping'));
    expect(p.has('bye')).to.equal(false);
    clock.advance(TIMING.idleMs);
    await until(() => p.has('bye', (f) => f.reason === 'idle-timeout'));
  });

  it('server: a closing peer that never closes its side is cut off after the close grace', async () => {
    const srv = await scope.server({ clock });
    const p = await peer(srv.port);
    p.send({ type: 'hello', v: 1, name: 'halfopen' });
    await until(() => p.has('welcome'));
    p.send({ type: 'bye' });
    await until(() => p.has('bye'));
    await new Promise((r) => setTimeout(r, 20)); // let the FIN arrive: the socket is half-open now, not closed
    expect(await openConnections(srv), 'half-open until the grace ends').to.equal(1);
    clock.advance(TIMING.sessionCloseGraceMs + 1);
    await untilAsync(async () => (await openConnections(srv)) === 0);
  });

  it('server: a connection refused at accept is cut off after the refusal grace', async () => {
    const srv = await scope.server({ clock, maxPerAddress: 1 });
    await peer(srv.port);
    const second = await peer(srv.port);
    await until(() => second.has('error', (f) => f.code === 'too-many-connections'));
    await new Promise((r) => setTimeout(r, 20));
    expect(await openConnections(srv), 'the refused one is open until the grace ends').to.equal(2);
    clock.advance(TIMING.refusalGraceMs + 1);
    await untilAsync(async () => (await openConnections(srv)) === 1);
  });

  it('server: stop() waits for a client that does not close until the session close grace cuts it off', async () => {
    const srv = await scope.server({ clock });
    const p = await peer(srv.port);
    p.send({ type: 'hello', v: 1, name: 'stays' });
    await until(() => p.has('welcome'));
    let stopped = false;
    const stopping = srv.server.stop().then(() => { stopped = true; });
    await until(() => p.has('bye', (f) => f.reason === 'server-shutdown'));
    await new Promise((r) => setTimeout(r, 20));
    expect(stopped, 'stop() waits while the client is connected').to.equal(false);
    // the session's own close grace ends first and cuts the peer off; stop() returns then, before its own grace
    clock.advance(TIMING.sessionCloseGraceMs + 1);
    await stopping;
    expect(await openConnections(srv)).to.equal(0);
  });

  it('client: a server that never answers the TLS handshake is given up at the handshake deadline (tls-handshake-failed), once', async () => {
    let seen = 0;
    const srv = net.createServer({ allowHalfOpen: true }, () => { seen++; });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as net.AddressInfo).port;
    try {
      const c = scope.client(port, 'waiter', { clock, reconnect: true });
      c.start();
      await until(() => seen === 1);
      clock.advance(TIMING.handshakeTimeoutMs + 1);
      const err = await c.waitForType('error', () => true, 2000);
      expect(err.code).to.equal('tls-handshake-failed');
      const ev = await c.waitForType('disconnected', () => true, 2000);
      expect(ev.reason).to.equal('tls-handshake-failed');
      expect(c.ofType('reconnecting')).to.have.length(0);
    } finally { srv.close(); }
  });

  it('client: a server that accepts but never welcomes ends the handshake at its deadline', async () => {
    const srv = tls.createServer({ allowHalfOpen: true, cert: TEST_IDENTITY.cert, key: TEST_IDENTITY.key }, () => {});
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as net.AddressInfo).port;
    try {
      const c = scope.client(port, 'waiter', { clock, reconnect: false });
      c.start();
      await until(() => c.rt.state === 'handshaking');
      clock.advance(TIMING.handshakeTimeoutMs + 1);
      await until(() => c.rt.state === 'closing');
      clock.advance(TIMING.closeGraceMs + 1); // the silent server does not close either: the close grace ends it
      const ev = await c.waitForType('disconnected', () => true, 2000);
      expect(ev.reason).to.equal('handshake-timeout');
    } finally { srv.close(); }
  });

  it('client: after losing its server it reconnects when the backoff has passed, not before', async () => {
    const srv = await scope.server({ clock });
    const c = await scope.online(srv.port, 'comeback', { clock, reconnect: true });
    const before = srv.server.connections;
    for (const s of [...(srv.server as unknown as { conns: Set<{ socket: net.Socket }> }).conns]) s.socket.destroy();
    const r = await c.waitForType('reconnecting', () => true, 2000);
    expect(r.inMs).to.equal(TIMING.backoffBaseMs);
    await new Promise((res) => setTimeout(res, 20));
    expect(srv.server.connections, 'no attempt before the backoff').to.be.below(before);
    clock.advance(r.inMs);
    await c.waitForType('connected', () => true, { since: 0, ms: 2000 });
    await until(() => c.items.filter((e) => e.type === 'connected').length === 2);
  });

  it('client: lines beyond the server\'s burst wait for their tokens and go out as time passes', async () => {
    const srv = await scope.server({ clock, session: { limits: { ratePerSec: 5, burst: 5 } } });
    const a = await scope.online(srv.port, 'talker', { clock });
    const b = await scope.online(srv.port, 'listener', { clock });
    for (let i = 0; i < 12; i++) a.command(`line ${i}`);
    const heard = () => b.items.filter((e) => e.type === 'message' && e.from === 'talker').length;
    await until(() => heard() >= 3);
    await new Promise((r) => setTimeout(r, 20));
    const early = heard();
    expect(early, 'the rest wait for tokens').to.be.below(12);
    for (let i = 0; i < 40 && heard() < 12; i++) { clock.advance(250); await new Promise((r) => setTimeout(r, 2)); }
    expect(heard()).to.equal(12);
    expect(b.items.filter((e) => e.type === 'message').map((e) => (e as { text: string }).text)).to.deep.equal(Array.from({ length: 12 }, (_, i) => `line ${i}`));
  });
  it('server: a pool port another program held is skipped until its bench time has passed', async () => {
    const ports = await nextUdpPorts(1);
    const srv = await scope.server({ clock, files: { 'f.bin': 'x'.repeat(5000) }, transfers: { ports } });
    const c = await scope.online(srv.port, 'getter', { clock, yes: true });
    // another program takes the pool's one port after the server started
    const squatter = dgram.createSocket('udp4');
    await new Promise<void>((r) => squatter.bind(ports[0], '127.0.0.1', r));
    let since = c.mark();
    c.command('/get f.bin');
    expect((await c.waitForType('error', () => true, { since, ms: 2000 })).code).to.equal('busy');
    await new Promise<void>((r) => squatter.close(() => r()));
    // the port is free again, but benched: still busy until the bench time passes
    since = c.mark();
    c.command('/get f.bin');
    expect((await c.waitForType('error', () => true, { since, ms: 2000 })).code).to.equal('busy');
    clock.advance(TIMING.portBenchMs);
    since = c.mark();
    c.command('/get f.bin');
    await c.waitForType('finished', () => true, { since, ms: 5000 });
  });
});
