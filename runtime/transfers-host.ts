// The server's transfers host: takes download requests from sessions, hands each a port from the pool, a file
// from the catalogue and a sender actor, and binds that actor to a UDP socket. The one scheduler gives all senders
// their turns. Every ending (finished, declined, cancelled, failed, client gone) goes through the actor reaching a
// final state, and that one path closes the socket, returns the port and closes the file.
import { TIMING } from '../machines/timing.js';
import type dgram from 'node:dgram';
import fs from 'node:fs';
import { MessengerError } from '../machines/errors.js';
import type { ClientFrame } from '../machines/frames.js';
import type { Catalogue, OpenedFile } from './catalogue.js';
import { systemClock, type Clock } from './clock.js';
import type { Connection } from './connection.js';
import type { Logger } from './logger.js';
import { PortPool } from './port-pool.js';
import { Scheduler } from './scheduler.js';
import { ServerTransfer, type ServerTransferHost, type ServerTransferSettings, type TransferClient } from './server-transfer.js';
import { bindTransferSocket, canBind } from './udp-endpoint.js';
import { SharedPath, sharable } from '../machines/transport/shared-path.js';

export interface TransfersOptions extends ServerTransferSettings {
  host: string;
  ports: [number, number];
  /** Ports named to clients instead of the pool's own (port forwarding, the link emulator). */
  advertisePorts?: [number, number];
  /** In a cluster: the IP address other nodes' clients send this node's datagrams to (default `host`, unless it is
   *  a wildcard; then the address each client reached). */
  advertiseHost?: string;
  maxPerSession: number;
  /** Every transfer timer, deadline and timestamp reads this clock (default the system clock). */
  clock?: Clock;
}

type ControlFrame = Extract<ClientFrame, { type: 'get' | 'consent' | 'stop' }>;


/** A download ready to start: everything ServerTransfer's setup needs but the client and the name. */
export interface PreparedDownload { file: OpenedFile; sha256: string; lastByte: number | undefined; port: number; socket: dgram.Socket; startOffset: number; resumed: boolean }

export interface TransferStats { started: number; finished: number; stopped: number; cancelled: number; failed: number; spoofed: number; malformed: number }

export class TransfersHost implements ServerTransferHost {
  readonly pool: PortPool;
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  private readonly live = new Map<number, ServerTransfer>();
  private readonly pendingBySession = new Map<Connection, number>();
  /** One congestion state per client: its downloads share the window (runtime's side of shared-path.ts). */
  private readonly paths = new Map<TransferClient, SharedPath>();
  readonly stats: TransferStats = { started: 0, finished: 0, stopped: 0, cancelled: 0, failed: 0, spoofed: 0, malformed: 0 };
  private stopping = false;

  constructor(readonly catalogue: Catalogue, readonly opts: TransfersOptions, readonly log: Logger) {
    this.pool = new PortPool(opts.ports[0], opts.ports[1]);
    this.clock = opts.clock ?? systemClock;
    this.scheduler = new Scheduler(this.clock);
  }

  /** Checks that every pool port can be bound now, so a conflict shows at start rather than as a late `busy`. */
  async start(): Promise<void> {
    const unavailable: number[] = [];
    for (let p = this.opts.ports[0]; p <= this.opts.ports[1]; p++) if (!await canBind(this.opts.host, p)) unavailable.push(p);
    if (unavailable.length) this.log.warn({ ports: unavailable }, 'some UDP pool ports are in use by another program: downloads skip them');
    // each shared file's hash once per version, ahead of its first request (a request meanwhile waits for the same one)
    const t0 = this.clock.now();
    void this.catalogue.hashAll(() => this.stopping).then(
      (n) => { if (n > 0) this.log.info({ files: n, ms: Math.round(this.clock.now() - t0) }, 'shared files hashed'); },
      (e: Error) => this.log.warn({ err: e.message }, 'hashing the shared files failed'),
    );
  }

  get active(): number { return this.live.size; }
  /** The running transfers, read (never changed) by the dashboard's sampler. */
  get running(): IterableIterator<ServerTransfer> { return this.live.values(); }

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

  /** Downloads a client has elsewhere (in a cluster: served by other nodes); they count toward maxPerSession. */
  elsewhere: ((conn: Connection) => number) | null = null;

  /** Downloads this client has, running or being set up, here or elsewhere. */
  countFor(conn: Connection): number {
    let n = (this.pendingBySession.get(conn) ?? 0) + (this.elsewhere?.(conn) ?? 0);
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
    try {
      const p = await this.prepare(frame, () => conn.socket.destroyed);
      let t: ServerTransfer;
      try { t = new ServerTransfer(this, { conn, name, ...p }); } catch (e) {
        p.socket.close();
        this.pool.release(p.port);
        p.file.close();
        throw e;
      }
      this.live.set(t.id, t);
      this.stats.started++;
      t.offer(frame.ref, p.resumed);
    } catch (e) {
      if (e instanceof MessengerError) refuse(e);
      else { this.log.error({ err: String(e) }, 'download setup failed'); refuse(new MessengerError('internal', 'the download could not be set up')); }
    } finally {
      const n = (this.pendingBySession.get(conn) ?? 1) - 1;
      if (n <= 0) this.pendingBySession.delete(conn); else this.pendingBySession.set(conn, n);
    }
  }

  /**
   * What one download needs before its sender starts: the shared file opened, its hash and last byte, a pool port
   * bound. Throws a MessengerError with nothing held (the socket closed, the port back, the file closed) when any of
   * it fails, when the server is stopping, or when `gone()` says the requester left meanwhile. Used for this
   * server's clients and for downloads served to another cluster node's clients.
   */
  async prepare(req: { file: string; offset?: number; sha256?: string }, gone: () => boolean): Promise<PreparedDownload> {
    if (this.stopping) throw new MessengerError('server-shutdown', 'the server is shutting down');
    let file: OpenedFile | null = null;
    let port: number | null = null;
    let socket: dgram.Socket | null = null;
    try {
      file = await this.catalogue.open(req.file);
      port = this.pool.acquire(this.clock.now());
      if (port === null) throw new MessengerError('busy', `all ${this.pool.size} transfer ports are in use; try again shortly`);
      const sha256 = await this.catalogue.sha256(file);
      const lastByte = file.size > 0 ? readByte(file.fd, file.size - 1) : undefined;
      socket = await this.bind(port);
      // the client left, or stop() ran, while this was set up: close the socket bound for it (else it stays bound)
      if (gone() || this.stopping) {
        throw this.stopping ? new MessengerError('server-shutdown', 'the server is shutting down') : new MessengerError('transfer-failed', 'the client left');
      }
      const resumed = req.offset !== undefined && req.offset > 0 && req.sha256 === sha256 && req.offset <= file.size;
      return { file, sha256, lastByte, port, socket, startOffset: resumed ? req.offset! : 0, resumed };
    } catch (e) {
      // a socket bound for a transfer that was not set up is closed (else it stays bound)
      if (socket !== null) socket.close();
      if (port !== null) this.pool.release(port);
      file?.close();
      throw e;
    }
  }

  private async bind(port: number): Promise<dgram.Socket> {
    try { return await bindTransferSocket(this.opts.host, port); } catch (e) {
      this.pool.bench(port, this.clock.now() + TIMING.portBenchMs);
      this.log.warn({ port, err: (e as NodeJS.ErrnoException).code }, 'cannot bind a pool port');
      throw new MessengerError('busy', `transfer port ${port} is unavailable; try again`);
    }
  }

  advertised(port: number): number {
    const adv = this.opts.advertisePorts;
    return adv ? adv[0] + (port - this.opts.ports[0]) : port;
  }

  portClosed(port: number): void { this.pool.release(port); }

  sharedPath(conn: TransferClient, maxDatagram: number): SharedPath | undefined {
    if (!sharable(this.opts.cc)) return undefined;
    let p = this.paths.get(conn);
    if (!p) { p = new SharedPath(this.opts.cc, maxDatagram, this.clock.now()); this.paths.set(conn, p); }
    return p;
  }

  ended(t: ServerTransfer, outcome: string): void {
    this.live.delete(t.id);
    this.scheduler.remove(t);
    // the client's path state goes with its last download (a later one starts afresh, as a new connection would)
    const p = this.paths.get(t.conn);
    if (p && p.size === 0) this.paths.delete(t.conn);
    if (outcome in this.stats) (this.stats as unknown as Record<string, number>)[outcome]!++;
  }
}

function readByte(fd: number, at: number): number {
  const b = Buffer.alloc(1);
  if (fs.readSync(fd, b, 0, 1, at) !== 1) throw new MessengerError('io-error', 'cannot read the last byte of the file');
  return b[0]!;
}
