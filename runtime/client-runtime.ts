// The client runtime: one TCP connection driven by the client machine, the downloads it runs, and one stream of
// ClientEvents. The line-mode client prints those events; the full-screen client draws them. No view logic here.
// Given several servers, it connects to the one the machine names for each attempt; a connection that falls silent
// (nothing heard for TIMING.serverSilentMs, a ping sent on the way) is closed here and counts as lost.
import { EventEmitter } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { createActor, type Actor, type InspectionEvent } from 'xstate';
import { clientMachine, type ClientPort, type ClientTiming } from '../machines/client.machine.js';
import { systemClock, type Clock } from './clock.js';
import type { ClientEvent } from '../machines/client-events.js';
import { parseCommand, HELP_TEXT, type Command } from '../machines/commands.js';
import type { ErrorCode } from '../machines/errors.js';
import { decodeServerFrame, encodeFrame } from '../machines/frame-codec.js';
import type { ClientFrame, ServerFrame } from '../machines/frames.js';
import { LIMITS } from '../machines/limits.js';
import { TIMING } from '../machines/timing.js';
import { Roster } from '../machines/roster.js';
import { Downloads, type DownloadsOptions } from './downloads.js';
import { LineSplitter } from './line-splitter.js';
import { KnownHosts, messengerHome } from './tls/known-hosts.js';
import { judgeServer, type TrustOptions } from './tls/server-identity.js';
import { fullBucket, hasToken, spend, type Bucket, type BucketConfig } from '../machines/token-bucket.js';

/** Chat frames the client paces to the server's advertised rate, so that a fast script loses nothing. */
const PACED = new Set<ClientFrame['type']>(['say', 'tell', 'who', 'files']);
/** Lines waiting for their turn at most; past it the user is told to slow down. */
const MAX_PACED = LIMITS.clientQueuedLines;

/** TLS on the client: whom to trust (see tls/server-identity.ts); `ca`: more CAs than the system's (tests). */
export interface ClientTlsOptions extends TrustOptions { ca?: string }

/** A socket the runtime gave up on (before the session began): the code and message the user was given. */
type Given = { code: ErrorCode; message: string };

/** The server's answer to a /who or a /files. */
export type Reply = Extract<ClientEvent, { type: 'online' | 'files' | 'history' }>;

/** What run() did that a view may want to show (the events say the rest). */
export interface Ran {
  /** The download whose halfway question this /yes or /no answered. */
  answered?: { id: number; answer: 'yes' | 'no' };
  /** For /who and /files: the answer once it has come, or null when the connection went first. */
  reply?: Promise<Reply | null>;
}

export interface Keepalive { pingAfterMs: number; silentMs: number; tickMs: number }

/** One server a client may connect to. */
export interface ServerAddress { host: string; port: number }

export interface ClientOptions {
  host: string;
  port: number;
  /** Several servers (`--host A,B`), tried in turn when the connection is lost; default: just host:port. */
  servers?: ServerAddress[];
  /** Reconnect attempts in a row before giving up (default: LIMITS.reconnectRounds rounds over several servers,
   *  unbounded with one). */
  reconnectTries?: number;
  name: string;
  downloadsDir: string;
  /** Answer every halfway question with yes at once (the consent event still appears). */
  yes: boolean;
  /** Reconnect with backoff when the connection is lost after having been online. */
  reconnect: boolean;
  /** After a server's shutdown bye, keep trying to reconnect (the full-screen client) instead of ending (scripts). */
  retryAfterShutdown?: boolean;
  /** Handshake deadline, close grace and reconnect backoff (defaults in machines/timing.ts). */
  timing?: Partial<ClientTiming>;
  /** The keepalive: ping a server silent `pingAfterMs`, count the connection lost after `silentMs`, checked every
   *  `tickMs` (defaults TIMING.clientPingAfterMs, serverSilentMs, clientKeepaliveTickMs). */
  keepalive?: Partial<Keepalive>;
  /** Where time comes from (tests move a WarpClock by hand). */
  clock?: Clock;
  download?: Partial<DownloadsOptions>;
  /** The password to log in with (--password-file or MESSENGER_PASSWORD), sent in every hello. */
  password?: string;
  /** Where /register and /password read a password when the view gives none (the file again, or the environment). */
  readPassword?: () => string | null;
  /** Per actor id, where its transitions go (--inspect). */
  inspect?: (id: string) => ((ev: InspectionEvent) => void) | undefined;
  /** TLS 1.3 (the default: known_hosts in $MESSENGER_HOME); false: plain NDJSON (--no-tls). */
  tls?: ClientTlsOptions | false;
}

export class ClientRuntime extends EventEmitter<{ event: [ClientEvent] }> implements ClientPort {
  private socket: net.Socket | tls.TLSSocket | null = null;
  private readonly tlsOptions: ClientTlsOptions | null;
  readonly actor: Actor<typeof clientMachine>;
  readonly downloads: Downloads;
  private closedPromise: Promise<string>;
  private resolveClosed!: (reason: string) => void;
  private serverLimits: Extract<ServerFrame, { type: 'welcome' }>['limits'] | null = null;
  /** The server accepted our hello on the current socket. */
  private welcomed = false;
  private pace: { bucket: Bucket; cfg: BucketConfig } | null = null;
  private paced: ClientFrame[] = [];
  private paceTimer: unknown = null;
  readonly clock: Clock;
  /** Answers still due for /who and /files, oldest first, each with who waits for it: end of input waits for them. */
  private awaiting: Array<{ type: Reply['type']; reply: (r: Reply | null) => void }> = [];
  private settleWaiters: Array<() => void> = [];
  /** Server time of the newest message to all seen: history after a reconnect starts past it. */
  private lastMessageTs = -Infinity;
  /** Who is online (from the welcome and presence): a coalesced `presence` frame becomes one event per person. */
  private readonly roster = new Roster();
  private started = false;
  /** The id of the oldest message to all received as history: /history asks for the ones before it. */
  private oldestId: number | undefined;
  /** The password the next hello carries: the one given, then the one registered or changed to. */
  private password: string | undefined;
  /** The password of a /register or /password sent and not yet answered. */
  private pendingPassword: string | undefined;
  /** The servers, and the one the current connection goes to. */
  readonly servers: ServerAddress[];
  private current = 0;
  /** When something was last heard on the current connection, and whether a ping went out since. */
  private lastHeard = 0;
  private pinged = false;
  private keepaliveTimer: unknown = null;
  private readonly keepalive: Keepalive;

  constructor(readonly opts: ClientOptions) {
    super();
    this.clock = opts.clock ?? systemClock;
    this.password = opts.password;
    this.closedPromise = new Promise((r) => { this.resolveClosed = r; });
    this.tlsOptions = opts.tls === false ? null : opts.tls ?? { knownHosts: KnownHosts.in(messengerHome()) };
    this.servers = opts.servers?.length ? opts.servers.map((s) => ({ ...s })) : [{ host: opts.host, port: opts.port }];
    const n = this.servers.length;
    this.keepalive = { pingAfterMs: TIMING.clientPingAfterMs, silentMs: TIMING.serverSilentMs, tickMs: TIMING.clientKeepaliveTickMs, ...opts.keepalive };
    this.downloads = new Downloads(
      { host: opts.host, dir: opts.downloadsDir, yes: opts.yes, inspect: opts.inspect, clock: this.clock, ...opts.download },
      {
        send: (f) => this.sendFrame(f),
        emit: (e) => this.emitEvent(e),
        serverAddress: () => this.socket?.remoteAddress ?? this.servers[this.current]!.host,
        tlsSocket: () => this.tlsSocket,
        userName: () => this.name,
      },
    );
    this.actor = createActor(clientMachine, {
      id: 'client',
      input: {
        port: this, name: opts.name, reconnect: opts.reconnect, timing: opts.timing, retryAfterShutdown: opts.retryAfterShutdown,
        // with one server, as before several could be given: unbounded, no jitter; with several, bounded, jittered
        servers: n, maxAttempts: opts.reconnectTries ?? (n > 1 ? LIMITS.reconnectRounds * n : Infinity), ...(n > 1 ? { random: Math.random } : {}),
      },
      clock: this.clock,
      inspect: opts.inspect?.('client'),
    });
  }

  get state(): string { return String(this.actor.getSnapshot().value); }
  get name(): string { return this.actor.getSnapshot().context.name; }
  get isOnline(): boolean { return this.welcomed; }
  get limits() { return this.serverLimits; }
  /** The TLS session of the current connection (for keys exported from it), or null (none, or --no-tls). */
  get tlsSocket(): tls.TLSSocket | null { return this.socket instanceof tls.TLSSocket ? this.socket : null; }
  get secure(): boolean { return this.tlsOptions !== null; }
  /** HOST:PORT of the server the current (or last) connection went to. */
  get server(): string { return where(this.servers[this.current]!); }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.actor.start();
    this.actor.send({ type: 'connect' });
  }

  /** Resolves with the reason once the client has closed for good. */
  whenClosed(): Promise<string> { return this.closedPromise; }

  // ---- commands
  command(line: string): void { this.run(parseCommand(line)); }

  /** Carries out a command: the one place that does (line mode and the full-screen client both come here). */
  run(cmd: Command): Ran {
    switch (cmd.kind) {
      case 'empty': return {};
      case 'invalid': this.emitEvent({ type: 'error', code: 'bad-command', message: cmd.message }); return {};
      case 'help': this.emitEvent({ type: 'help', text: HELP_TEXT }); return {};
      case 'quit': void this.quit(); return {};
      case 'all': this.sendFrame({ type: 'say', text: cmd.text }); return {};
      case 'msg': this.sendFrame({ type: 'tell', to: cmd.to, text: cmd.text }); return {};
      case 'who': return { reply: this.ask({ type: 'who' }, 'online') };
      case 'files': return { reply: this.ask({ type: 'files' }, 'files') };
      case 'get': this.downloads.request(cmd.file); return {};
      case 'yes': case 'no': {
        const id = this.downloads.answer(cmd.kind, cmd.id);
        return id === null ? {} : { answered: { id, answer: cmd.kind } };
      }
      case 'history': {
        const f: ClientFrame = { type: 'history', limit: Math.min(cmd.count ?? LIMITS.historyPageDefault, LIMITS.historyPageMax) };
        if (this.oldestId !== undefined) f.before = this.oldestId;
        return { reply: this.ask(f, 'history') };
      }
      case 'stop': this.downloads.stop(cmd.id); return {};
      case 'register': case 'password': this.account(cmd.kind, cmd.password); return {};
    }
  }

  /** Sends a question and waits for its answer (null when it was not sent, or the connection went first). */
  private ask(frame: ClientFrame, type: Reply['type']): Promise<Reply | null> {
    return new Promise((reply) => {
      if (this.sendFrame(frame)) this.awaiting.push({ type, reply });
      else reply(null);
    });
  }

  /** Another nickname after a refusal. */
  rename(name: string): void { this.actor.send({ type: 'rename', name }); }

  /** Resolves when every /who and /files sent has its answer (or after `ms`, or when the connection is gone). */
  settled(ms = 5000): Promise<void> {
    if ((!this.awaiting.length && !this.paced.length) || !this.socket) return Promise.resolve();
    ms += (this.paced.length / (this.pace?.cfg.ratePerSec ?? LIMITS.ratePerSec)) * 1000;
    return new Promise((resolve) => {
      const t = this.clock.setTimeout(resolve, ms);
      this.settleWaiters.push(() => { this.clock.clearTimeout(t); resolve(); });
    });
  }

  /** /register and /password: the password from the view (a dialog), else from the runtime's source. */
  private account(kind: 'register' | 'password', given: string | undefined): void {
    let pw: string | null = given ?? null;
    if (pw === null) {
      try { pw = this.opts.readPassword?.() ?? null; } catch (e) {
        this.emitEvent({ type: 'error', code: 'bad-password', message: (e as Error).message });
        return;
      }
    }
    if (!pw) {
      this.emitEvent({ type: 'error', code: 'bad-password', message: `/${kind} needs a password: give --password-file FILE or MESSENGER_PASSWORD (the full-screen client asks for it)` });
      return;
    }
    if (kind === 'password') {
      if (this.password === undefined) {
        this.emitEvent({ type: 'error', code: 'not-registered', message: 'you logged in without a password: /register first' });
        return;
      }
      if (pw === this.password) {
        this.emitEvent({ type: 'error', code: 'bad-password', message: 'the new password is the one in use: put the new one in the password file (or the dialog) first' });
        return;
      }
      if (this.sendFrame({ type: 'password', old: this.password, new: pw })) this.pendingPassword = pw;
      return;
    }
    if (this.sendFrame({ type: 'register', password: pw })) this.pendingPassword = pw;
  }

  /** The oldest answer due of that type came (`reply`, or null for a refusal); 'all': every one is lost. */
  private answered(kind: Reply['type'] | 'all' | 'none', reply: Reply | null = null): void {
    if (kind === 'all') for (const a of this.awaiting.splice(0)) a.reply(null);
    else if (kind !== 'none') { const i = this.awaiting.findIndex((a) => a.type === kind); if (i >= 0) this.awaiting.splice(i, 1)[0]!.reply(reply); }
    if (!this.awaiting.length && !this.paced.length) for (const w of this.settleWaiters.splice(0)) w();
  }

  quit(): Promise<string> {
    this.downloads.shutdown();
    // before start() the actor is not running and would keep the quit in its mailbox (the promise never settled):
    // start it, still `disconnected`, so that the quit closes it now
    if (!this.started) { this.started = true; this.actor.start(); }
    this.actor.send({ type: 'quit' });
    return this.closedPromise;
  }

  sendFrame(frame: ClientFrame): boolean {
    if (!this.socket || !this.welcomed && frame.type !== 'hello' && frame.type !== 'bye') {
      // nothing is queued while the client reconnects: what was typed is refused, and says so
      const away = this.actor.getSnapshot().context.everOnline && this.state !== 'closed';
      if (frame.type !== 'bye' && frame.type !== 'pong' && frame.type !== 'ping') {
        this.emitEvent({ type: 'error', code: 'not-connected', message: away ? `not sent: the connection to the server is lost; reconnecting (${this.server})` : 'not connected to the server' });
      }
      return false;
    }
    if (this.pace && PACED.has(frame.type) && (this.paced.length || !this.takeToken())) {
      if (this.paced.length >= MAX_PACED) {
        this.emitEvent({ type: 'error', code: 'rate-limited', message: `${MAX_PACED} lines are already waiting to be sent (the server takes ${this.serverLimits?.ratePerSec} a second): slow down` });
        return false;
      }
      this.paced.push(frame);
      this.armPace();
      return true;
    }
    this.socket.write(encodeFrame(frame));
    return true;
  }

  private takeToken(): boolean {
    const p = this.pace!;
    const now = this.clock.now();
    if (!hasToken(p.bucket, p.cfg, now)) return false;
    p.bucket = spend(p.bucket, p.cfg, now);
    return true;
  }

  private armPace(): void {
    if (this.paceTimer || !this.pace) return;
    this.paceTimer = this.clock.setTimeout(() => {
      this.paceTimer = null;
      while (this.paced.length && this.socket && this.takeToken()) this.socket.write(encodeFrame(this.paced.shift()!));
      if (this.paced.length) this.armPace();
      else this.answered('none');
    }, Math.ceil(1000 / this.pace.cfg.ratePerSec));
  }

  private dropPaced(): void {
    if (this.paceTimer) { this.clock.clearTimeout(this.paceTimer); this.paceTimer = null; }
    if (this.paced.length) this.emitEvent({ type: 'error', code: 'not-connected', message: `${this.paced.length} lines were not sent: the connection was lost` });
    this.paced = [];
  }

  private emitEvent(ev: ClientEvent): void { this.emit('event', ev); }

  /** An answer to /who or /files: every view sees the event, and the one who asked gets it as the reply. */
  private reply(ev: Reply): void {
    this.emitEvent(ev);
    this.answered(ev.type, ev);
  }

  // ---- keepalive: the server pings a client it has not heard for a while; the client, in turn, pings a server it
  // has not heard from, and counts the connection lost when even that gets no answer (a host gone without a FIN)
  private armKeepalive(): void {
    if (this.keepaliveTimer) return;
    this.keepaliveTimer = this.clock.setTimeout(() => {
      this.keepaliveTimer = null;
      const s = this.socket;
      if (!s || !this.welcomed) return;
      const silent = this.clock.now() - this.lastHeard;
      if (silent >= this.keepalive.silentMs) {
        this.lostKeepalive = `keepalive lost: nothing heard from ${this.server} for ${Math.round(silent / 1000)}s`;
        s.destroy();
        return;
      }
      if (silent >= this.keepalive.pingAfterMs && !this.pinged) { this.pinged = true; this.send({ type: 'ping' }); }
      this.armKeepalive();
    }, this.keepalive.tickMs);
  }

  private stopKeepalive(): void {
    if (this.keepaliveTimer) { this.clock.clearTimeout(this.keepaliveTimer); this.keepaliveTimer = null; }
  }

  /** Set when the keepalive closed the socket: the reason the connection was lost. */
  private lostKeepalive: string | null = null;

  // ---- ClientPort (called by the machine)
  open(server: number): void {
    this.current = server % this.servers.length;
    const { host, port } = this.servers[this.current]!;
    const where = `${host}:${port}`;
    this.lostKeepalive = null;
    const t = this.tlsOptions;
    const s: net.Socket | tls.TLSSocket = t
      ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host, minVersion: 'TLSv1.3', rejectUnauthorized: false, ...(t.ca ? { ca: [...tls.rootCertificates, t.ca] } : {}) })
      : net.connect({ host, port, noDelay: true });
    s.setNoDelay(true);
    this.socket = s;
    let given: Given | null = null, lastError: string | undefined, secured = false;
    const giveUp = (g: Given) => {
      if (given) return;
      given = g;
      this.emitEvent({ type: 'error', code: g.code, message: g.message });
      s.destroy();
    };
    const splitter = new LineSplitter(LIMITS.maxServerLine, {
      line: (bytes) => this.onLine(bytes),
      tooLong: () => this.emitEvent({ type: 'error', code: 'line-too-long', message: 'the server sent an overlong line' }),
    });
    if (!t) s.on('connect', () => { if (this.socket === s) this.actor.send({ type: 'socket.open' }); });
    if (t) {
      // the handshake has a deadline of its own: a server that never answers it (not TLS, not messenger) is no hang
      const deadline = this.clock.setTimeout(() => giveUp({
        code: 'tls-handshake-failed', message: `no TLS handshake from ${where} within ${Math.round(this.actor.getSnapshot().context.timing.handshakeTimeoutMs / 1000)}s: is it a messenger server with TLS? (a server started with --no-tls needs --no-tls here too)`,
      }), this.actor.getSnapshot().context.timing.handshakeTimeoutMs);
      s.on('close', () => this.clock.clearTimeout(deadline));
      s.on('secureConnect', () => {
        this.clock.clearTimeout(deadline);
        secured = true;
        if (this.socket !== s) return;
        const v = judgeServer(s as tls.TLSSocket, where, t);
        if (!v.ok) { giveUp({ code: 'server-identity-changed', message: v.message }); return; }
        if (v.how === 'first-use' || v.how === 'trust') {
          const text = v.how === 'first-use'
            ? `first connection to ${where}: trusting its certificate, SHA-256 fingerprint ${v.fingerprint}${v.note ? ` (${v.note})` : ` (remembered in ${t.knownHosts?.file})`}`
            : `trusting ${where} by --trust ${v.fingerprint}${v.note ? ` (${v.note})` : ''}`;
          this.emitEvent({ type: 'trusted', server: where, fingerprint: v.fingerprint, how: v.how, text });
        }
        this.actor.send({ type: 'socket.open' });
      });
    }
    s.on('data', (d: Buffer) => {
      if (this.socket !== s) return;
      this.lastHeard = this.clock.now();
      this.pinged = false;
      splitter.push(d);
    });
    s.on('error', (e: NodeJS.ErrnoException) => {
      lastError = e.code ?? e.message;
      // an error during the handshake (not reaching the host at all): TLS failed, most often a plain server
      if (t && !given && !secured && (/^ERR_(SSL|TLS)/.test(lastError) || lastError === 'ECONNRESET' || lastError === 'EPIPE')) {
        giveUp({ code: 'tls-handshake-failed', message: `the TLS handshake with ${where} failed (${lastError}): is the server running with --no-tls? If so, give --no-tls too` });
      }
    });
    s.on('close', () => {
      if (this.socket !== s) return;
      this.socket = null;
      this.welcomed = false;
      this.stopKeepalive();
      this.dropPaced();
      this.answered('all');
      this.downloads.connectionLost();
      const g = given as Given | null;
      if (g) { this.actor.send({ type: 'socket.closed', reason: g.code, final: true }); return; }
      const reason = this.lostKeepalive ?? (lastError === 'ECONNREFUSED' ? `cannot reach ${where} (ECONNREFUSED): is the server running?`
        : lastError ? `connection error: ${lastError}` : 'connection closed by the server');
      this.actor.send({ type: 'socket.closed', reason });
    });
  }

  send(frame: ClientFrame): void {
    // the client machine says hello with the name; the password (never in the machine's context) is added here
    if (frame.type === 'hello' && this.password !== undefined) frame = { ...frame, password: this.password };
    // joins and leaves coalesced per server tick (a server that does not know the capability ignores it)
    if (frame.type === 'hello') frame = { ...frame, caps: ['presence'] };
    this.socket?.write(encodeFrame(frame));
  }
  end(): void { this.socket?.end(); }

  online(w: Extract<ServerFrame, { type: 'welcome' }>): void {
    this.serverLimits = w.limits;
    this.welcomed = true;
    this.roster.set(Array.isArray(w.online) ? w.online.map(String) : []);
    // a little under the server's rate, from a bucket a little under its burst (the hello spent a token)
    const rate = Number(w.limits?.ratePerSec), burst = Number(w.limits?.burst);
    this.pace = rate > 0 && burst > 0
      ? { cfg: { ratePerSec: rate * 0.95, burst: Math.max(1, burst - 2) }, bucket: fullBucket({ ratePerSec: rate * 0.95, burst: Math.max(1, burst - 2) }, this.clock.now()) }
      : null;
    this.lastHeard = this.clock.now();
    this.pinged = false;
    this.armKeepalive();
    this.emitEvent({ type: 'connected', name: w.name, server: this.server, online: w.online });
    this.downloads.connectionRestored();
  }
  refused(code: ErrorCode, message: string): void {
    this.emitEvent({ type: 'error', code, message });
  }
  lost(reason: string, _retry: boolean, attempt: number, inMs: number, server: number): void {
    this.emitEvent({ type: 'reconnecting', attempt, inMs, reason, host: where(this.servers[server % this.servers.length]!) });
  }
  closed(reason: string): void {
    this.stopKeepalive();
    this.downloads.shutdown();
    this.emitEvent({ type: 'disconnected', reason: reason || 'closed' });
    this.socket?.destroy();
    this.resolveClosed(reason);
  }

  private onLine(bytes: Buffer): void {
    let frame: ServerFrame;
    try { frame = decodeServerFrame(bytes); } catch (e) {
      this.emitEvent({ type: 'error', code: 'bad-frame', message: (e as Error).message });
      return;
    }
    this.actor.send({ type: 'frame', frame });
    this.dispatch(frame);
  }

  /** What the user sees of each server frame. */
  private dispatch(f: ServerFrame): void {
    switch (f.type) {
      case 'history': {
        if (!Array.isArray(f.messages)) return;
        for (const m of f.messages) if (typeof m.id === 'number' && !(m.id >= (this.oldestId ?? Infinity))) this.oldestId = m.id;
        if (f.older === true) { this.reply({ type: 'history', messages: f.messages, older: true }); return; }
        // after a reconnect, only what was said while we were away
        const messages = f.messages.filter((m) => Number(m.ts) > this.lastMessageTs);
        if (messages.length) this.emitEvent({ type: 'history', messages });
        for (const m of messages) this.lastMessageTs = Math.max(this.lastMessageTs, Number(m.ts) || 0);
        return;
      }
      case 'joined': this.emitEvent(this.roster.joined(String(f.name))); return;
      case 'presence': for (const c of this.roster.presence(f.joined, f.left)) this.emitEvent(c); return;
      case 'registered': {
        if (this.pendingPassword !== undefined) this.password = this.pendingPassword;
        this.pendingPassword = undefined;
        this.emitEvent(f.changed === true ? { type: 'registered', name: String(f.name), changed: true } : { type: 'registered', name: String(f.name) });
        return;
      }
      case 'left': this.emitEvent(this.roster.left(String(f.name), f.reason)); return;
      case 'message': {
        const ev: ClientEvent = { type: 'message', from: String(f.from), text: String(f.text), ts: Number(f.ts) || 0 };
        if (typeof f.to !== 'string') this.lastMessageTs = Math.max(this.lastMessageTs, ev.ts);
        if (typeof f.to === 'string') ev.to = f.to;
        this.emitEvent(ev);
        return;
      }
      case 'online': this.reply({ type: 'online', names: Array.isArray(f.names) ? f.names.map(String) : [] }); return;
      case 'files': this.reply({ type: 'files', files: Array.isArray(f.files) ? f.files.map((x) => ({ name: String(x.name), size: Number(x.size) })) : [] }); return;
      case 'ping': this.send(f.t === undefined ? { type: 'pong' } : { type: 'pong', t: f.t }); return;
      case 'error':
        if (this.downloads.onError(f)) return;
        // a refused hello is reported by the client machine (ClientPort.refused), once
        if (f.re !== 'hello' && this.state !== 'refused') this.emitEvent({ type: 'error', code: f.code, message: String(f.message) });
        if (f.re === 'files' && f.code === 'io-error') this.answered('files');
        if (f.re === 'history') this.answered('history');
        return;
      case 'bye': return;
      case 'offer': case 'ask': case 'complete': case 'stopped': this.downloads.onFrame(f); return;
      default: return;
    }
  }
}

/** HOST:PORT as the client names a server (and its line in known_hosts). */
function where(s: ServerAddress): string { return `${s.host}:${s.port}`; }
