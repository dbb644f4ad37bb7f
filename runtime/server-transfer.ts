// One download on the server: the sender actor, its transport core, its UDP endpoint and its file. ACKs are applied
// to the core here, in plain code; the actor gets one `tick` per scheduler turn and an `acked` only when an ACK
// changed what its guards read. Every ending is the actor reaching a final state, and `finish` is the one place
// that closes the socket, returns the port and closes the file.
import type { ErrorCode } from '../machines/errors.js';
import { TIMING } from '../machines/timing.js';
import crypto from 'node:crypto';
import type dgram from 'node:dgram';
import fs from 'node:fs';
import type { TLSSocket } from 'node:tls';
import { createActor, type Actor, type InspectionEvent } from 'xstate';
import type { Clock } from '../machines/clock.js';
import type { ServerFrame } from '../machines/frames.js';
import { senderMachine, type SenderIO } from '../machines/sender.machine.js';
import type { CongestionControlName, OutgoingData } from '../machines/transport/api.js';
import { DATA_HEADER_BYTES, type Packet } from '../machines/transport/packet-codec.js';
import { SenderCore } from '../machines/transport/sender-core.js';
import type { SharedPath } from '../machines/transport/shared-path.js';
import type { OpenedFile } from './catalogue.js';
import { heapMode } from './heap-mode.js';
import type { Logger } from './logger.js';
import type { Schedulable, Scheduler } from './scheduler.js';
import { AEAD_SEAL_NAME, AeadProtection, deriveTransferKeys, type TransferKeys } from './udp-crypto.js';
import { crcProtection, DATA_PAYLOAD_AT, TransferEndpoint, type DatagramCounters, type DatagramProtection } from './udp-endpoint.js';

/** How every transfer runs (part of the transfers host's options). */
export interface ServerTransferSettings {
  /** Fraction of the file after which the client is asked whether to go on; 0 turns the question off. */
  halfway: number;
  /** UDP payload bytes per DATA packet. */
  chunk: number;
  cc: CongestionControlName;
  /** A client silent this long (while data is due) fails its transfer and frees the port (default TIMING.senderSilentMs). */
  silentMs?: number;
  /** How long the halfway question waits before the download stops (default TIMING.consentTimeoutMs). */
  consentTimeoutMs?: number;
  inspect?: (id: string) => ((ev: InspectionEvent) => void) | undefined;
}

/** What a transfer needs of the host that runs it. */
export interface ServerTransferHost {
  readonly opts: ServerTransferSettings;
  readonly clock: Clock;
  readonly log: Logger;
  readonly scheduler: Scheduler;
  /** Where dropped datagrams are counted. */
  readonly stats: DatagramCounters;
  /** The port named to the client for a pool port. */
  advertised(port: number): number;
  /** The transfer's socket is closed: its port goes back to the pool. */
  portClosed(port: number): void;
  /** The transfer ended (its actor is final); `outcome` is finished, stopped, cancelled or failed. */
  ended(t: ServerTransfer, outcome: string): void;
  /** The congestion state this client's downloads share, or undefined when each has its own (see shared-path.ts). */
  sharedPath(conn: TransferClient, maxDatagram: number): SharedPath | undefined;
}

/** Whom a transfer's control frames go to: the client's connection on this server, or (in a cluster) a relay to
 *  the node the client is connected to. */
export interface TransferClient {
  send(frame: ServerFrame): void;
  /** The connection's TLS session, transfer keys are derived from (null: plain, or keys given in the setup). */
  readonly tlsSocket: TLSSocket | null;
}

export interface ServerTransferSetup {
  conn: TransferClient;
  /** The transfer id (default: the next one of this process): a cluster node serving another node's client uses
   *  the id that node gave it, with `keys` that node derived from its client's TLS session for that id. */
  id?: number;
  keys?: TransferKeys;
  /** The user's name, for the log. */
  name: string;
  file: OpenedFile;
  sha256: string;
  lastByte: number | undefined;
  port: number;
  socket: dgram.Socket;
  startOffset: number;
}

const PACKETS_PER_TURN = 64;

let nextTransferId = 1;

/** A transfer id no other transfer of this process has (a cluster node names downloads it forwards with one). */
export function allocateTransferId(): number { return nextTransferId++; }

type Farewell = ServerFrame;

export class ServerTransfer implements SenderIO, Schedulable {
  readonly id: number;
  readonly token = crypto.randomBytes(8);
  readonly conn: TransferClient;
  readonly name: string;
  readonly file: OpenedFile;
  readonly port: number;
  readonly startOffset: number;
  readonly actor: Actor<typeof senderMachine>;
  readonly core: SenderCore;
  /** Byte offset of the halfway question, or null when this download has none. */
  readonly holdAt: number | null;
  private readonly endpoint: TransferEndpoint;
  /** Datagrams sealed with AES-128-GCM keyed from the connection's TLS session (else the CRC and the token). */
  private readonly aead: boolean;
  private readonly sha256: string;
  private readonly lastByte: number | undefined;
  private readonly startedAt: number;
  /** When the client's last ACK arrived (the sender's silent-client deadline reads it on each tick). */
  private heardAt: number | undefined;
  private done = false;
  /** Counted in heapMode's running downloads (until finish). */
  private heapCounted = false;
  private pathClosed = false;
  /** The last word to the client (stopped, error): sent once the port is back in the pool. */
  private farewell: Farewell | null = null;

  constructor(private readonly host: ServerTransferHost, s: ServerTransferSetup) {
    const { opts, clock } = host;
    this.id = s.id ?? allocateTransferId();
    // under TLS, datagrams are sealed with keys from this connection's TLS session (derived first: a session gone
    // meanwhile throws here, before anything else is set up), or with the keys the setup brings
    const tls = s.conn.tlsSocket;
    const keys = s.keys ?? (tls ? deriveTransferKeys(tls, this.id) : null);
    this.aead = keys !== null;
    const protection: DatagramProtection = keys ? new AeadProtection(keys, 'server') : crcProtection;
    this.conn = s.conn; this.name = s.name; this.file = s.file; this.sha256 = s.sha256; this.lastByte = s.lastByte;
    this.port = s.port; this.startOffset = s.startOffset;
    const now = clock.now();
    this.startedAt = now;
    const size = s.file.size;
    const at = opts.halfway > 0 ? Math.floor(size * opts.halfway) : 0;
    // no question when the point is 0, the end, or already behind the resume offset
    this.holdAt = at > s.startOffset && at < size ? at : null;
    const maxDatagram = opts.chunk + DATA_HEADER_BYTES + protection.trailerBytes;
    this.core = new SenderCore({
      size, chunk: opts.chunk, startOffset: s.startOffset, now, cc: opts.cc, maxDatagram,
      holdAt: this.holdAt,
      initialCredit: s.startOffset + 64 * maxDatagram,
      path: host.sharedPath(s.conn, maxDatagram),
    });
    this.actor = createActor(senderMachine, {
      id: `transfer-${this.id}`,
      clock,
      input: { io: this, core: this.core, now, silentMs: opts.silentMs, burst: PACKETS_PER_TURN, consentTimeoutMs: opts.consentTimeoutMs },
      inspect: opts.inspect?.(`transfer-${this.id}`),
    });
    this.endpoint = new TransferEndpoint({
      socket: s.socket, transferId: this.id, token: this.token, counters: host.stats, peerFrom: 'hello',
      onPacket: (p) => this.onPacket(p), protection,
    });
    s.socket.on('error', (e) => this.actor.send({ type: 'fail', code: 'io-error', message: `UDP socket: ${e.message}` }));
    this.actor.subscribe({ complete: () => this.finish(), error: (e) => { host.log.error({ err: String(e), id: this.id }, 'sender actor crashed'); this.finish(); } });
    this.actor.start();
    host.scheduler.add(this);
    // V8's size policy is lifted while any download runs (runtime/heap-mode.ts); finish() gives it back
    if (!this.done) { heapMode.transferStarted(); this.heapCounted = true; }
  }

  offer(ref: string | undefined, resumed: boolean): void {
    this.conn.send({
      type: 'offer', id: this.id, file: this.file.name, size: this.file.size, sha256: this.sha256,
      port: this.host.advertised(this.port), token: this.token.toString('hex'), offset: this.startOffset,
      chunk: this.host.opts.chunk, halfway: this.holdAt ?? 0, resumed, seal: this.aead ? AEAD_SEAL_NAME : 'crc32',
      ...(ref !== undefined ? { ref } : {}),
    });
    this.host.log.info({ id: this.id, name: this.name, file: this.file.name, size: this.file.size, port: this.port, offset: this.startOffset }, 'transfer offered');
  }

  // ---- Schedulable
  service(now: number): number | null {
    if (this.done) return null;
    this.actor.send({ type: 'tick', now, heardAt: this.heardAt });
    if (this.done) return null;
    const next = this.core.nextWakeup(now);
    const housekeeping = now + TIMING.senderHousekeepingMs;
    return next === null ? housekeeping : Math.min(next, housekeeping);
  }

  /** An authenticated packet from the client. */
  private onPacket(p: Packet): void {
    if (this.done) return;
    const now = this.host.clock.now();
    if (p.type === 'hello') {
      this.actor.send({ type: 'hello', now });
      this.host.scheduler.kick();
    } else if (p.type === 'ack') {
      this.heardAt = now;
      const before = this.guardFlags();
      this.core.onAck(p.ack, now);
      if (this.guardFlags() !== before) this.actor.send({ type: 'acked' });
      this.host.scheduler.kick();
    } else if (p.type === 'close') {
      this.actor.send({ type: 'stop' });
    }
  }

  /** What the sender actor's guards read of the core, as one number. */
  private guardFlags(): number {
    const c = this.core;
    return (c.complete ? 1 : 0) | (c.heldComplete ? 2 : 0) | (c.windowFull ? 4 : 0) | (c.recovering ? 8 : 0);
  }

  // ---- SenderIO
  transmit(packets: OutgoingData[]): void {
    if (!this.endpoint.peer) return;
    for (const d of packets) {
      const buf = this.endpoint.dataPacket(d.pn, d.offset, d.len);
      let n: number;
      try { n = fs.readSync(this.file.fd, buf, DATA_PAYLOAD_AT, d.len, d.offset); }
      catch (e) { this.actor.send({ type: 'fail', code: 'io-error', message: `cannot read the file: ${(e as NodeJS.ErrnoException).code}` }); return; }
      if (n !== d.len) { this.actor.send({ type: 'fail', code: 'file-changed', message: 'the file shrank during the download' }); return; }
      this.endpoint.sendData(buf, d.len);
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
    this.endpoint.close(() => { this.host.portClosed(this.port); then?.(); });
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

  failed(code: ErrorCode, message: string): void {
    this.farewell = { type: 'error', code, message, id: this.id, file: this.file.name };
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    const out = this.actor.getSnapshot().output;
    const s = this.core.stats();
    const secs = (this.host.clock.now() - this.startedAt) / 1000;
    this.host.log.info({
      id: this.id, name: this.name, file: this.file.name, outcome: out?.outcome, reason: out?.reason || undefined,
      acked: out?.acked, seconds: Number(secs.toFixed(3)), retransmits: s.retransmits, lost: s.lostPackets, srttMs: Number(s.srtt.toFixed(2)), minRttMs: Number(s.minRtt.toFixed(2)), cwnd: s.cwnd, pacingMBps: Math.round(s.pacingRate / 1e6), cc: s.cc, packets: s.packetsSent,
    }, 'transfer ended');
    this.core.detach();
    if (this.heapCounted) { this.heapCounted = false; heapMode.transferEnded(); }
    this.host.ended(this, out?.outcome ?? 'failed');
    this.file.close();
    this.releasePort(() => { if (this.farewell) this.conn.send(this.farewell); });
  }
}
