import { expect } from 'chai';
import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { LinkEmulator } from '../../runtime/link/link-emulator.js';
import type { LinkEmulatorOptions } from '../../runtime/link/link-emulator.js';
import type { ImpairmentSpec } from '../../runtime/link/impairment-spec.js';
import { waitUntil } from '../helpers/recorder.js';

const HOST = '127.0.0.1';
const PAYLOAD = 200;

/** A UDP socket that remembers every datagram it receives (with the receive time) and can wait for a count. */
class Peer {
  readonly received: Array<{ data: Buffer; from: dgram.RemoteInfo; t: number }> = [];
  private waiters: Array<() => void> = [];
  constructor(readonly socket: dgram.Socket) {
    socket.on('message', (data, from) => {
      this.received.push({ data, from, t: performance.now() });
      for (const w of this.waiters) w();
    });
  }
  static async open(): Promise<Peer> {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, HOST, () => r()));
    s.setRecvBufferSize(4 * 1024 * 1024);
    return new Peer(s);
  }
  get port(): number { return (this.socket.address() as AddressInfo).port; }
  /** Resolves once n datagrams are in, or after `quietMs` without a new one (so loss tests do not wait forever). */
  waitFor(n: number, quietMs = 300, maxMs = 2500): Promise<void> {
    return new Promise((resolve) => {
      const started = performance.now();
      let quiet: NodeJS.Timeout;
      const done = () => { clearTimeout(quiet); this.waiters = this.waiters.filter((w) => w !== check); resolve(); };
      const check = () => {
        if (this.received.length >= n || performance.now() - started > maxMs) return done();
        clearTimeout(quiet);
        quiet = setTimeout(done, quietMs);
      };
      this.waiters.push(check);
      check();
    });
  }
  close(): Promise<void> { return new Promise((r) => this.socket.close(() => r())); }
}

function datagram(seq: number, tag = 0, size = PAYLOAD): Buffer {
  const b = Buffer.alloc(size, seq & 0xff);
  b.writeUInt32BE(seq, 0);
  b.writeUInt32BE(tag, 4);
  return b;
}
const seqOf = (b: Buffer) => b.readUInt32BE(0);

/** Sends in small batches so the test measures the emulator, not kernel buffer overflow. */
async function sendAll(peer: Peer, port: number, bufs: Buffer[]): Promise<void> {
  const BATCH = 50;
  for (let i = 0; i < bufs.length; i += BATCH) {
    for (const b of bufs.slice(i, i + BATCH)) peer.socket.send(b, port, HOST);
    await new Promise((r) => setImmediate(r));
  }
}

describe('link/link-emulator', function () {
  this.timeout(5000);
  let echo: Peer;
  let echoed: Array<{ from: dgram.RemoteInfo; data: Buffer }>;
  const opened: Array<{ close(): Promise<void> }> = [];

  beforeEach(async () => {
    echo = await Peer.open();
    echoed = [];
    echo.socket.on('message', (data, from) => { echoed.push({ from, data }); echo.socket.send(data, from.port, from.address); });
    opened.push(echo);
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((x) => x.close()));
  });

  async function emulator(up: ImpairmentSpec = {}, down: ImpairmentSpec = {}, extra: Partial<LinkEmulatorOptions> = {}): Promise<LinkEmulator> {
    const emu = new LinkEmulator({ host: HOST, mappings: [{ listenPort: 0, targetHost: HOST, targetPort: echo.port }], up, down, seed: 1, ...extra });
    opened.push(emu);
    await emu.start();
    return emu;
  }
  async function client(): Promise<Peer> {
    const c = await Peer.open();
    opened.push(c);
    return c;
  }

  it('a clean link delivers every datagram, in order, both ways', async () => {
    const emu = await emulator();
    expect(emu.ports).to.have.length(1);
    expect(emu.ports[0]).to.be.above(0);
    const c = await client();
    const n = 1000;
    await sendAll(c, emu.ports[0]!, Array.from({ length: n }, (_, i) => datagram(i)));
    await c.waitFor(n);
    expect(echoed.map((e) => seqOf(e.data))).to.deep.equal([...Array(n).keys()]);
    expect(c.received.map((r) => seqOf(r.data))).to.deep.equal([...Array(n).keys()]);
    expect(c.received.every((r) => r.from.port === emu.ports[0])).to.equal(true); // replies come from the listen port
    const s = emu.stats();
    expect(s.up.forwarded).to.equal(n);
    expect(s.down.forwarded).to.equal(n);
    expect(s.nat).to.deep.equal({ active: 1, opened: 1, expired: 0 });
  });

  it('30% loss drops about 30%', async () => {
    const emu = await emulator({ loss: 0.3 });
    const c = await client();
    const n = 2000;
    await sendAll(c, emu.ports[0]!, Array.from({ length: n }, (_, i) => datagram(i)));
    await c.waitFor(n, 300);
    expect(c.received.length / n).to.be.closeTo(0.7, 0.05);
    const s = emu.stats();
    expect(s.up.received).to.equal(n);
    expect(s.up.dropped.loss + s.up.forwarded).to.equal(n);
    expect(c.received.length).to.equal(s.up.forwarded);
  });

  it('duplication produces duplicates', async () => {
    const emu = await emulator({}, { duplicate: 0.5 });
    const c = await client();
    const n = 400;
    await sendAll(c, emu.ports[0]!, Array.from({ length: n }, (_, i) => datagram(i)));
    await c.waitFor(Infinity, 200);
    const seqs = c.received.map((r) => seqOf(r.data));
    expect(new Set(seqs).size).to.equal(n);
    expect((seqs.length - n) / n).to.be.closeTo(0.5, 0.1);
    expect(emu.stats().down.duplicated).to.equal(seqs.length - n);
  });

  it('corruption changes exactly one byte per corrupted datagram', async () => {
    const emu = await emulator({}, { corrupt: 1 });
    const c = await client();
    const n = 200;
    const sent = Array.from({ length: n }, (_, i) => datagram(i, 0));
    await sendAll(c, emu.ports[0]!, sent.map((b) => Buffer.from(b)));
    await c.waitFor(n);
    expect(c.received).to.have.length(n);
    for (const r of c.received) {
      // the sequence number may itself be hit, so compare with every original for the one-byte difference
      const diffs = Math.min(...sent.map((orig) => orig.reduce((k, byte, i) => k + (byte !== r.data[i] ? 1 : 0), 0)));
      expect(diffs).to.equal(1);
    }
    expect(emu.stats().down.corrupted).to.equal(n);
  });

  it('a blackout drops everything during it, and only then', async () => {
    const at = 300, length = 400, margin = 60, stepMs = 10, totalMs = 1000;
    const emu = await emulator({ blackouts: [{ at, for: length }] });
    const t0 = performance.now();
    const c = await client();
    const sentAt: number[] = [];
    for (let i = 0; performance.now() - t0 < totalMs; i++) {
      sentAt.push(performance.now() - t0);
      c.socket.send(datagram(i), emu.ports[0]!, HOST);
      await new Promise((r) => setTimeout(r, stepMs));
    }
    await c.waitFor(sentAt.length, 200);
    const got = new Set(c.received.map((r) => seqOf(r.data)));
    sentAt.forEach((t, i) => {
      if (t < at - margin || t > at + length + margin) expect(got.has(i), `sent at ${t.toFixed(0)} ms`).to.equal(true);
      if (t > at + margin && t < at + length - margin) expect(got.has(i), `sent at ${t.toFixed(0)} ms`).to.equal(false);
    });
    expect(emu.stats().up.dropped.blackout).to.be.above(length / stepMs / 2);
  });

  it('a 1 Mbit/s limit shapes throughput', async () => {
    const emu = await emulator({ rateBitsPerSec: 1e6, queuePackets: 100 });
    const c = await client();
    const n = 60, size = 1250; // 60 * 1250 B * 8 = 0.6 Mbit, so about 0.6 s at 1 Mbit/s
    const start = performance.now();
    await sendAll(c, emu.ports[0]!, Array.from({ length: n }, (_, i) => datagram(i, 0, size)));
    await c.waitFor(n, 500);
    expect(c.received).to.have.length(n);
    const elapsedS = (c.received[n - 1]!.t - start) / 1000;
    const mbit = (n * size * 8) / elapsedS / 1e6;
    expect(mbit).to.be.within(0.6, 1.3);
    expect(emu.stats().up.queueMaxPackets).to.be.above(10); // the burst queued rather than passing at once
  });

  it('reordering lets later datagrams overtake held ones', async () => {
    const emu = await emulator({}, { reorder: 0.2, reorderDelayMs: 20 });
    const c = await client();
    const n = 300;
    await sendAll(c, emu.ports[0]!, Array.from({ length: n }, (_, i) => datagram(i)));
    await c.waitFor(n);
    const seqs = c.received.map((r) => seqOf(r.data));
    expect(seqs).to.have.length(n);
    expect(seqs).to.not.deep.equal([...Array(n).keys()]);
    expect([...seqs].sort((a, b) => a - b)).to.deep.equal([...Array(n).keys()]);
    expect(emu.stats().down.reordered).to.be.closeTo(0.2 * n, 0.1 * n);
  });

  it('gives two client addresses separate NAT entries and routes replies back to each', async () => {
    const emu = await emulator();
    const a = await client(), b = await client();
    const n = 20;
    await sendAll(a, emu.ports[0]!, Array.from({ length: n }, (_, i) => datagram(i, 1)));
    await sendAll(b, emu.ports[0]!, Array.from({ length: n }, (_, i) => datagram(i, 2)));
    await Promise.all([a.waitFor(n), b.waitFor(n)]);
    expect(a.received.every((r) => r.data.readUInt32BE(4) === 1)).to.equal(true);
    expect(b.received.every((r) => r.data.readUInt32BE(4) === 2)).to.equal(true);
    expect(a.received).to.have.length(n);
    expect(b.received).to.have.length(n);
    const upstreamPorts = new Set(echoed.map((e) => e.from.port));
    expect(upstreamPorts.size).to.equal(2);
    expect(emu.stats().nat).to.deep.equal({ active: 2, opened: 2, expired: 0 });
  });

  it('expires idle NAT entries and opens a fresh one on new traffic', async () => {
    const emu = await emulator({}, {}, { natIdleMs: 100 });
    const c = await client();
    c.socket.send(datagram(1), emu.ports[0]!, HOST);
    await c.waitFor(1);
    await waitUntil(() => emu.stats().nat.expired === 1, 3000, 'the idle entry expired');
    expect(emu.stats().nat).to.deep.equal({ active: 0, opened: 1, expired: 1 });
    c.socket.send(datagram(2), emu.ports[0]!, HOST);
    await c.waitFor(2);
    expect(c.received).to.have.length(2);
    expect(emu.stats().nat.opened).to.equal(2);
    expect(new Set(echoed.map((e) => e.from.port)).size).to.equal(2);
  });

  it('maps several ports one to one, and fails cleanly when a port is taken', async () => {
    const echo2 = await Peer.open();
    opened.push(echo2);
    echo2.socket.on('message', (data, from) => echo2.socket.send(Buffer.concat([Buffer.from('2:'), data]), from.port, from.address));
    const emu = new LinkEmulator({
      host: HOST, seed: 1, up: {}, down: {},
      mappings: [{ listenPort: 0, targetHost: HOST, targetPort: echo.port }, { listenPort: 0, targetHost: HOST, targetPort: echo2.port }],
    });
    opened.push(emu);
    await emu.start();
    expect(emu.ports).to.have.length(2);
    const c = await client();
    c.socket.send(datagram(1), emu.ports[0]!, HOST);
    await c.waitFor(1);
    c.socket.send(datagram(2), emu.ports[1]!, HOST);
    await c.waitFor(2);
    expect(c.received.map((r) => r.data.subarray(0, 2).toString('latin1'))).to.deep.equal(['\0\0', '2:']);

    const clash = new LinkEmulator({ host: HOST, seed: 1, mappings: [{ listenPort: emu.ports[0]!, targetHost: HOST, targetPort: echo.port }] });
    let err: unknown;
    try { await clash.start(); } catch (e) { err = e; }
    expect((err as NodeJS.ErrnoException | undefined)?.code).to.equal('EADDRINUSE');
  });
  it('survives a target with nothing listening, and forwards once it appears', async () => {
    const probe = await Peer.open();
    const port = probe.port;
    await probe.close();
    const emu = new LinkEmulator({ host: HOST, seed: 1, mappings: [{ listenPort: 0, targetHost: HOST, targetPort: port }] });
    opened.push(emu);
    await emu.start();
    const c = await client();
    for (let i = 0; i < 5; i++) { c.socket.send(datagram(i), emu.ports[0]!, HOST); await new Promise((r) => setTimeout(r, 10)); }
    await new Promise((r) => setTimeout(r, 50));
    expect(c.received).to.have.length(0);
    const late = dgram.createSocket('udp4');
    await new Promise<void>((r) => late.bind(port, HOST, () => r()));
    const lateEcho = new Peer(late);
    opened.push(lateEcho);
    late.on('message', (data, from) => late.send(data, from.port, from.address));
    c.socket.send(datagram(99), emu.ports[0]!, HOST);
    await c.waitFor(1);
    expect(c.received.map((r) => seqOf(r.data))).to.deep.equal([99]);
    expect(emu.stats().up.dropped.sendError).to.be.at.least(1); // the ICMP refusals were counted, not thrown
  });
});
