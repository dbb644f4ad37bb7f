// The client's node's side of a download another node serves: the request forwarded to the holder with the
// transfer keys sealed to it, the holder's control frames (offer, ask, complete, stopped, errors) written to the
// client's connection, the client's consent and stop sent back. The id the client sees is this process's (so it
// never meets a local download's); the client's keys are derived for it from its TLS session here.
import type { NatsConnection } from '@nats-io/transport-node';
import type { ClientFrame, ServerFrame } from '../../machines/frames.js';
import type { Connection } from '../connection.js';
import type { Logger } from '../logger.js';
import { allocateTransferId } from '../server-transfer.js';
import { transferMaterial } from '../udp-crypto.js';
import type { Holder } from './file-union.js';
import { decodeTransferReply, encode, type Relayed, type TransferRequest } from './files-wire.js';
import { sealKeys } from './key-seal.js';
import type { Subjects } from './subjects.js';

interface Forwarded { conn: Connection; holder: string; id: number; file: string; ref?: string; offered: boolean }

export interface ForwardedDownloadsOptions {
  nc: NatsConnection;
  s: Subjects;
  prefix: string;
  node: string;
  log: Logger;
  requestMs: number;
}

type Get = Extract<ClientFrame, { type: 'get' }>;

/** The address a connection reached on this server, as a plain IP (an IPv4-mapped IPv6 one unwrapped). */
function reached(conn: Connection): string | undefined {
  const a = conn.socket.localAddress;
  return a?.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}

export class ForwardedDownloads {
  private readonly live = new Map<number, Forwarded>();

  constructor(private readonly o: ForwardedDownloadsOptions) {}

  countFor(conn: Connection): number {
    let n = 0;
    for (const f of this.live.values()) if (f.conn === conn) n++;
    return n;
  }

  owns(conn: Connection, id: number): boolean { return this.live.get(id)?.conn === conn; }
  get active(): number { return this.live.size; }

  /** Forwards a `get` to the node holding the file. */
  start(conn: Connection, frame: Get, user: string, holder: Holder): void {
    const id = allocateTransferId();
    const f: Forwarded = { conn, holder: holder.node, id, file: frame.file, offered: false };
    if (frame.ref !== undefined) f.ref = frame.ref;
    const req: TransferRequest = { op: 'get', from: this.o.node, id, user, file: frame.file };
    if (frame.offset !== undefined) req.offset = frame.offset;
    if (frame.sha256 !== undefined) req.sha256 = frame.sha256;
    if (frame.ref !== undefined) req.ref = frame.ref;
    const tls = conn.tlsSocket;
    if (tls) {
      try {
        const material = transferMaterial(tls, id);
        req.keys = sealKeys(material, holder.key, { prefix: this.o.prefix, origin: this.o.node, holder: holder.node, id });
        material.fill(0);
      } catch (e) {
        this.refuse(f, 'transfer-failed', `the download could not be set up: ${(e as Error).message}`);
        return;
      }
    }
    this.live.set(id, f);
    this.o.log.info({ id, name: user, file: frame.file, holder: holder.node }, 'download forwarded to the node holding the file');
    this.o.nc.request(this.o.s.transfer(holder.node), encode(req), { timeout: this.o.requestMs }).then(
      (m) => {
        const r = decodeTransferReply(m.data);
        if (r?.ok) return;
        if (this.live.get(id) === f) { this.live.delete(id); this.refuse(f, 'cluster-unavailable', `the server holding ${frame.file} refused the download: ${r ? r.message : 'a malformed answer'}`); }
      },
      () => {
        if (this.live.get(id) === f && !f.offered) { this.live.delete(id); this.refuse(f, 'cluster-unavailable', `the server holding ${frame.file} did not answer; try again`); }
      },
    );
  }

  /** The client's consent answer or stop for a forwarded download. */
  control(conn: Connection, frame: Extract<ClientFrame, { type: 'consent' | 'stop' }>): void {
    const f = this.live.get(frame.id);
    if (!f || f.conn !== conn) return;
    const req: TransferRequest = frame.type === 'consent'
      ? { op: 'consent', from: this.o.node, id: f.id, answer: frame.answer }
      : { op: 'stop', from: this.o.node, id: f.id };
    this.o.nc.request(this.o.s.transfer(f.holder), encode(req), { timeout: this.o.requestMs }).then(
      (m) => {
        const r = decodeTransferReply(m.data);
        if (r?.ok || this.live.get(f.id) !== f) return;
        this.live.delete(f.id);
        conn.send({ type: 'error', code: 'no-such-transfer', message: `you have no download ${f.id}`, re: frame.type, id: f.id });
      },
      () => {
        if (this.live.get(f.id) !== f) return;
        this.live.delete(f.id);
        this.cancelAt(f, 'the holder did not answer');
        conn.send({ type: 'error', code: 'transfer-failed', message: `download failed: the server holding ${f.file} did not answer`, id: f.id, file: f.file });
      },
    );
  }

  /** A frame the holder relays for one of this node's clients. */
  onRelayed(r: Relayed): void {
    const f = this.live.get(r.id);
    if (!f || f.holder !== r.node) return;
    let frame: ServerFrame = r.frame;
    if (frame.type === 'offer') {
      f.offered = true;
      const host = this.hostOf?.(f.holder);
      if (host !== undefined && host !== reached(f.conn)) frame = { ...frame, host };
    }
    if (frame.type === 'complete' || frame.type === 'stopped' || frame.type === 'error') this.live.delete(r.id);
    f.conn.send(frame);
  }

  /** Where the holder's datagrams come from (ClusterFiles says: the host it announced). */
  hostOf: ((node: string) => string | undefined) | null = null;

  /** The holder is gone: its downloads fail; the client keeps each partial copy and can resume it elsewhere. */
  holderLost(node: string): void {
    for (const f of [...this.live.values()]) {
      if (f.holder !== node) continue;
      this.live.delete(f.id);
      if (f.offered) f.conn.send({ type: 'error', code: 'transfer-failed', message: `download failed: the server holding ${f.file} is gone`, id: f.id, file: f.file });
      else this.refuse(f, 'cluster-unavailable', `the server holding ${f.file} is gone; try again`);
    }
  }

  /** The client left: the holders stop sending (and free their ports at once). */
  sessionEnded(conn: Connection, reason: string): void {
    for (const f of [...this.live.values()]) {
      if (f.conn !== conn) continue;
      this.live.delete(f.id);
      this.cancelAt(f, reason);
    }
  }

  stop(): void { for (const f of [...this.live.values()]) { this.live.delete(f.id); this.cancelAt(f, 'server-shutdown'); } }

  private cancelAt(f: Forwarded, reason: string): void {
    try { this.o.nc.publish(this.o.s.transfer(f.holder), encode({ op: 'cancel', from: this.o.node, id: f.id, reason } satisfies TransferRequest)); } catch { /* the broker is gone: the holder's silent-client deadline ends it */ }
  }

  private refuse(f: Forwarded, code: 'transfer-failed' | 'cluster-unavailable', message: string): void {
    f.conn.send({ type: 'error', code, message, re: 'get', file: f.file, ...(f.ref !== undefined ? { ref: f.ref } : {}) });
  }
}
