// The server's transfers host: takes download requests from sessions, hands each a port from the pool, a file
// from the catalogue and a sender actor, and binds that actor to a UDP socket. The one scheduler gives all senders
// their turns. Every ending (finished, declined, cancelled, failed, client gone) goes through the actor reaching a
// final state, and that one path closes the socket, returns the port and closes the file.
import crypto from 'node:crypto';
import dgram from 'node:dgram';
import fs from 'node:fs';
import { createActor, type Actor, type InspectionEvent } from 'xstate';
import { MessengerError } from '../machines/errors.js';
import type { ClientFrame } from '../machines/frames.js';
import { senderMachine, type SenderIO } from '../machines/sender.machine.js';
import type { CongestionControlName, OutgoingData } from '../machines/transport/api.js';
import {
  DATA_HEADER_BYTES, DATA_OVERHEAD_BYTES, decodePacket, sealPacket, writeDataHeader, type Packet,
} from '../machines/transport/packet-codec.js';
import { SenderCore } from '../machines/transport/sender-core.js';
import type { Catalogue, OpenedFile } from './catalogue.js';
import type { Connection } from './connection.js';
import type { Logger } from './logger.js';
import { PortPool } from './port-pool.js';
import { Scheduler } from './scheduler.js';

export interface TransfersOptions {
  host: string;
  ports: [number, number];
  /** Ports named to clients instead of the pool's own (port forwarding, the link emulator). */
  advertisePorts?: [number, number];
  /** Fraction of the file after which the client is asked whether to go on; 0 turns the question off. */
  halfway: number;
  /** UDP payload bytes per DATA packet. */
  chunk: number;
  cc: CongestionControlName;
  /** A client silent this long (while data is due) fails its transfer and frees the port. */
  silentMs: number;
  maxPerSession: number;
  /** How long the halfway question waits before the download stops (default 10 minutes). */
  consentTimeoutMs?: number;
  inspect?: (id: string) => ((ev: InspectionEvent) => void) | undefined;
}

type ControlFrame = Extract<ClientFrame, { type: 'get' | 'consent' | 'stop' }>;

/** Receive and send buffers for transfer sockets: the default 208 KiB holds only a few large datagrams. */
const SOCKET_BUFFER_BYTES = 4 << 20;
const HOUSEKEEPING_MS = 250;
const PACKETS_PER_TURN = 64;
const BENCH_PORT_MS = 5000;

let nextTransferId = 1;

export interface TransferStats { started: number; finished: number; stopped: number; cancelled: number; failed: number; spoofed: number; malformed: number }

export class TransfersHost {
  readonly pool: PortPool;
  readonly scheduler = new Scheduler();
  private readonly live = new Map<number, ServerTransfer>();
  private readonly pendingBySession = new Map<Connection, number>();
  readonly stats: TransferStats = { started: 0, finished: 0, stopped: 0, cancelled: 0, failed: 0, spoofed: 0, malformed: 0 };
  private stopping = false;

  constructor(readonly catalogue: Catalogue, readonly opts: TransfersOptions, readonly log: Logger) {
    this.pool = new PortPool(opts.ports[0], opts.ports[1]);
  }

  /** Checks that every pool port can be bound now, so a conflict shows at start rather than as a late `busy`. */
  async start(): Promise<void> {
    const unavailable: number[] = [];
    for (let p = this.opts.ports[0]; p <= this.opts.ports[1]; p++) {
      const ok = await new Promise<boolean>((resolve) => {
        const s = dgram.createSocket(this.opts.host.includes(':') ? 'udp6' : 'udp4');
        s.once('error', () => { s.close(); resolve(false); });
        s.bind(p, this.opts.host, () => s.close(() => resolve(true)));
      });
      if (!ok) unavailable.push(p);
    }
    if (unavailable.length) this.log.warn({ ports: unavailable }, 'some UDP pool ports are in use by another program: downloads skip them');
  }

  get active(): number { return this.live.size; }

  handle(conn: Connection, frame: ControlFrame, name: string): void {
    if (frame.type === 'get') { void this.request(conn, frame, name); return; }
    const t = this.live.get(frame.id);
    if (!t || t.conn !== conn) {
      conn.send({ type: 'error', code: 'no-such-transfer', message: `you have no download ${frame.id}`, re: frame.type, id: frame.id });
      return;
    }
    if (frame.type === 'consent') t.actor.send({ type: 'consent', answer: frame.answer });
    else t.actor.send({ type: 'stop' });
    this.scheduler.kick();
  }

  sessionEnded(conn: Connection, reason: string): void {
    for (const t of this.live.values()) if (t.conn === conn) t.actor.send({ type: 'cancel', reason: `the client left (${reason})` });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const t of [...this.live.values()]) t.actor.send({ type: 'cancel', reason: 'server-shutdown' });
    this.scheduler.stop();
  }

  private countFor(conn: Connection): number {
    let n = this.pendingBySession.get(conn) ?? 0;
    for (const t of this.live.values()) if (t.conn === conn) n++;
    return n;
  }

  private async request(conn: Connection, frame: Extract<ControlFrame, { type: 'get' }>, name: string): Promise<void> {
    const refuse = (e: MessengerError) => {
      const f: Parameters<Connection['send']>[0] = { type: 'error', code: e.code, message: e.message, re: 'get', file: frame.file };
      if (frame.ref !== undefined) f.ref = frame.ref;
      conn.send(f);
      this.log.info({ name, file: frame.file, code: e.code }, 'download refused');
    };
    if (this.stopping) return refuse(new MessengerError('server-shutdown', 'the server is shutting down'));
    if (this.countFor(conn) >= this.opts.maxPerSession) {
      return refuse(new MessengerError('too-many-transfers', `at most ${this.opts.maxPerSession} downloads at once per client`));
    }
    this.pendingBySession.set(conn, (this.pendingBySession.get(conn) ?? 0) + 1);
    let file: OpenedFile | null = null;
    let port: number | null = null;
    try {
      file = await this.catalogue.open(frame.file);
      port = this.pool.acquire(Date.now());
      if (port === null) throw new MessengerError('busy', `all ${this.pool.size} transfer ports are in use; try again shortly`);
      const sha256 = await this.catalogue.sha256(file);
      const lastByte = file.size > 0 ? readByte(file.fd, file.size - 1) : undefined;
      const socket = await this.bind(port);
      // the client left, or stop() ran, while this was set up: close the socket bound for it (else it stays bound)
      if (conn.socket.destroyed || this.stopping) {
        socket.close();
        throw this.stopping ? new MessengerError('server-shutdown', 'the server is shutting down') : new MessengerError('transfer-failed', 'the client left');
      }
      const resumed = frame.offset !== undefined && frame.offset > 0 && frame.sha256 === sha256 && frame.offset <= file.size;
      const startOffset = resumed ? frame.offset! : 0;
      const t = new ServerTransfer(this, conn, name, file, sha256, lastByte, port, socket, startOffset);
      this.live.set(t.id, t);
      this.stats.started++;
      file = null; port = null; // owned by the transfer now
      t.offer(frame.ref, resumed);
    } catch (e) {
      if (port !== null) this.pool.release(port);
      file?.close();
      if (e instanceof MessengerError) refuse(e);
      else { this.log.error({ err: String(e) }, 'download setup failed'); refuse(new MessengerError('internal', 'the download could not be set up')); }
    } finally {
      const n = (this.pendingBySession.get(conn) ?? 1) - 1;
      if (n <= 0) this.pendingBySession.delete(conn); else this.pendingBySession.set(conn, n);
    }
  }

  private bind(port: number): Promise<dgram.Socket> {
    return new Promise((resolve, reject) => {
      const s = dgram.createSocket({ type: this.opts.host.includes(':') ? 'udp6' : 'udp4', recvBufferSize: SOCKET_BUFFER_BYTES, sendBufferSize: SOCKET_BUFFER_BYTES });
      s.once('error', (e: NodeJS.ErrnoException) => {
        s.close();
        this.pool.bench(port, Date.now() + BENCH_PORT_MS);
        this.log.warn({ port, err: e.code }, 'cannot bind a pool port');
        reject(new MessengerError('busy', `transfer port ${port} is unavailable; try again`));
      });
      s.bind(port, this.opts.host, () => { s.removeAllListeners('error'); resolve(s); });
    });
  }

  advertised(port: number): number {
    const adv = this.opts.advertisePorts;
    return adv ? adv[0] + (port - this.opts.ports[0]) : port;
  }

  ended(t: ServerTransfer, outcome: string): void {
    this.live.delete(t.id);
    this.scheduler.remove(t);
    if (outcome in this.stats) (this.stats as unknown as Record<string, number>)[outcome]!++;
  }
}

function readByte(fd: number, at: number): number {
  const b = Buffer.alloc(1);
  if (fs.readSync(fd, b, 0, 1, at) !== 1) throw new MessengerError('io-error', 'cannot read the last byte of the file');
  return b[0]!;
}

/** One download on the server: the sender actor bound to its UDP socket and file. */
class ServerTransfer implements SenderIO {
  readonly id = nextTransferId++;
  readonly token = crypto.randomBytes(8);
  readonly actor: Actor<typeof senderMachine>;
  readonly core: SenderCore;
  private peer: { address: string; port: number } | null = null;
  private readonly startedAt = performance.now();
  /** Byte offset of the halfway question, or null when this download has none. */
  readonly holdAt: number | null;
  private done = false;
  private pathClosed = false;
  /** The last word to the client (stopped, error): sent once the port is back in the pool. */
  private farewell: Parameters<Connection['send']>[0] | null = null;

  constructor(
    private readonly host: TransfersHost,
    readonly conn: Connection,
    readonly name: string,
    readonly file: OpenedFile,
    readonly sha256: string,
    readonly lastByte: number | undefined,
    readonly port: number,
    readonly socket: dgram.Socket,
    readonly startOffset: number,
  ) {
    const { opts } = host;
    const now = performance.now();
    const at = opts.halfway > 0 ? Math.floor(file.size * opts.halfway) : 0;
    // no question when the point is 0, the end, or already behind the resume offset
    this.holdAt = at > startOffset && at < file.size ? at : null;
    const maxDatagram = opts.chunk + DATA_OVERHEAD_BYTES;
    this.core = new SenderCore({
      size: file.size, chunk: opts.chunk, startOffset, now, cc: opts.cc, maxDatagram,
      holdAt: this.holdAt,
      initialCredit: startOffset + 64 * maxDatagram,
    });
    this.actor = createActor(senderMachine, {
      id: `transfer-${this.id}`,
      input: { io: this, core: this.core, now, silentMs: opts.silentMs, burst: PACKETS_PER_TURN, consentTimeoutMs: opts.consentTimeoutMs },
      inspect: opts.inspect?.(`transfer-${this.id}`),
    });
    socket.on('message', (msg, rinfo) => this.onDatagram(msg, rinfo));
    socket.on('error', (e) => this.actor.send({ type: 'fail', code: 'io-error', message: `UDP socket: ${e.message}` }));
    this.actor.subscribe({ complete: () => this.finish(), error: (e) => { host.log.error({ err: String(e), id: this.id }, 'sender actor crashed'); this.finish(); } });
    this.actor.start();
    host.scheduler.add(this);
  }

  offer(ref: string | undefined, resumed: boolean): void {
    this.conn.send({
      type: 'offer', id: this.id, file: this.file.name, size: this.file.size, sha256: this.sha256,
      port: this.host.advertised(this.port), token: this.token.toString('hex'), offset: this.startOffset,
      chunk: this.host.opts.chunk, halfway: this.holdAt ?? 0, resumed,
      ...(ref !== undefined ? { ref } : {}),
    });
    this.host.log.info({ id: this.id, name: this.name, file: this.file.name, size: this.file.size, port: this.port, offset: this.startOffset }, 'transfer offered');
  }

  // ---- Schedulable
  service(now: number): number | null {
    if (this.done) return null;
    this.actor.send({ type: 'tick', now });
    if (this.done) return null;
    const next = this.core.nextWakeup(now);
    const housekeeping = now + HOUSEKEEPING_MS;
    return next === null ? housekeeping : Math.min(next, housekeeping);
  }

  private onDatagram(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    let p: Packet;
    try { p = decodePacket(msg); } catch { this.host.stats.malformed++; return; }
    if (p.transferId !== this.id || !crypto.timingSafeEqual(p.token, this.token)) { this.host.stats.spoofed++; return; }
    const now = performance.now();
    if (p.type === 'hello') {
      // the client's first datagram fixes where data goes; a later HELLO with the token may move it (NAT rebinding)
      this.peer = { address: rinfo.address, port: rinfo.port };
      this.actor.send({ type: 'hello', now });
      this.host.scheduler.kick();
      return;
    }
    if (!this.peer || rinfo.address !== this.peer.address || rinfo.port !== this.peer.port) { this.host.stats.spoofed++; return; }
    if (p.type === 'ack') { this.actor.send({ type: 'ack', ack: p.ack, now }); this.host.scheduler.kick(); }
    else if (p.type === 'close') this.actor.send({ type: 'stop' });
  }

  // ---- SenderIO
  transmit(packets: OutgoingData[]): void {
    const peer = this.peer;
    if (!peer) return;
    for (const d of packets) {
      const buf = Buffer.allocUnsafe(DATA_OVERHEAD_BYTES + d.len);
      writeDataHeader(buf, { transferId: this.id, token: this.token, pn: d.pn }, d.offset, d.len);
      let n: number;
      try { n = fs.readSync(this.file.fd, buf, DATA_HEADER_BYTES, d.len, d.offset); }
      catch (e) { this.actor.send({ type: 'fail', code: 'io-error', message: `cannot read the file: ${(e as NodeJS.ErrnoException).code}` }); return; }
      if (n !== d.len) { this.actor.send({ type: 'fail', code: 'file-changed', message: 'the file shrank during the download' }); return; }
      sealPacket(buf, DATA_HEADER_BYTES + d.len);
      this.socket.send(buf, peer.port, peer.address);
    }
  }

  ask(received: number): void {
    this.conn.send({ type: 'ask', id: this.id, file: this.file.name, received, size: this.file.size });
    this.host.log.info({ id: this.id, name: this.name, file: this.file.name, received }, 'transfer paused for consent');
  }

  closePath(): void {
    this.releasePort(() => this.actor.send({ type: 'path.closed' }));
  }

  private releasePort(then?: () => void): void {
    if (this.pathClosed) { then?.(); return; }
    this.pathClosed = true;
    const port = this.port;
    const back = () => { this.host.pool.release(port); then?.(); };
    try { this.socket.close(back); } catch { back(); }
  }

  complete(): void {
    this.conn.send({
      type: 'complete', id: this.id, file: this.file.name, size: this.file.size, sha256: this.sha256,
      ...(this.lastByte !== undefined ? { lastByte: this.lastByte } : {}),
    });
  }

  stopped(reason: string, received: number): void {
    this.farewell = { type: 'stopped', id: this.id, file: this.file.name, received, reason };
  }

  failed(code: string, message: string): void {
    const c = (['io-error', 'file-changed', 'transfer-failed'] as const).find((x) => x === code) ?? 'transfer-failed';
    this.farewell = { type: 'error', code: c, message, id: this.id, file: this.file.name };
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    const out = this.actor.getSnapshot().output;
    const s = this.core.stats();
    const secs = (performance.now() - this.startedAt) / 1000;
    this.host.log.info({
      id: this.id, name: this.name, file: this.file.name, outcome: out?.outcome, reason: out?.reason || undefined,
      acked: out?.acked, seconds: Number(secs.toFixed(3)), retransmits: s.retransmits, lost: s.lostPackets, srttMs: Number(s.srtt.toFixed(2)), minRttMs: Number(s.minRtt.toFixed(2)), cwnd: s.cwnd, pacingMBps: Math.round(s.pacingRate / 1e6), cc: s.cc, packets: s.packetsSent,
    }, 'transfer ended');
    this.host.ended(this, out?.outcome ?? 'failed');
    this.file.close();
    this.releasePort(() => { if (this.farewell) this.conn.send(this.farewell); });
  }
}
