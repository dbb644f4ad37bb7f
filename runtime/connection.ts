// One TCP connection on the server: bytes -> lines -> frames -> events for its session actor, and the actor's
// port bound to this socket's outbox. Nothing here decides anything: the session machine does.
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { createActor, fromCallback, type Actor, type AnyActorRef, type EventObject, type InspectionEvent } from 'xstate';
import { decodeClientFrame, encodeFrame, FrameError } from '../machines/frame-codec.js';
import type { ChatLine, ClientFrame, ServerFrame } from '../machines/frames.js';
import { sessionMachine, type AccountsPort, type HubPort, type SessionConfig, type SessionPort, type WelcomeHead } from '../machines/session.machine.js';
import { Accounts } from './accounts.js';
import { TIMING } from '../machines/timing.js';
import type { Clock } from './clock.js';
import { LineSplitter, type LineSink } from './line-splitter.js';
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
  /** The parent of the session actors (see sessionParent): they share its actor system. */
  readonly sessionParent?: AnyActorRef;
}

/**
 * The parent of every session actor of a server, so that they share one XState actor system: a root actor makes its
 * own (a scheduler, registries, ~18 closures: about 1.4 KB a session). A session's error reaches it as an event and
 * is thrown as an unhandled error, as it was without a parent. Sessions inspected one by one (--inspect, the model
 * tests) keep their own system, which inspection is attached to.
 */
export function sessionParent(clock: Clock): AnyActorRef {
  return createActor(fromCallback<EventObject>(({ receive }) => {
    receive((e) => {
      if (e.type.startsWith('xstate.error.actor')) {
        const err = (e as { error?: unknown }).error;
        setTimeout(() => { throw err; });
      }
    });
  }), { clock }).start();
}

let nextId = 1;
const ignoreError = (): void => {};

export class Connection implements SessionPort, LineSink {
  readonly id = nextId++;
  readonly remote: string;
  readonly actor: Actor<typeof sessionMachine>;
  private readonly outbox: Outbox;
  private readonly splitter: LineSplitter;
  private closing = false;
  /** Chat messages this client sent (`say` and `tell` frames), for the dashboard. */
  messagesSent = 0;
  readonly accounts: AccountsPort;

  /** The socket the session speaks over: a TLSSocket when the listener runs TLS (see `tlsSocket`). */
  constructor(readonly socket: Socket | TLSSocket, private readonly host: ConnectionHost) {
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`;
    // one small object per session whose methods are shared (a dozen closures per session were ~1 KB each)
    this.accounts = host.accounts ? new BoundAccounts(host.accounts, this) : new NoAccounts(this);
    this.outbox = new Outbox(socket, host.maxOutboxBytes, () => this.overflow());
    this.splitter = new LineSplitter(host.cfg.limits.maxLine, this);
    const inspect = host.inspect?.(`session-${this.id}`);
    this.actor = createActor(sessionMachine, {
      id: `session-${this.id}`,
      input: { port: this, cfg: host.cfg, now: host.clock.now() },
      clock: host.clock,
      ...(inspect ? { inspect } : { parent: host.sessionParent }),
    });
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.splitter.push(chunk));
    socket.on('error', ignoreError); // 'close' follows with the reason we care about
    socket.on('close', () => this.actor.send({ type: 'socket.closed', reason: this.closing ? 'quit' : 'gone' }));
    this.actor.start();
  }

  /** The TLS session of this connection (for keys exported from it), or null on a plain (--no-tls) one. */
  get tlsSocket(): TLSSocket | null { return this.socket instanceof TLSSocket ? this.socket : null; }
  /** Whether the connection is TLS: passwords are taken only over one (unless the server allows otherwise). */
  get secure(): boolean { return this.socket instanceof TLSSocket; }

  get hub(): HubPort { return this.host.hub; }

  get name(): string | null { return this.actor.getSnapshot().context.name; }
  get now(): number { return this.host.clock.now(); }
  /** An accounts call failed unexpectedly: for the log. */
  reportAccounts(e: unknown): void { this.host.refused?.(this, 'internal', `accounts: ${(e as Error).message}`); }

  // ---- LineSink (the connection is its splitter's sink: no closures per connection)
  tooLong(): void {
    this.actor.send({ type: 'bad', code: 'line-too-long', message: `a line is limited to ${this.host.cfg.limits.maxLine} bytes`, now: this.host.clock.now() });
  }

  line(bytes: Buffer): void {
    const now = this.host.clock.now();
    let frame: ClientFrame;
    try { frame = decodeClientFrame(bytes, this.host.cfg.limits); }
    catch (e) {
      if (e instanceof FrameError) { this.actor.send({ type: 'bad', code: e.code, message: e.message, now }); return; }
      throw e;
    }
    if (frame.type === 'say' || frame.type === 'tell') this.messagesSent++;
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
      // granted to a session that had already moved on (closing, closed): the name is given back. Checked once the
      // actor has taken the event: a synchronous answer arrives inside the session's own transition, and is queued
      if (ok) queueMicrotask(() => { if (this.actor.getSnapshot().context.name !== name) hub.release(name); });
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
    this.outbox.endSocket(this.host.clock, TIMING.sessionCloseGraceMs);
  }
  listFiles(): void { this.host.listFiles(this); }
  transfer(frame: Extract<ClientFrame, { type: 'get' | 'consent' | 'stop' }>, name: string): void { this.host.transfer(this, frame, name); }
  ended(name: string | null, reason: string): void { this.host.ended(this, name, reason); }
}

/** A server without a store keeps no accounts: no name is registered, none can be. */
class NoAccounts implements AccountsPort {
  constructor(private readonly conn: Connection) {}
  isRegistered(): boolean { return false; }
  verify(): void { queueMicrotask(() => this.conn.actor.send({ type: 'login.checked', account: false, ok: false, now: this.conn.now })); }
  register(): void { queueMicrotask(() => this.conn.actor.send({ type: 'account.saved', op: 'register', outcome: 'store' })); }
  change(): void { queueMicrotask(() => this.conn.actor.send({ type: 'account.saved', op: 'password', outcome: 'missing' })); }
  blocked(): boolean { return false; }
  failed(): void {}
  succeeded(): void {}
  takeKept(): ChatLine[] { return []; }
  keptCount(): number { return 0; }
  keep(): void {}
}

/** The session's view of the accounts: answers to the slow parts come back as events on its actor. */
class BoundAccounts implements AccountsPort {
  constructor(private readonly a: Accounts, private readonly conn: Connection) {}
  private get address(): string { return this.conn.socket.remoteAddress ?? '?'; }
  isRegistered(name: string): boolean { return this.a.isRegistered(name); }
  verify(name: string, password: string): void {
    const c = this.conn;
    this.a.verify(name, password).then(
      (r) => c.actor.send({ type: 'login.checked', ...r, now: c.now }),
      (e) => { c.reportAccounts(e); c.actor.send({ type: 'login.checked', account: false, ok: false, now: c.now }); },
    );
  }
  register(name: string, password: string): void {
    const c = this.conn;
    this.a.register(name, password).then(
      (outcome) => c.actor.send({ type: 'account.saved', op: 'register', outcome }),
      (e) => { c.reportAccounts(e); c.actor.send({ type: 'account.saved', op: 'register', outcome: 'store' }); },
    );
  }
  change(name: string, old: string, next: string): void {
    const c = this.conn;
    this.a.change(name, old, next).then(
      (outcome) => c.actor.send({ type: 'account.saved', op: 'password', outcome }),
      (e) => { c.reportAccounts(e); c.actor.send({ type: 'account.saved', op: 'password', outcome: 'store' }); },
    );
  }
  blocked(name: string, now: number): boolean { return this.a.limiter.blocked(Accounts.keys(name, this.address), now); }
  failed(name: string, now: number): void { this.a.limiter.failed(Accounts.keys(name, this.address), now); }
  succeeded(name: string): void { this.a.limiter.succeeded(Accounts.keys(name, this.address)[0]!); }
  takeKept(name: string): ChatLine[] { return this.a.takeKept(name); }
  keptCount(name: string): number { return this.a.keptCount(name); }
  keep(from: string, to: string, text: string, ts: number): void {
    const c = this.conn;
    this.a.keep(from, to, text, ts,
      (line) => c.send({ type: 'message', from: line.from, to: line.to, text: line.text, ts: line.ts }),
      (problem) => c.send({ type: 'error', code: 'store-unavailable', message: `not kept: the server cannot keep messages now (${problem})`, re: 'tell' }));
  }
}
