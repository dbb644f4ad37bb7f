// The holder's side of a download another node's client asked for: the real sender (ServerTransfer, the sender
// machine) on this node's UDP pool and scheduler, keyed with the keys the client's node sealed to this node, its
// control frames (offer, ask, complete, stopped, errors) relayed to the client's node, which writes them to the
// client; the client's consent and stop come back as requests. Every ending goes through the sender actor's final
// state, as for a local download: its port returns to the pool.
import type { Msg, NatsConnection } from '@nats-io/transport-node';
import { MessengerError } from '../../machines/errors.js';
import type { ServerFrame } from '../../machines/frames.js';
import type { Logger } from '../logger.js';
import { ServerTransfer, type ServerTransferHost } from '../server-transfer.js';
import type { TransfersHost } from '../transfers-host.js';
import { transferKeysFrom, type TransferKeys } from '../udp-crypto.js';
import { decodeTransferRequest, encode, type Relayed, type TransferReply, type TransferRequest } from './files-wire.js';
import type { NodeKeys } from './key-seal.js';
import type { Subjects } from './subjects.js';

interface Served {
  origin: string;
  id: number;
  file: string;
  /** Null while the file is opened and the port bound. */
  t: ServerTransfer | null;
  /** The client's node said its client is gone: nothing more is relayed. */
  cancelled: boolean;
}

export interface ServedDownloadsOptions {
  nc: NatsConnection;
  s: Subjects;
  prefix: string;
  node: string;
  keys: NodeKeys;
  transfers: TransfersHost;
  log: Logger;
}

export class ServedDownloads implements ServerTransferHost {
  private readonly live = new Map<string, Served>();
  private stopping = false;

  constructor(private readonly o: ServedDownloadsOptions) {}

  // ---- ServerTransferHost: this node's pool, scheduler and settings
  get opts() { return this.o.transfers.opts; }
  get clock() { return this.o.transfers.clock; }
  get log() { return this.o.log; }
  get scheduler() { return this.o.transfers.scheduler; }
  get stats() { return this.o.transfers.stats; }
  advertised(port: number): number { return this.o.transfers.advertised(port); }
  portClosed(port: number): void { this.o.transfers.portClosed(port); }
  /** A download served for another node's client keeps its own congestion state: this node cannot tell which of
   *  the forwarded downloads share one client's path. */
  sharedPath(): undefined { return undefined; }

  ended(t: ServerTransfer, outcome: string): void {
    this.scheduler.remove(t);
    const stats = this.o.transfers.stats as unknown as Record<string, number>;
    if (outcome in stats) stats[outcome]!++;
    for (const [k, s] of this.live) {
      if (s.t !== t) continue;
      this.live.delete(k);
      // a cancel the client's node did not ask for (this node stops): the client hears why
      if (outcome === 'cancelled' && !s.cancelled) {
        this.relay(s, { type: 'error', code: 'transfer-failed', message: `download failed: the server holding ${s.file} stopped serving it`, id: s.id, file: s.file });
      }
    }
  }

  get active(): number { return this.live.size; }

  /** A request on this node's transfer subject. */
  onRequest(m: Msg): void {
    const r = decodeTransferRequest(m.data);
    const answer = (reply: TransferReply) => { try { m.respond(encode(reply)); } catch { /* the requester is gone */ } };
    if (!r) { answer({ ok: false, message: 'malformed transfer request' }); return; }
    const key = `${r.from}/${r.id}`;
    const s = this.live.get(key);
    switch (r.op) {
      case 'get':
        if (s || this.stopping) { answer({ ok: false, message: s ? 'this transfer id is in use' : 'the server is shutting down' }); return; }
        answer({ ok: true });
        void this.serve(r, key);
        return;
      case 'consent': case 'stop':
        if (!s?.t) { answer({ ok: false, message: `no download ${r.id}` }); return; }
        s.t.actor.send(r.op === 'consent' ? { type: 'consent', answer: r.answer } : { type: 'stop' });
        this.scheduler.kick();
        answer({ ok: true });
        return;
      case 'cancel':
        if (s) this.cancel(s, `the client left (${r.reason})`);
        answer({ ok: true });
        return;
    }
  }

  /** The client's node is gone (dead, or stopped): its clients' downloads end, their ports are freed. */
  originLost(origin: string): void {
    for (const s of [...this.live.values()]) if (s.origin === origin) this.cancel(s, `the server of the client is gone (${origin})`);
  }

  stop(): void {
    this.stopping = true;
    for (const s of [...this.live.values()]) s.t?.actor.send({ type: 'cancel', reason: 'server-shutdown' });
  }

  private cancel(s: Served, reason: string): void {
    s.cancelled = true;
    if (s.t) s.t.actor.send({ type: 'cancel', reason });
    else this.live.delete(`${s.origin}/${s.id}`);
  }

  private async serve(r: Extract<TransferRequest, { op: 'get' }>, key: string): Promise<void> {
    const s: Served = { origin: r.from, id: r.id, file: r.file, t: null, cancelled: false };
    const refuse = (e: MessengerError) => {
      this.relay(s, { type: 'error', code: e.code, message: e.message, re: 'get', file: r.file, ...(r.ref !== undefined ? { ref: r.ref } : {}) });
      this.o.log.info({ name: r.user, origin: r.from, file: r.file, code: e.code }, 'download for another node refused');
    };
    let keys: TransferKeys | undefined;
    if (r.keys) {
      try {
        keys = transferKeysFrom(this.o.keys.open(r.keys, { prefix: this.o.prefix, origin: r.from, holder: this.o.node, id: r.id }));
      } catch (e) {
        this.o.log.warn({ origin: r.from, id: r.id, err: (e as Error).message }, 'transfer keys from another node did not open');
        return refuse(new MessengerError('transfer-failed', 'the download could not be set up: its keys did not reach the server holding the file'));
      }
    }
    this.live.set(key, s);
    try {
      const p = await this.o.transfers.prepare(r, () => s.cancelled);
      const client = { send: (frame: ServerFrame) => this.relay(s, frame), tlsSocket: null };
      let t: ServerTransfer;
      try {
        t = new ServerTransfer(this, { conn: client, name: `${r.user}@${r.from}`, id: r.id, ...(keys ? { keys } : {}), ...p });
      } catch (e) {
        p.socket.close();
        this.o.transfers.portClosed(p.port);
        p.file.close();
        throw e;
      }
      s.t = t;
      this.o.transfers.stats.started++;
      t.offer(r.ref, p.resumed);
    } catch (e) {
      this.live.delete(key);
      if (s.cancelled) return;
      if (e instanceof MessengerError) refuse(e);
      else { this.o.log.error({ err: String(e) }, 'download setup failed'); refuse(new MessengerError('internal', 'the download could not be set up')); }
    }
  }

  private relay(s: Served, frame: ServerFrame): void {
    if (s.cancelled) return;
    try { this.o.nc.publish(this.o.s.relay(s.origin), encode({ node: this.o.node, id: s.id, frame } as Relayed)); } catch { /* the broker is gone: the client's node fails the download when it gives this node up */ }
  }
}
