// One IRC connection: bytes -> bounded lines -> IRC messages -> events for its IRC session actor, and the actor's
// port bound to this socket's outbox, the hub, accounts, the catalogue and DCC. As a hub member it receives our
// NDJSON server frames (encoded once for everyone) and writes them in IRC's words. Nothing here decides anything:
// the IRC session machine does.
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { createActor, type Actor, type InspectionEvent } from 'xstate';
import type { DccRequest } from '../../machines/irc/ctcp.js';
import { ircSessionMachine, type IrcConfig, type IrcEvent, type IrcPort } from '../../machines/irc/irc-session.machine.js';
import { parseLine } from '../../machines/irc/message.js';
import { chatLines, type ChatView, type PersonInfo } from '../../machines/irc/replies.js';
import { encodeFrame } from '../../machines/frame-codec.js';
import type { ChatLine, ServerFrame } from '../../machines/frames.js';
import { LIMITS } from '../../machines/limits.js';
import type { AccountsPort, HubPort, Member } from '../../machines/session.machine.js';
import { TIMING } from '../../machines/timing.js';
import { Accounts } from '../accounts.js';
import type { Clock } from '../clock.js';
import { LineSplitter } from '../line-splitter.js';
import { Outbox } from '../outbox.js';
import type { DccPeer } from './dcc.js';

/** What a connection needs from its listener. */
export interface IrcConnectionHost {
  readonly clock: Clock;
  readonly cfg: IrcConfig;
  readonly maxOutboxBytes: number;
  readonly hub: IrcPort['hub'] & Pick<HubPort, 'claim' | 'release' | 'historyPage'>;
  readonly accounts?: Accounts;
  person(name: string): PersonInfo | null;
  listFiles(conn: IrcConnection): void;
  offerFile(conn: IrcConnection, file: string, passive: boolean): void;
  dccRequest(conn: IrcConnection, req: DccRequest): void;
  /** The session claimed its name (`registered`) or ended: for the listener's own list and the log. */
  registered(conn: IrcConnection, name: string): void;
  ended(conn: IrcConnection, name: string | null, reason: string): void;
  /** The session's actor failed (a bug): for the log. */
  faulted?(conn: IrcConnection, err: unknown): void;
  inspect?: (id: string) => ((ev: InspectionEvent) => void) | undefined;
}

/** The bytes of one line the splitter takes: the tag section, a space and the body, with a CR. */
const MAX_LINE = 1 + LIMITS.ircMaxTagBytes + 1 + LIMITS.ircMaxBody + 1;

// the hub writes the same encoded frame to every member: decode it once
let lastLine: Buffer | null = null;
let lastFrames: ServerFrame[] = [];
export function decodeShared(bytes: Buffer): ServerFrame[] {
  if (bytes === lastLine) return lastFrames;
  // one NDJSON frame, or several (the hub writes a presence tick's joins and leaves as one buffer)
  const frames: ServerFrame[] = [];
  let from = 0;
  while (from < bytes.length) {
    let nl = bytes.indexOf(10, from);
    if (nl < 0) nl = bytes.length;
    if (nl > from) { try { frames.push(JSON.parse(bytes.toString('utf8', from, nl)) as ServerFrame); } catch { /* not a frame: skipped */ } }
    from = nl + 1;
  }
  lastLine = bytes; lastFrames = frames;
  return frames;
}

let nextId = 1;

export class IrcConnection implements IrcPort, Member, DccPeer {
  readonly id = nextId++;
  readonly peer: string;
  readonly remoteAddress: string;
  readonly localAddress: string;
  readonly actor: Actor<typeof ircSessionMachine>;
  readonly accounts: AccountsPort;
  private readonly outbox: Outbox;
  private readonly splitter: LineSplitter;
  private closing = false;

  constructor(readonly socket: Socket | TLSSocket, private readonly host: IrcConnectionHost) {
    this.remoteAddress = socket.remoteAddress ?? '?';
    this.localAddress = socket.localAddress ?? '127.0.0.1';
    this.peer = this.remoteAddress.replace(/^::ffff:/, '');
    this.accounts = host.accounts ? this.bindAccounts(host.accounts) : noAccounts((e) => this.event(e), host.clock);
    this.outbox = new Outbox(socket, host.maxOutboxBytes, () => this.overflow());
    this.splitter = new LineSplitter(MAX_LINE, {
      line: (bytes) => this.onLine(bytes),
      tooLong: () => this.event({ type: 'bad', problem: 'too-long', detail: 'line too long', now: host.clock.now() }),
    });
    this.actor = createActor(ircSessionMachine, {
      id: `irc-${this.id}`,
      input: { port: this, cfg: host.cfg, now: host.clock.now() },
      clock: host.clock,
      inspect: host.inspect?.(`irc-${this.id}`),
    });
    // a fault in the session (a bug, never a peer's doing) ends this connection, not the server
    this.actor.subscribe({
      error: (err) => {
        this.host.faulted?.(this, err);
        const name = this.actor.getSnapshot().context.name;
        if (name) this.host.hub.leave(name, 'internal');
        this.socket.destroy();
      },
    });
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.splitter.push(chunk));
    socket.on('error', () => {});
    socket.on('close', () => this.event({ type: 'socket.closed', reason: this.closing ? 'quit' : 'gone' }));
    this.actor.start();
  }

  get secure(): boolean { return this.socket instanceof TLSSocket; }
  get hub(): IrcPort['hub'] { return this.host.hub; }
  /** The nickname (once one is set). */
  get nick(): string { return this.actor.getSnapshot().context.nick ?? '*'; }
  get state(): string { return String(this.actor.getSnapshot().value); }

  event(e: IrcEvent): void {
    if (this.actor.getSnapshot().status === 'active') this.actor.send(e);
  }

  private onLine(bytes: Buffer): void {
    const now = this.host.clock.now();
    const r = parseLine(bytes);
    if (r.ok) this.event({ type: 'line', msg: r.message, bytes: bytes.length, now });
    else if (r.problem !== 'empty') this.event({ type: 'bad', problem: r.problem, detail: r.detail, now });
  }

  private overflow(): void {
    this.closing = true;
    this.socket.destroy();
    this.event({ type: 'socket.closed', reason: 'slow-reader' });
  }

  /** The session's accounts: the slow parts answer as events on its actor. */
  private bindAccounts(a: Accounts): AccountsPort {
    const address = this.remoteAddress;
    const now = () => this.host.clock.now();
    return {
      isRegistered: (name) => a.isRegistered(name),
      verify: (name, password) => {
        a.verify(name, password).then(
          (r) => this.event({ type: 'login.checked', ...r, now: now() }),
          () => this.event({ type: 'login.checked', account: false, ok: false, now: now() }),
        );
      },
      register: () => {}, change: () => {},
      blocked: (name, t) => a.limiter.blocked(Accounts.keys(name, address), t),
      failed: (name, t) => a.limiter.failed(Accounts.keys(name, address), t),
      succeeded: (name) => a.limiter.succeeded(Accounts.keys(name, address)[0]!),
      takeKept: (name) => a.takeKept(name),
      keptCount: (name) => a.keptCount(name),
      keep: (from, to, text, ts) => a.keep(from, to, text, ts,
        (line) => this.write(encodeFrame({ type: 'message', from: line.from, to: line.to, text: line.text, ts: line.ts })),
        (problem) => this.write(encodeFrame({ type: 'error', code: 'store-unavailable', message: `not kept: the server cannot keep messages now (${problem})`, re: 'tell' }))),
    };
  }

  // ---- Member: the hub's frames, in IRC's words
  write(line: Buffer): void {
    const frames = decodeShared(line);
    if (!frames.length) return;
    const c = this.actor.getSnapshot().context;
    const v: ChatView = { nick: c.nick ?? '*', serverTime: c.caps.includes('server-time'), echo: c.caps.includes('echo-message'), batch: false, inChannel: c.inChannel };
    for (const frame of frames) for (const l of chatLines(frame, v)) this.send(l);
  }

  // ---- IrcPort
  send(line: string): void { this.outbox.write(Buffer.from(`${line}\r\n`, 'utf8')); }

  claim(name: string): void {
    const hub = this.host.hub;
    const answer = (ok: boolean) => {
      if (ok && this.actor.getSnapshot().status !== 'active') { hub.release(name); return; }
      this.event({ type: 'claim.result', ok });
      // granted to a session that had moved on meanwhile (closing, closed): the name is given back
      if (ok && this.actor.getSnapshot().context.name !== name) { hub.release(name); return; }
      if (ok) this.host.registered(this, name);
    };
    let verdict: boolean | Promise<boolean>;
    try { verdict = hub.claim(name); } catch { verdict = false; }
    // always answered from a microtask: claim() runs inside the session's own transition, where an event sent to
    // it waits for the transition to end, and the answer must see the session after it took the name
    Promise.resolve(verdict).then((ok) => answer(ok), () => answer(false));
  }

  /** The hub took the name back (a cluster gave it to someone else during an outage): the session ends. */
  evict(reason: string): void { this.event({ type: 'shutdown', reason }); }

  person(name: string): PersonInfo | null { return this.host.person(name); }
  historyPage(limit: number, before?: number): void {
    let page: ChatLine[] | null | Promise<ChatLine[] | null>;
    try { page = this.host.hub.historyPage?.(limit, before) ?? null; } catch { page = null; }
    Promise.resolve(page).then((lines) => this.event({ type: 'history.page', lines }), () => this.event({ type: 'history.page', lines: null }));
  }
  listFiles(): void { this.host.listFiles(this); }
  offerFile(file: string, passive: boolean): void { this.host.offerFile(this, file, passive); }
  dccRequest(req: DccRequest): void { this.host.dccRequest(this, req); }
  dccEvent(e: Parameters<DccPeer['dccEvent']>[0]): void { this.event(e); }

  close(): void {
    if (this.closing) return;
    this.closing = true;
    this.outbox.endSocket(this.host.clock, TIMING.sessionCloseGraceMs);
  }

  ended(name: string | null, reason: string): void { this.host.ended(this, name, reason); }
}

/** A server without a store: no name is registered, no password is right, nothing is kept. */
function noAccounts(event: (e: IrcEvent) => void, clock: Clock): AccountsPort {
  return {
    isRegistered: () => false,
    verify: () => { queueMicrotask(() => event({ type: 'login.checked', account: false, ok: false, now: clock.now() })); },
    register: () => {}, change: () => {},
    blocked: () => false, failed: () => {}, succeeded: () => {},
    takeKept: () => [], keptCount: () => 0, keep: () => {},
  };
}
