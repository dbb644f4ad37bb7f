// One TCP connection on the server: bytes -> lines -> frames -> events for its session actor, and the actor's
// port bound to this socket's outbox. Nothing here decides anything: the session machine does.
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { createActor, type Actor, type InspectionEvent } from 'xstate';
import { decodeClientFrame, encodeFrame, FrameError } from '../machines/frame-codec.js';
import type { ClientFrame, ServerFrame } from '../machines/frames.js';
import { sessionMachine, type AccountsPort, type HubPort, type SessionConfig, type SessionPort, type WelcomeHead } from '../machines/session.machine.js';
import { Accounts } from './accounts.js';
import { TIMING } from '../machines/timing.js';
import type { Clock } from './clock.js';
import { LineSplitter } from './line-splitter.js';
import { Outbox } from './outbox.js';

export interface ConnectionHost {
  hub: HubPort;
  cfg: SessionConfig;
  maxOutboxBytes: number;
  readonly clock: Clock;
  listFiles(conn: Connection): void;
  transfer(conn: Connection, frame: Extract<ClientFrame, { type: 'get' | 'consent' | 'stop' }>, name: string): void;
  ended(conn: Connection, name: string | null, reason: string): void;
  /** An error answered to this client (refusals, bad frames): for the log. */
  refused?(conn: Connection, code: string, message: string): void;
  inspect?: (id: string) => ((ev: InspectionEvent) => void) | undefined;
  /** Registered nicknames and kept private messages (a server with a store). */
  readonly accounts?: Accounts;
}

let nextId = 1;

export class Connection implements SessionPort {
  readonly id = nextId++;
  readonly remote: string;
  readonly actor: Actor<typeof sessionMachine>;
  private readonly outbox: Outbox;
  private readonly splitter: LineSplitter;
  private closing = false;
  readonly accounts: AccountsPort;

  /** The socket the session speaks over: a TLSSocket when the listener runs TLS (see `tlsSocket`). */
  constructor(readonly socket: Socket | TLSSocket, private readonly host: ConnectionHost) {
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`;
    this.accounts = host.accounts ? this.bindAccounts(host.accounts) : this.noAccounts();
    this.outbox = new Outbox(socket, host.maxOutboxBytes, () => this.overflow());
    this.splitter = new LineSplitter(host.cfg.limits.maxLine, {
      line: (bytes) => this.onLine(bytes),
      tooLong: () => this.actor.send({ type: 'bad', code: 'line-too-long', message: `a line is limited to ${host.cfg.limits.maxLine} bytes`, now: host.clock.now() }),
    });
    this.actor = createActor(sessionMachine, {
      id: `session-${this.id}`,
      input: { port: this, cfg: host.cfg, now: host.clock.now() },
      clock: host.clock,
      inspect: host.inspect?.(`session-${this.id}`),
    });
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.splitter.push(chunk));
    socket.on('error', () => {}); // 'close' follows with the reason we care about
    socket.on('close', () => this.actor.send({ type: 'socket.closed', reason: this.closing ? 'quit' : 'gone' }));
    this.actor.start();
  }

  /** The TLS session of this connection (for keys exported from it), or null on a plain (--no-tls) one. */
  get tlsSocket(): TLSSocket | null { return this.socket instanceof TLSSocket ? this.socket : null; }
  /** Whether the connection is TLS: passwords are taken only over one (unless the server allows otherwise). */
  get secure(): boolean { return this.socket instanceof TLSSocket; }

  get hub(): HubPort { return this.host.hub; }

  /** A server without a store keeps no accounts: no name is registered, none can be. */
  private noAccounts(): AccountsPort {
    return {
      isRegistered: () => false,
      verify: () => { queueMicrotask(() => this.actor.send({ type: 'login.checked', account: false, ok: false, now: this.host.clock.now() })); },
      register: () => { queueMicrotask(() => this.actor.send({ type: 'account.saved', op: 'register', outcome: 'store' })); },
      change: () => { queueMicrotask(() => this.actor.send({ type: 'account.saved', op: 'password', outcome: 'missing' })); },
      blocked: () => false, failed: () => {}, succeeded: () => {},
      takeKept: () => [], keptCount: () => 0, keep: () => {},
    };
  }

  /** The session's view of the accounts: answers to the slow parts come back as events on its actor. */
  private bindAccounts(a: Accounts): AccountsPort {
    const address = this.socket.remoteAddress ?? '?';
    const report = (e: unknown) => this.host.refused?.(this, 'internal', `accounts: ${(e as Error).message}`);
    return {
      isRegistered: (name) => a.isRegistered(name),
      verify: (name, password) => {
        a.verify(name, password).then(
          (r) => this.actor.send({ type: 'login.checked', ...r, now: this.host.clock.now() }),
          (e) => { report(e); this.actor.send({ type: 'login.checked', account: false, ok: false, now: this.host.clock.now() }); },
        );
      },
      register: (name, password) => {
        a.register(name, password).then(
          (outcome) => this.actor.send({ type: 'account.saved', op: 'register', outcome }),
          (e) => { report(e); this.actor.send({ type: 'account.saved', op: 'register', outcome: 'store' }); },
        );
      },
      change: (name, old, next) => {
        a.change(name, old, next).then(
          (outcome) => this.actor.send({ type: 'account.saved', op: 'password', outcome }),
          (e) => { report(e); this.actor.send({ type: 'account.saved', op: 'password', outcome: 'store' }); },
        );
      },
      blocked: (name, now) => a.limiter.blocked(Accounts.keys(name, address), now),
      failed: (name, now) => a.limiter.failed(Accounts.keys(name, address), now),
      succeeded: (name) => a.limiter.succeeded(Accounts.keys(name, address)[0]!),
      takeKept: (name) => a.takeKept(name),
      keptCount: (name) => a.keptCount(name),
      keep: (from, to, text, ts) => a.keep(from, to, text, ts,
        (line) => this.send({ type: 'message', from: line.from, to: line.to, text: line.text, ts: line.ts }),
        (problem) => this.send({ type: 'error', code: 'store-unavailable', message: `not kept: the server cannot keep messages now (${problem})`, re: 'tell' })),
    };
  }
  get name(): string | null { return this.actor.getSnapshot().context.name; }

  private onLine(bytes: Buffer): void {
    const now = this.host.clock.now();
    let frame: ClientFrame;
    try { frame = decodeClientFrame(bytes, this.host.cfg.limits); }
    catch (e) {
      if (e instanceof FrameError) { this.actor.send({ type: 'bad', code: e.code, message: e.message, now }); return; }
      throw e;
    }
    this.actor.send({ type: 'frame', frame, now });
  }

  private overflow(): void {
    // a reader too slow for what it is sent: cut it off; the others go on
    this.closing = true;
    this.socket.destroy();
    this.actor.send({ type: 'socket.closed', reason: 'slow-reader' });
  }

  // ---- SessionPort
  claim(name: string): void {
    const hub = this.host.hub;
    const answer = (ok: boolean, problem?: string) => {
      if (ok && this.actor.getSnapshot().status !== 'active') { hub.release(name); return; }
      this.actor.send(problem ? { type: 'name.claimed', ok, problem, now: this.host.clock.now() } : { type: 'name.claimed', ok, now: this.host.clock.now() });
      // granted to a session that had already moved on (closing, closed): the name is given back
      if (ok && this.actor.getSnapshot().context.name !== name) hub.release(name);
    };
    let verdict: boolean | Promise<boolean>;
    try { verdict = hub.claim(name); } catch (e) { answer(false, (e as Error).message); return; }
    if (typeof verdict === 'boolean') answer(verdict);
    else verdict.then((ok) => answer(ok), (e: Error) => answer(false, e.message));
  }
  write(line: Buffer): void { this.outbox.write(line); }
  /** Ends the session from the server's side (a cluster gave its name to someone else during an outage). */
  evict(reason: string): void { this.actor.send({ type: 'shutdown', reason }); }
  send(frame: ServerFrame): void {
    if (frame.type === 'error') this.host.refused?.(this, frame.code, frame.message);
    this.outbox.write(encodeFrame(frame));
  }
  welcome(head: WelcomeHead): void {
    const hub = this.host.hub;
    const parts = hub.onlineFrame?.({ ...head, online: [] });
    if (!parts) { this.send({ ...head, online: hub.names() }); return; }
    for (const p of parts) this.outbox.write(p);
  }
  close(_reason: string): void {
    if (this.closing) return;
    this.closing = true;
    this.outbox.flush();
    this.outbox.seal();
    this.socket.end();
    // a peer that never reads cannot hold the socket open
    this.host.clock.setTimeout(() => this.socket.destroy(), TIMING.sessionCloseGraceMs);
  }
  listFiles(): void { this.host.listFiles(this); }
  transfer(frame: Extract<ClientFrame, { type: 'get' | 'consent' | 'stop' }>, name: string): void { this.host.transfer(this, frame, name); }
  ended(name: string | null, reason: string): void { this.host.ended(this, name, reason); }
}
