// The IRC listener (`--irc-port`): a TCP listener beside the main one, TLS 1.3 with the server's identity unless
// the server runs with --no-tls, one IRC session actor per connection, all of them members of the server's one hub.
// One timer drives registration deadlines, held lines and keepalive for every IRC connection.
import net from 'node:net';
import tls from 'node:tls';
import type { InspectionEvent } from 'xstate';
import { DEFAULT_IRC_CONFIG, type IrcConfig } from '../../machines/irc/irc-session.machine.js';
import { FILES_NICK, sameNick, type PersonInfo } from '../../machines/irc/replies.js';
import type { DccRequest } from '../../machines/irc/ctcp.js';
import { nameKey } from '../../machines/nickname.js';
import type { SessionConfig } from '../../machines/session.machine.js';
import { TIMING } from '../../machines/timing.js';
import type { Accounts } from '../accounts.js';
import type { Catalogue } from '../catalogue.js';
import { every, type Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { PortPool } from '../port-pool.js';
import { sniffTls } from '../tls/sniff.js';
import { DccSender } from './dcc.js';
import { IrcConnection, type IrcConnectionHost } from './irc-connection.js';

/** The parts of the messenger server the listener shares (MessengerServer has them all). */
export interface IrcServerParts {
  readonly hub: IrcConnectionHost['hub'];
  readonly accounts?: Accounts;
  readonly catalogue: Catalogue;
  readonly transfers: { readonly pool: PortPool };
  readonly cfg: SessionConfig;
  readonly clock: Clock;
  readonly maxOutboxBytes: number;
  readonly inspect?: (id: string) => ((ev: InspectionEvent) => void) | undefined;
}

export interface IrcListenerOptions {
  host: string;
  port: number;
  /** TLS 1.3 with this identity (the main listener's); absent: plain IRC (--no-tls). */
  tls?: { cert: string; key: string };
  log: Logger;
  /** Overrides of the IRC session's settings (tests shorten the deadlines). */
  irc?: Partial<IrcConfig>;
  /** Connections from one address at once (0: no limit). */
  maxPerAddress?: number;
  /** The keepalive tick for registered connections (default TIMING.sessionTickMs). */
  tickMs?: number;
  dcc?: { offerTimeoutMs?: number; silentMs?: number };
  /** Connections at once (default 15000, as the main listener). */
  maxConnections?: number;
}

export class IrcListener implements IrcConnectionHost {
  readonly cfg: IrcConfig;
  readonly dcc: DccSender;
  private readonly server: net.Server;
  private readonly conns = new Set<IrcConnection>();
  /** IRC users online through this listener, by name key (for WHO and WHOIS details). */
  private readonly users = new Map<string, IrcConnection>();
  private readonly sniffing = new Set<net.Socket>();
  private readonly perAddress = new Map<string, number>();
  private readonly secureContext: tls.SecureContext | null;
  private stopTick: (() => void) | null = null;
  private readonly log: Logger;

  constructor(private readonly parts: IrcServerParts, private readonly opts: IrcListenerOptions) {
    this.log = opts.log;
    const s = parts.cfg;
    this.cfg = {
      ...DEFAULT_IRC_CONFIG,
      pingEveryMs: s.pingEveryMs, idleMs: s.limits.idleMs, registration: s.registration, allowInsecureAuth: s.allowInsecureAuth,
      createdAt: Math.floor(parts.clock.now()),
      ...opts.irc,
    };
    this.secureContext = opts.tls ? tls.createSecureContext({ cert: opts.tls.cert, key: opts.tls.key, minVersion: 'TLSv1.3' }) : null;
    this.dcc = new DccSender(parts.catalogue, parts.transfers.pool, parts.clock, opts.log, { host: opts.host, ...opts.dcc });
    this.server = net.createServer({ noDelay: true }, (sock) => this.accept(sock));
    this.server.maxConnections = opts.maxConnections ?? 15000;
  }

  get clock(): Clock { return this.parts.clock; }
  get hub(): IrcConnectionHost['hub'] { return this.parts.hub; }
  get accounts(): Accounts | undefined { return this.parts.accounts; }
  get maxOutboxBytes(): number { return this.parts.maxOutboxBytes; }
  get inspect(): IrcServerParts['inspect'] { return this.parts.inspect; }
  get port(): number { const a = this.server.address(); return typeof a === 'object' && a ? a.port : this.opts.port; }
  get connections(): number { return this.conns.size; }

  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host: this.opts.host, port: this.opts.port, backlog: 1024 }, () => { this.server.off('error', reject); resolve(); });
    });
    this.server.on('error', (e) => this.log.error({ err: e.message }, 'IRC listener error'));
    const fast = TIMING.ircFastTickMs;
    const slowEvery = Math.max(1, Math.round((this.opts.tickMs ?? TIMING.sessionTickMs) / fast));
    let n = 0;
    this.stopTick = every(this.clock, fast, () => {
      const now = this.clock.now();
      const all = ++n % slowEvery === 0;
      for (const c of this.conns) {
        const snap = c.actor.getSnapshot();
        if (all || snap.value !== 'registered' || snap.context.held.length > 0) c.event({ type: 'tick', now });
      }
    });
    this.log.info({ host: this.opts.host, ircPort: this.port, tls: this.secureContext ? 'TLSv1.3' : 'off' }, 'IRC listening');
  }

  private accept(socket: net.Socket): void {
    const addr = socket.remoteAddress ?? '?';
    const count = (this.perAddress.get(addr) ?? 0) + 1;
    const max = this.opts.maxPerAddress ?? 0;
    if (max > 0 && count > max) {
      socket.on('error', () => {});
      socket.end(`ERROR :Closing Link: ${addr} (Too many connections from your address)\r\n`);
      this.clock.setTimeout(() => socket.destroy(), TIMING.refusalGraceMs);
      return;
    }
    this.perAddress.set(addr, count);
    this.sniffing.add(socket);
    socket.once('close', () => {
      this.sniffing.delete(socket);
      const left = (this.perAddress.get(addr) ?? 1) - 1;
      if (left <= 0) this.perAddress.delete(addr); else this.perAddress.set(addr, left);
    });
    sniffTls(socket, this.clock, this.cfg.registrationTimeoutMs, (isTls) => {
      this.sniffing.delete(socket);
      if (isTls && !this.secureContext) { this.refuseRaw(socket, 'this IRC listener runs without TLS: connect without TLS'); return; }
      if (!isTls && this.secureContext) { this.refuseRaw(socket, 'this IRC listener speaks TLS only: connect with TLS (irssi: -tls, WeeChat: tls on)'); return; }
      const s = this.secureContext ? this.wrap(socket, this.secureContext) : socket;
      const conn = new IrcConnection(s, this);
      this.conns.add(conn);
      this.log.info({ irc: conn.id, remote: `${socket.remoteAddress}:${socket.remotePort}`, tls: this.secureContext ? 'TLSv1.3' : undefined }, 'IRC connect');
      s.once('close', () => this.conns.delete(conn));
      s.resume();
    });
  }

  private wrap(socket: net.Socket, secureContext: tls.SecureContext): tls.TLSSocket {
    const t = new tls.TLSSocket(socket, { isServer: true, secureContext });
    t.on('error', () => {});
    socket.once('close', () => t.destroy());
    return t;
  }

  /** A peer that speaks the other way (TLS or not) gets one ERROR line in plain text, then the close. */
  private refuseRaw(socket: net.Socket, why: string): void {
    socket.end(`ERROR :Closing Link: ${socket.remoteAddress ?? '?'} (${why})\r\n`);
    this.clock.setTimeout(() => socket.destroy(), TIMING.refusalGraceMs);
  }

  // ---- IrcConnectionHost
  person(name: string): PersonInfo | null {
    if (sameNick(name, FILES_NICK)) return { nick: FILES_NICK, user: FILES_NICK, realname: 'the file service: /msg files help', away: null, account: false };
    const n = name.normalize('NFC');
    if (!this.hub.isTaken(n)) return null;
    const key = nameKey(n);
    const exact = this.hub.names().find((x) => nameKey(x) === key) ?? n;
    const account = this.accounts?.isRegistered(exact) ?? false;
    const local = this.users.get(key);
    const c = local?.actor.getSnapshot().context;
    if (c && c.name !== null && nameKey(c.name) === key) {
      return { nick: exact, user: exact, realname: c.realname || exact, away: c.away, account };
    }
    return { nick: exact, user: exact, realname: 'messenger client', away: null, account };
  }

  listFiles(conn: IrcConnection): void {
    this.parts.catalogue.list().then(
      (files) => conn.event({ type: 'files.listed', files }),
      () => conn.event({ type: 'files.failed', message: 'cannot read the shared folder' }),
    );
  }

  offerFile(conn: IrcConnection, file: string, passive: boolean): void {
    this.log.info({ name: conn.nick, file, passive }, 'dcc offer asked');
    void this.dcc.offer(conn, file, passive);
  }

  dccRequest(conn: IrcConnection, req: DccRequest): void { this.dcc.request(conn, req); }

  faulted(conn: IrcConnection, err: unknown): void {
    this.log.error({ irc: conn.id, remote: conn.peer, err: String(err) }, 'IRC session failed');
    this.ended(conn, conn.actor.getSnapshot().context.name, 'internal');
  }

  registered(conn: IrcConnection, name: string): void { this.users.set(nameKey(name), conn); }

  ended(conn: IrcConnection, name: string | null, reason: string): void {
    this.log.info({ irc: conn.id, remote: conn.peer, name, reason }, 'IRC disconnect');
    for (const [k, c] of this.users) if (c === conn) this.users.delete(k);
    this.dcc.peerGone(conn);
  }

  /** Tells every IRC client, closes every connection and DCC send, stops listening. */
  async stop(): Promise<void> {
    this.stopTick?.();
    this.stopTick = null;
    this.server.close();
    for (const s of this.sniffing) s.destroy();
    for (const c of this.conns) c.event({ type: 'shutdown', reason: 'server-shutdown' });
    this.dcc.stop();
    const deadline = this.clock.now() + TIMING.shutdownGraceMs;
    while (this.conns.size && this.clock.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const c of this.conns) c.socket.destroy();
  }
}
