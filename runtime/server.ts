// The messenger server: a TCP listener hosting one session actor per connection, the hub, the shared-files
// catalogue and the transfers host. One timer drives keepalive for every session.
import net from 'node:net';
import tls from 'node:tls';
import type { AnyActorRef, InspectionEvent } from 'xstate';
import { encodeFrame } from '../machines/frame-codec.js';
import type { ClientFrame } from '../machines/frames.js';
import { LIMITS } from '../machines/limits.js';
import { DEFAULT_SESSION_CONFIG, type SessionConfig } from '../machines/session.machine.js';
import { TIMING } from '../machines/timing.js';
import { Catalogue } from './catalogue.js';
import { every, systemClock, type Clock } from './clock.js';
import { Connection, sessionParent, type ConnectionHost } from './connection.js';
import { Hub, type HubEvents } from './hub.js';
import { ClusterHub, type ClusterHubOptions } from './cluster/cluster-hub.js';
import { ClusterFiles } from './cluster/cluster-files.js';
import type { Logger } from './logger.js';
import { Accounts } from './accounts.js';
import type { ScryptCost } from './password-hash.js';
import { HistoryKeeper } from './store/history-keeper.js';
import { flushOutboxesNow } from './outbox.js';
import type { Retention, Store } from './store/port.js';
import { sniffTls } from './tls/sniff.js';
import { TransfersHost, type TransfersOptions } from './transfers-host.js';

export interface ServerOptions {
  host: string;
  port: number;
  filesDir: string;
  session?: Partial<SessionConfig>;
  /** Connections allowed from one address at once (0: no limit). */
  maxPerAddress: number;
  maxConnections: number;
  maxOutboxBytes: number;
  tickMs: number;
  transfers: TransfersOptions;
  log: Logger;
  /** Where time comes from (tests move a WarpClock by hand). */
  clock?: Clock;
  inspect?: (id: string) => ((ev: InspectionEvent) => void) | undefined;
  /** Where history is kept (none: the last messages in memory only); the server closes it when it stops. */
  store?: Store;
  /** Messages replayed to a client at login (default 100; 0 for none). */
  historyReplay?: number;
  retention?: Retention;
  /** scrypt's cost for new password hashes (tests lower it; default DEFAULT_COST). */
  scryptCost?: ScryptCost;
  /** One node of a cluster (--cluster, --node): names, presence and messages through NATS; the store is then the
   *  clustered one (its history is `history` here). */
  cluster?: Pick<ClusterHubOptions, 'nc' | 'names' | 'history' | 'node' | 'prefix' | 'timing'>;
  /** TLS 1.3 on the listener with this identity (PEM); absent: plain NDJSON (--no-tls). */
  tls?: { cert: string; key: string; fingerprint?: string };
}

export const SERVER_DEFAULTS = {
  host: '127.0.0.1', port: 50000, maxPerAddress: 128, maxConnections: 15000, maxOutboxBytes: 4 << 20, tickMs: TIMING.sessionTickMs,
} as const;

export class MessengerServer implements ConnectionHost {
  readonly hub: Hub | ClusterHub;
  readonly cfg: SessionConfig;
  readonly maxOutboxBytes: number;
  readonly catalogue: Catalogue;
  readonly transfers: TransfersHost;
  /** In a cluster: the union of every node's files, and downloads served by the node holding the file. */
  readonly clusterFiles: ClusterFiles | null;
  readonly inspect: ServerOptions['inspect'];
  private readonly server: net.Server;
  private readonly conns = new Set<Connection>();
  private readonly perAddress = new Map<string, number>();
  private stopTick: (() => void) | null = null;
  readonly clock: Clock;
  /** The session actors' parent: one actor system for all of them. */
  readonly sessionParent: AnyActorRef;
  private allClosed: (() => void) | null = null;
  private readonly log: Logger;
  private readonly keeper?: HistoryKeeper;
  /** Registered nicknames and kept private messages: with a store only. */
  readonly accounts?: Accounts;
  private readonly secureContext: tls.SecureContext | null;
  /** Accepted sockets whose first byte has not come yet. */
  private readonly sniffing = new Set<net.Socket>();

  constructor(private readonly opts: ServerOptions) {
    this.log = opts.log;
    this.clock = opts.clock ?? systemClock;
    this.sessionParent = sessionParent(this.clock);
    this.cfg = { ...DEFAULT_SESSION_CONFIG, ...opts.session, limits: { ...DEFAULT_SESSION_CONFIG.limits, ...opts.session?.limits } };
    this.maxOutboxBytes = opts.maxOutboxBytes;
    this.inspect = opts.inspect;
    // the store's batch is written at the end of the turn, and what it delivers is written to the sockets right
    // after it, in the same turn (one write per socket per turn still)
    this.keeper = opts.store ? new HistoryKeeper(opts.store, opts.retention, this.log, undefined, (fn) => { setImmediate(() => { fn(); flushOutboxesNow(); }); }) : undefined;
    const events: HubEvents = {
      joined: (name) => this.log.info({ name, online: this.hub.size }, 'joined'),
      left: (name, reason) => this.log.info({ name, reason, online: this.hub.size }, 'left'),
    };
    this.hub = opts.cluster
      ? new ClusterHub({ ...opts.cluster, clock: this.clock, log: this.log, historySize: opts.historyReplay ?? LIMITS.history, events })
      : new Hub(opts.historyReplay ?? LIMITS.history, events, this.keeper?.log, { clock: this.clock });
    if (opts.store) this.accounts = new Accounts(opts.store, this.keeper?.log, { now: () => this.clock.now(), cost: opts.scryptCost });
    this.catalogue = new Catalogue(opts.filesDir);
    this.transfers = new TransfersHost(this.catalogue, { inspect: opts.inspect, clock: this.clock, ...opts.transfers }, this.log);
    this.clusterFiles = opts.cluster
      ? new ClusterFiles({ nc: opts.cluster.nc, node: opts.cluster.node, prefix: opts.cluster.prefix, catalogue: this.catalogue, transfers: this.transfers, clock: this.clock, log: this.log, timing: opts.cluster.timing })
      : null;
    this.secureContext = opts.tls ? tls.createSecureContext({ cert: opts.tls.cert, key: opts.tls.key, minVersion: 'TLSv1.3' }) : null;
    this.server = net.createServer({ noDelay: true }, (s) => this.accept(s));
    this.server.maxConnections = opts.maxConnections;
  }

  async start(): Promise<void> {
    if (this.hub instanceof ClusterHub) await this.hub.start();
    else await this.hub.load();
    await this.transfers.start();
    await this.clusterFiles?.start();
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host: this.opts.host, port: this.opts.port, backlog: 4096 }, () => { this.server.off('error', reject); resolve(); });
    });
    this.server.on('error', (e) => this.log.error({ err: e.message }, 'listener error'));
    // one timer for every session: keepalive every tickMs, and the hello deadline of connections still in their
    // handshake checked more often (a quarter of the deadline, at most a second)
    const handshakeEvery = Math.max(20, Math.min(1000, this.cfg.helloTimeoutMs / 4, this.opts.tickMs));
    let sinceKeepalive = 0;
    this.stopTick = every(this.clock, handshakeEvery, () => {
      const now = this.clock.now();
      sinceKeepalive += handshakeEvery;
      const all = sinceKeepalive >= this.opts.tickMs;
      if (all) sinceKeepalive = 0;
      for (const c of this.conns) {
        const state = c.actor.getSnapshot().value;
        if (all || state === 'handshake' || state === 'authenticating' || state === 'claiming') c.actor.send({ type: 'tick', now });
      }
    });
    this.keeper?.start();
    this.log.info({ host: this.opts.host, port: this.port, files: this.catalogue.root, udp: this.opts.transfers.ports.join('-'), ...(this.opts.transfers.advertisePorts ? { advertised: this.opts.transfers.advertisePorts.join('-') } : {}), cc: this.opts.transfers.cc, chunk: this.opts.transfers.chunk, tls: this.opts.tls ? 'TLSv1.3' : 'off', ...(this.opts.tls?.fingerprint ? { fingerprint: this.opts.tls.fingerprint } : {}) }, 'listening');
  }

  get port(): number { const a = this.server.address(); return typeof a === 'object' && a ? a.port : this.opts.port; }
  get connections(): number { return this.conns.size; }
  /** The open connections, read (never changed) by the dashboard's sampler. */
  get sessions(): ReadonlySet<Connection> { return this.conns; }

  private accept(socket: net.Socket): void {
    const addr = socket.remoteAddress ?? '?';
    const count = (this.perAddress.get(addr) ?? 0) + 1;
    if (this.opts.maxPerAddress > 0 && count > this.opts.maxPerAddress) {
      this.log.warn({ remote: addr, limit: this.opts.maxPerAddress }, 'refused: too many connections from one address');
      const refuse = (s: net.Socket) => {
        s.on('error', () => {});
        s.end(encodeFrame({ type: 'error', code: 'too-many-connections', message: `at most ${this.opts.maxPerAddress} connections from one address` }));
        this.clock.setTimeout(() => { s.destroy(); socket.destroy(); }, TIMING.refusalGraceMs);
      };
      const ctx = this.secureContext;
      if (!ctx) { refuse(socket); return; }
      // under TLS the refusal is said inside TLS, where the client reads it (a plain peer gets it plain)
      sniffTls(socket, this.clock, TIMING.refusalGraceMs, (isTls) => {
        if (!isTls) { refuse(socket); socket.resume(); return; }
        const t = new tls.TLSSocket(socket, { isServer: true, secureContext: ctx });
        refuse(t);
        t.resume();
      });
      return;
    }
    this.perAddress.set(addr, count);
    this.sniffing.add(socket);
    // 'close' comes once: `on`, since `once` costs a bound wrapper and its state per connection
    socket.on('close', () => {
      this.sniffing.delete(socket);
      const n = (this.perAddress.get(addr) ?? 1) - 1;
      if (n <= 0) this.perAddress.delete(addr); else this.perAddress.set(addr, n);
      if (!this.conns.size) this.allClosed?.();
    });
    // the first byte says whether the peer speaks TLS; a peer that speaks the other way is told so in its own terms
    sniffTls(socket, this.clock, this.cfg.helloTimeoutMs, (isTls) => {
      this.sniffing.delete(socket);
      if (isTls && !this.secureContext) { this.refuseRaw(socket, 'tls-not-enabled', 'this server runs without TLS (--no-tls): connect with --no-tls'); return; }
      if (!isTls && this.secureContext) { this.refuseRaw(socket, 'tls-required', 'this server speaks TLS 1.3 only: connect without --no-tls (by hand: openssl s_client -connect HOST:PORT -quiet)'); return; }
      this.open(this.secureContext ? this.wrap(socket, this.secureContext) : socket);
    });
  }

  /** The server side of TLS over an accepted socket: the handshake runs as the session starts reading. */
  private wrap(socket: net.Socket, secureContext: tls.SecureContext): tls.TLSSocket {
    const t = new tls.TLSSocket(socket, { isServer: true, secureContext });
    const remote = `${socket.remoteAddress}:${socket.remotePort}`;
    let secured = false, why: string | undefined;
    t.once('secure', () => { secured = true; });
    // a standalone server-side TLSSocket reports handshake errors as '_tlsError' (tls.Server's tlsClientError)
    t.once('_tlsError', (e: NodeJS.ErrnoException) => { why = e.code ?? e.message; });
    t.once('close', () => { if (!secured) this.log.info({ remote, err: why }, 'TLS handshake failed'); });
    socket.once('close', () => t.destroy());
    return t;
  }

  private open(socket: net.Socket | tls.TLSSocket): void {
    const conn = new Connection(socket, this);
    this.conns.add(conn);
    this.log.info({ conn: conn.id, remote: conn.remote, tls: conn.tlsSocket ? 'TLSv1.3' : undefined }, 'connect');
    socket.on('close', () => {
      this.conns.delete(conn);
      if (!this.conns.size) this.allClosed?.();
    });
    socket.resume();
  }

  /** One plain error line to a peer that speaks the other way (TLS or not), then the close. */
  private refuseRaw(socket: net.Socket, code: 'tls-required' | 'tls-not-enabled', message: string): void {
    this.log.info({ remote: `${socket.remoteAddress}:${socket.remotePort}`, code }, 'refused');
    socket.end(encodeFrame({ type: 'error', code, message, re: 'hello' }));
    this.clock.setTimeout(() => socket.destroy(), TIMING.refusalGraceMs);
  }

  // ---- ConnectionHost
  refused(conn: Connection, code: string, message: string): void {
    this.log.info({ conn: conn.id, remote: conn.remote, name: conn.name ?? undefined, code, message }, 'refused');
  }

  listFiles(conn: Connection): void {
    (this.clusterFiles ? this.clusterFiles.list() : this.catalogue.list()).then(
      (files) => conn.send({ type: 'files', files }),
      () => conn.send({ type: 'error', code: 'io-error', message: 'cannot read the shared folder', re: 'files' }),
    );
  }

  transfer(conn: Connection, frame: Extract<ClientFrame, { type: 'get' | 'consent' | 'stop' }>, name: string): void {
    if (this.clusterFiles) this.clusterFiles.handle(conn, frame, name);
    else this.transfers.handle(conn, frame, name);
  }

  ended(conn: Connection, name: string | null, reason: string): void {
    this.log.info({ conn: conn.id, remote: conn.remote, name, reason }, 'disconnect');
    if (name) { this.transfers.sessionEnded(conn, reason); this.clusterFiles?.sessionEnded(conn, reason); }
  }

  /** Tells every client, closes every connection and transfer, stops listening. */
  async stop(reason = 'server-shutdown'): Promise<void> {
    this.stopTick?.();
    this.stopTick = null;
    this.server.close();
    for (const s of this.sniffing) s.destroy();
    for (const c of this.conns) c.actor.send({ type: 'shutdown', reason });
    await this.clusterFiles?.stop();
    await this.transfers.stop();
    // each client has a grace period to read its bye and close; those that do not are cut off
    if (this.conns.size) {
      await new Promise<void>((resolve) => {
        const t = this.clock.setTimeout(() => { this.allClosed = null; resolve(); }, TIMING.shutdownGraceMs);
        this.allClosed = () => { this.allClosed = null; this.clock.clearTimeout(t); resolve(); };
      });
    }
    for (const c of this.conns) c.socket.destroy();
    for (const s of this.sniffing) s.destroy();
    if (this.hub instanceof ClusterHub) await this.hub.stop();
    await this.keeper?.stop();
  }
}
