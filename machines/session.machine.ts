// One actor per client connection on the server: handshake (with a deadline), chatting, closing, closed.
// Sans-I/O: everything it does to the world goes through the SessionPort it is given (the runtime binds that to a
// socket and the hub); time comes in on events (`now`) or as XState delays.
import { and, assign, not, setup } from 'xstate';
import { PROTOCOL_VERSION, type ChatLine, type ClientFrame, type Limits, type ServerFrame } from './frames.js';
import type { ErrorCode } from './errors.js';
import { DEFAULT_LIMITS, LIMITS } from './limits.js';
import { checkNickname } from './nickname.js';
import { TIMING } from './timing.js';
import { fullBucket, hasToken, spend, type Bucket } from './token-bucket.js';

/** What a session may do to the rest of the server: the hub (presence and routing) and the transfers host. */
export interface HubPort {
  /**
   * Reserves a name for a session about to go online: true when it was free (case-insensitively) and is now held
   * for the caller, false when it is taken. Atomic across every server of a cluster, so the answer may come later
   * (a promise); the runtime hands it to the session as `name.claimed`.
   */
  claim(name: string): boolean | Promise<boolean>;
  /** Gives back a claimed name that never went online (its session ended before or while it was claimed). */
  release(name: string): void;
  /** A claimed name goes online as `member`: everyone is told it joined (at the end of the presence tick). */
  join(name: string, member: Member, opts?: JoinOptions): void;
  /** A name goes offline (everyone is told it left) and is free again. */
  leave(name: string, reason: string): void;
  /** Whether a name is online or claimed, as far as this server knows now (the claim is what decides). */
  isTaken(name: string): boolean;
  /** A message to everyone online, the sender included (its echo is the receipt); encoded once for all. */
  sayAll(from: string, text: string, ts: number): void;
  /** A private message to `to`, echoed to the sender as its receipt. False when `to` is not online. */
  tell(from: string, to: string, text: string, ts: number): boolean;
  names(): string[];
  /** A welcome whose last field lists everyone online, as bytes to write in order, from a list kept encoded (so that
   *  a login does not encode everyone's name again); null when this hub keeps none (the runtime encodes names()). */
  onlineFrame?(head: object): Buffer[] | null;
  history(): ChatLine[];
  /** The newest `limit` messages to all with an id below `before`, oldest first; null when the store cannot be read
   *  (a promise of them from a store behind a network). */
  historyPage?(limit: number, before?: number): ChatLine[] | null | Promise<ChatLine[] | null>;
}

/** How a member is told of joins and leaves: `presence`, coalesced `presence` frames (the client asked for the
 *  capability); otherwise one `joined`/`left` frame per person. */
export interface JoinOptions { presence?: boolean }

/** The welcome as the session makes it; the runtime adds `online` (everyone online, from the hub). */
export type WelcomeHead = Omit<Extract<ServerFrame, { type: 'welcome' }>, 'online'>;

/** Whatever the hub can deliver to: one encoded line, queued for the member's socket. */
export interface Member {
  write(line: Buffer): void;
}

/** Registered nicknames, as the session may use them: the runtime reads the store at each call (an account added or
 *  removed by `messenger-server account` counts at the next login) and does the slow parts (scrypt) off the event
 *  loop, answering with an event (`login.checked`, `account.saved`). It decides nothing: the session does. */
export interface AccountsPort {
  /** Whether `name` has an account. */
  isRegistered(name: string): boolean;
  /** Checks `password` against `name`'s account, or against a dummy hash when it has none (the same work either
   *  way); answers with `login.checked`. */
  verify(name: string, password: string): void;
  /** Registers `name` with `password`; answers with `account.saved` (op `register`). */
  register(name: string, password: string): void;
  /** Changes `name`'s password when `old` is right; answers with `account.saved` (op `password`). */
  change(name: string, old: string, next: string): void;
  /** Whether password attempts for `name`, or from this connection's address, are blocked by failed logins. */
  blocked(name: string, now: number): boolean;
  /** Counts a failed login for `name` and for this connection's address. */
  failed(name: string, now: number): void;
  /** Forgets `name`'s failed logins (it just logged in). */
  succeeded(name: string): void;
  /** Takes the private messages kept for `name` while it was offline (they are gone from the store after this). */
  takeKept(name: string): ChatLine[];
  /** How many private messages are kept for `name`. */
  keptCount(name: string): number;
  /** Keeps a private message for the offline registered `to` (after the messages to all ahead of it are written),
   *  then echoes it to the sender as its receipt; `store-unavailable` to the sender when it cannot be kept. */
  keep(from: string, to: string, text: string, ts: number): void;
}

export interface SessionPort extends Member {
  /** Claims a name on the hub for this session; answers with `name.claimed`. */
  claim(name: string): void;
  /** Whether the connection is encrypted (TLS): passwords are taken only over one unless the server allows it. */
  readonly secure: boolean;
  /** Accounts (a server without a store answers that no name is registered and that none can be kept). */
  readonly accounts: AccountsPort;
  send(frame: ServerFrame): void;
  /** Sends the welcome with everyone online (`online`, from the hub) as its last field. */
  welcome(head: WelcomeHead): void;
  /** Flushes what is queued, then ends the connection. */
  close(reason: string): void;
  /** Asks the catalogue for the shared files; the answer is sent as a `files` frame. */
  listFiles(): void;
  /** Hands a download request, a consent answer or a stop to the transfers host. */
  transfer(frame: Extract<ClientFrame, { type: 'get' | 'consent' | 'stop' }>, name: string): void;
  /** Called once when the session ends, for whatever reason: its transfers end with it. */
  ended(name: string | null, reason: string): void;
  readonly hub: HubPort;
}

export interface SessionConfig {
  limits: Limits;
  helloTimeoutMs: number;
  pingEveryMs: number;
  /** Refused frames in a row before the connection is closed as a flood. */
  floodAfter: number;
  /** `closed`: only nicknames with an account may connect (`--registration closed`). */
  registration?: 'open' | 'closed';
  /** Take passwords over a connection without TLS (`--allow-insecure-auth`). */
  allowInsecureAuth?: boolean;
}

export const DEFAULT_SESSION_CONFIG: SessionConfig = {
  limits: { ...DEFAULT_LIMITS },
  helloTimeoutMs: TIMING.helloTimeoutMs,
  pingEveryMs: TIMING.pingEveryMs,
  floodAfter: LIMITS.floodAfter,
};

export interface SessionContext {
  port: SessionPort;
  cfg: SessionConfig;
  name: string | null;
  bucket: Bucket;
  /** When the connection was accepted: the hello deadline counts from here. */
  openedAt: number;
  lastHeard: number;
  lastPing: number;
  refusedInARow: number;
  closeReason: string;
  /** The nickname whose password is being checked (state `authenticating`). */
  pending: string | null;
  /** The session's nickname has an account (it logged in with its password, or registered it). */
  account: boolean;
  /** A `register` or `password` the runtime is carrying out (one at a time). */
  accountOp: 'register' | 'password' | null;
  /** The hello asked for coalesced presence (capability `presence`). */
  presence: boolean;
}

export type SessionEvent =
  | { type: 'frame'; frame: ClientFrame; now: number }
  | { type: 'bad'; code: ErrorCode; message: string; now: number }
  | { type: 'tick'; now: number }
  /** The runtime's answer to AccountsPort.verify: whether the name has an account, and whether the password matched. */
  | { type: 'login.checked'; account: boolean; ok: boolean; now: number }
  /** The runtime's answer to AccountsPort.register / change. */
  | { type: 'account.saved'; op: 'register' | 'password'; outcome: AccountOutcome }
  /** The runtime's answer to SessionPort.claim: whether the name is now this session's; `problem` when the claim
   *  could not be decided (a cluster server cut off from its cluster). */
  | { type: 'name.claimed'; ok: boolean; problem?: string; now: number }
  | { type: 'socket.closed'; reason: string }
  | { type: 'shutdown'; reason: string };

/** `exists`: register of a name with an account; `wrong`: a wrong old password; `missing`: no account to change;
 *  `store`: the store could not be written. */
export type AccountOutcome = 'ok' | 'exists' | 'wrong' | 'missing' | 'store';

export interface SessionInput { port: SessionPort; cfg?: SessionConfig; now: number }

type FrameOf<T extends ClientFrame['type']> = Extract<ClientFrame, { type: T }>;
const frameIs = <T extends ClientFrame['type']>(e: SessionEvent, t: T): e is { type: 'frame'; frame: FrameOf<T>; now: number } =>
  e.type === 'frame' && e.frame.type === t;

function err(port: SessionPort, code: ErrorCode, message: string, re?: string): void {
  port.send(re ? { type: 'error', code, message, re } : { type: 'error', code, message });
}

/** A message's server time as the protocol gives it (`ts`): whole milliseconds since the epoch (the clock has finer). */
const stamp = (now: number): number => Math.floor(now);

/** While the runtime answers a hello (a password checked, a name claimed): only bye is taken; the rest is refused. */
const waitingForAnswer = {
  frame: [
    { guard: 'isFlooding', target: 'closing', actions: 'setFlood' },
    { guard: 'isBye', target: 'closing', actions: 'setReasonQuit' },
    { actions: ['requireWait', 'countRefused'] },
  ],
  bad: [
    { guard: 'isFlooding', target: 'closing', actions: 'setFlood' },
    { actions: ['answerBadFrame', 'countRefused'] },
  ],
} as const;

export const sessionMachine = setup({
  types: {
    context: {} as SessionContext,
    events: {} as SessionEvent,
    input: {} as SessionInput,
  },
  guards: {
    isHello: ({ event }) => frameIs(event, 'hello'),
    helloVersionOk: ({ event }) => frameIs(event, 'hello') && event.frame.v === PROTOCOL_VERSION,
    helloNameValid: ({ event }) => frameIs(event, 'hello') && checkNickname(event.frame.name).ok,
    helloNameFree: ({ context, event }) => frameIs(event, 'hello') && !context.port.hub.isTaken(event.frame.name.normalize('NFC')),
    helloHasPassword: ({ event }) => frameIs(event, 'hello') && event.frame.password !== undefined,
    passwordAllowed: ({ context }) => context.port.secure || context.cfg.allowInsecureAuth === true,
    loginBlocked: ({ context, event }) =>
      frameIs(event, 'hello') && context.port.accounts.blocked(event.frame.name.normalize('NFC'), event.now),
    helloNameRegistered: ({ context, event }) =>
      frameIs(event, 'hello') && context.port.accounts.isRegistered(event.frame.name.normalize('NFC')),
    registrationClosed: ({ context }) => context.cfg.registration === 'closed',
    pendingNameFree: ({ context }) => context.pending !== null && !context.port.hub.isTaken(context.pending),
    // a right password; or a name without an account on an open server (a password given needlessly does no harm)
    loginAccepted: ({ context, event }) =>
      event.type === 'login.checked' && (event.ok || (!event.account && context.cfg.registration !== 'closed')),
    claimGranted: ({ event }) => event.type === 'name.claimed' && event.ok,
    isRegister: ({ event }) => frameIs(event, 'register'),
    isPasswordChange: ({ event }) => frameIs(event, 'password'),
    newPasswordEmpty: ({ event }) => (frameIs(event, 'register') && event.frame.password === '') || (frameIs(event, 'password') && event.frame.new === ''),
    hasAccount: ({ context }) => context.account,
    accountBusy: ({ context, event }) => (frameIs(event, 'register') || frameIs(event, 'password')) && context.accountOp !== null,
    savedOk: ({ event }) => event.type === 'account.saved' && event.outcome === 'ok',
    recipientRegistered: ({ context, event }) =>
      frameIs(event, 'tell') && context.port.accounts.isRegistered(event.frame.to.normalize('NFC')),
    recipientMailboxFull: ({ context, event }) =>
      frameIs(event, 'tell') && context.port.accounts.keptCount(event.frame.to.normalize('NFC')) >= LIMITS.offlinePerRecipient,
    withinRate: ({ context, event }) => !('now' in event) || hasToken(context.bucket, context.cfg.limits, event.now),
    isSay: ({ event }) => frameIs(event, 'say'),
    isTell: ({ event }) => frameIs(event, 'tell'),
    isWho: ({ event }) => frameIs(event, 'who'),
    isFiles: ({ event }) => frameIs(event, 'files'),
    isHistory: ({ event }) => frameIs(event, 'history'),
    isTransferControl: ({ event }) => frameIs(event, 'get') || frameIs(event, 'consent') || frameIs(event, 'stop'),
    isPing: ({ event }) => frameIs(event, 'ping'),
    isBye: ({ event }) => frameIs(event, 'bye'),
    isPong: ({ event }) => frameIs(event, 'pong'),
    isFlooding: ({ context }) => context.refusedInARow >= context.cfg.floodAfter,
    // the hello deadline is checked on ticks, like keepalive: an XState timer per connection cost ~0.8 KB of heap each
    isHelloLate: ({ context, event }) => event.type === 'tick' && event.now - context.openedAt >= context.cfg.helloTimeoutMs,
    isIdleTooLong: ({ context, event }) => event.type === 'tick' && event.now - context.lastHeard > context.cfg.limits.idleMs,
    isPingDue: ({ context, event }) => event.type === 'tick' && event.now - Math.max(context.lastHeard, context.lastPing) >= context.cfg.pingEveryMs,
    recipientOnline: ({ context, event }) => frameIs(event, 'tell') && context.port.hub.isTaken(event.frame.to),
  },
  actions: {
    spendToken: assign({
      bucket: ({ context, event }) => ('now' in event ? spend(context.bucket, context.cfg.limits, event.now) : context.bucket),
    }),
    noteHeard: assign({ lastHeard: ({ context, event }) => ('now' in event ? event.now : context.lastHeard) }),
    countRefused: assign({ refusedInARow: ({ context }) => context.refusedInARow + 1 }),
    clearRefused: assign({ refusedInARow: 0 }),
    // the hot path's bookkeeping in one assign (each assign copies the context and clones the snapshot): a frame taken
    // spends a token, notes when the client was last heard, and clears the refusals in a row
    acceptFrame: assign(({ context, event }) => ('now' in event
      ? { bucket: spend(context.bucket, context.cfg.limits, event.now), lastHeard: event.now, refusedInARow: 0 }
      : { refusedInARow: 0 })),
    // a frame answered with a refusal after the rate check: it spends a token and counts as heard
    chargeFrame: assign(({ context, event }) => ('now' in event
      ? { bucket: spend(context.bucket, context.cfg.limits, event.now), lastHeard: event.now }
      : {})),
    claimName: ({ context }) => { if (context.pending) context.port.claim(context.pending); },
    // the name was claimed for this session (name.claimed), so it goes online under it
    joinHub: ({ context }) => { if (context.name) context.port.hub.join(context.name, context.port, { presence: context.presence }); },
    noteCaps: assign({ presence: ({ context, event }) => (frameIs(event, 'hello') ? event.frame.caps?.includes('presence') === true : context.presence) }),
    setPending: assign({ pending: ({ context, event }) => (frameIs(event, 'hello') ? event.frame.name.normalize('NFC') : context.pending) }),
    clearPending: assign({ pending: null }),
    takePendingName: assign({ name: ({ context }) => context.pending }),
    noteAccount: assign({ account: ({ event }) => event.type === 'login.checked' && event.account }),
    forgetAccount: assign({ account: false }),
    noteRegistered: assign({ account: true }),
    setAccountOp: assign({ accountOp: ({ context, event }) => (frameIs(event, 'register') ? 'register' : frameIs(event, 'password') ? 'password' : context.accountOp) }),
    clearAccountOp: assign({ accountOp: null }),
    refuseAccountBusy: ({ context, event }) =>
      err(context.port, 'rate-limited', 'one account change at a time: wait for the answer to the last one', event.type === 'frame' ? event.frame.type : undefined),
    refuseAlreadyRegistered: ({ context }) => err(context.port, 'already-registered', `the nickname "${context.name ?? ''}" is registered already`, 'register'),
    refuseNotRegistered: ({ context }) => err(context.port, 'not-registered', `the nickname "${context.name ?? ''}" has no account: register it first`, 'password'),
    startLogin: ({ context, event }) => {
      if (frameIs(event, 'hello') && event.frame.password !== undefined) context.port.accounts.verify(event.frame.name.normalize('NFC'), event.frame.password);
    },
    noteLoginOk: ({ context }) => { if (context.pending) context.port.accounts.succeeded(context.pending); },
    refuseLogin: ({ context, event }) => {
      if (event.type !== 'login.checked' || context.pending === null) return;
      if (event.ok || (!event.account && context.cfg.registration !== 'closed')) {
        err(context.port, 'name-taken', `the nickname "${context.pending}" is taken`, 'hello');
        return;
      }
      context.port.accounts.failed(context.pending, event.now);
      // the same words whether or not the name has an account
      err(context.port, 'auth-failed', 'wrong nickname or password', 'hello');
    },
    refuseInsecure: ({ context }) =>
      err(context.port, 'insecure-auth', 'this server takes passwords only over TLS (or when it runs with --allow-insecure-auth)', 'hello'),
    refuseBlocked: ({ context }) =>
      err(context.port, 'login-blocked', `too many failed logins for this nickname or from your address: try again in ${Math.round(TIMING.loginBlockMs / 60000)} minutes`, 'hello'),
    refuseRegistered: ({ context, event }) =>
      err(context.port, 'name-registered', `the nickname "${frameIs(event, 'hello') ? event.frame.name : ''}" is registered: connect with its password`, 'hello'),
    refuseAccountRequired: ({ context }) =>
      err(context.port, 'account-required', 'this server is private: only nicknames with an account may connect', 'hello'),
    requireWait: ({ context, event }) =>
      err(context.port, 'handshake-required', 'wait for the answer to your hello: your nickname or password is being checked', event.type === 'frame' ? event.frame.type : undefined),
    refuseClaimLost: ({ context, event }) => {
      if (event.type === 'name.claimed' && event.problem) err(context.port, 'cluster-unavailable', `cannot claim the nickname now: ${event.problem}`, 'hello');
      else err(context.port, 'name-taken', `the nickname "${context.pending ?? ''}" is taken`, 'hello');
    },
    refusePasswordInsecure: ({ context, event }) =>
      err(context.port, 'insecure-auth', 'this server takes passwords only over TLS (or when it runs with --allow-insecure-auth)', event.type === 'frame' ? event.frame.type : undefined),
    refuseEmptyPassword: ({ context, event }) =>
      err(context.port, 'bad-password', 'a password cannot be empty', event.type === 'frame' ? event.frame.type : undefined),
    startRegister: ({ context, event }) => {
      if (frameIs(event, 'register') && context.name) context.port.accounts.register(context.name, event.frame.password);
    },
    startChange: ({ context, event }) => {
      if (frameIs(event, 'password') && context.name) context.port.accounts.change(context.name, event.frame.old, event.frame.new);
    },
    sendSaved: ({ context, event }) => {
      if (event.type !== 'account.saved' || !context.name) return;
      context.port.send(event.op === 'password' ? { type: 'registered', name: context.name, changed: true } : { type: 'registered', name: context.name });
    },
    refuseSaved: ({ context, event }) => {
      if (event.type !== 'account.saved') return;
      const re = event.op;
      const name = context.name ?? '';
      const [code, message]: [ErrorCode, string] =
        event.outcome === 'exists' ? ['already-registered', `the nickname "${name}" is registered already`]
        : event.outcome === 'wrong' ? ['auth-failed', 'the old password is wrong']
        : event.outcome === 'missing' ? ['not-registered', `the nickname "${name}" has no account: /register it first`]
        : ['store-unavailable', 'the server cannot keep accounts now'];
      err(context.port, code, message, re);
    },
    keepForLater: ({ context, event }) => {
      if (frameIs(event, 'tell') && context.name) context.port.accounts.keep(context.name, event.frame.to.normalize('NFC'), event.frame.text, stamp(event.now));
    },
    refuseMailboxFull: ({ context, event }) =>
      err(context.port, 'mailbox-full', `${frameIs(event, 'tell') ? event.frame.to : ''} is offline and has ${LIMITS.offlinePerRecipient} messages waiting already: not kept`, 'tell'),
    sendWelcome: ({ context }) => {
      const { port, name, cfg } = context;
      if (!name) return;
      port.welcome(context.presence
        ? { type: 'welcome', v: PROTOCOL_VERSION, name, server: 'messenger', limits: cfg.limits, caps: ['presence'] }
        : { type: 'welcome', v: PROTOCOL_VERSION, name, server: 'messenger', limits: cfg.limits });
      const kept = port.accounts.takeKept(name);
      const messages = kept.length ? [...port.hub.history(), ...kept].sort((a, b) => a.ts - b.ts) : port.hub.history();
      if (messages.length) port.send({ type: 'history', messages });
    },
    refuseVersion: ({ context, event }) =>
      err(context.port, 'bad-version', `this server speaks protocol version ${PROTOCOL_VERSION}${frameIs(event, 'hello') ? `, not ${event.frame.v}` : ''}`, 'hello'),
    refuseName: ({ context, event }) => {
      if (!frameIs(event, 'hello')) return;
      const check = checkNickname(event.frame.name);
      err(context.port, 'invalid-name', check.ok ? 'invalid nickname' : check.reason, 'hello');
    },
    refuseTakenName: ({ context, event }) =>
      err(context.port, 'name-taken', `the nickname "${frameIs(event, 'hello') ? event.frame.name : ''}" is taken`, 'hello'),
    requireHello: ({ context, event }) =>
      err(context.port, 'handshake-required', 'say hello first: {"type":"hello","v":1,"name":"NICK"}', event.type === 'frame' ? event.frame.type : undefined),
    refuseSecondHello: ({ context }) => err(context.port, 'already-online', `you are already online as ${context.name}`, 'hello'),
    answerBadFrame: ({ context, event }) => { if (event.type === 'bad') err(context.port, event.code, event.message); },
    refuseRate: ({ context, event }) => {
      const f = event.type === 'frame' ? event.frame : undefined;
      const message = `slow down: at most ${context.cfg.limits.ratePerSec} frames a second (burst ${context.cfg.limits.burst})`;
      const frame: ServerFrame = { type: 'error', code: 'rate-limited', message };
      if (f) frame.re = f.type;
      // a refused download request names what it refuses, so the client can tell which one
      if (f?.type === 'get') { frame.file = f.file; if (f.ref !== undefined) frame.ref = f.ref; }
      if (f?.type === 'consent' || f?.type === 'stop') frame.id = f.id;
      context.port.send(frame);
    },
    sayAll: ({ context, event }) => {
      if (frameIs(event, 'say') && context.name) context.port.hub.sayAll(context.name, event.frame.text, stamp(event.now));
    },
    tell: ({ context, event }) => {
      if (frameIs(event, 'tell') && context.name) context.port.hub.tell(context.name, event.frame.to, event.frame.text, stamp(event.now));
    },
    refuseUnknownUser: ({ context, event }) =>
      err(context.port, 'unknown-user', `nobody called "${frameIs(event, 'tell') ? event.frame.to : ''}" is online or registered`, 'tell'),
    sendOnline: ({ context }) => context.port.send({ type: 'online', names: context.port.hub.names() }),
    listFiles: ({ context }) => context.port.listFiles(),
    sendHistoryPage: ({ context, event }) => {
      if (!frameIs(event, 'history')) return;
      const limit = Math.min(event.frame.limit ?? LIMITS.historyPageDefault, LIMITS.historyPageMax);
      const { port } = context;
      const answer = (messages: ChatLine[] | null) => {
        if (messages) port.send({ type: 'history', messages, older: true });
        else err(port, 'store-unavailable', 'the server cannot read its history now', 'history');
      };
      const page = port.hub.historyPage?.(limit, event.frame.before) ?? null;
      // a clustered store answers later; a local one at once
      if (page instanceof Promise) page.then(answer, () => answer(null));
      else answer(page);
    },
    forwardTransfer: ({ context, event }) => {
      if (event.type !== 'frame' || !context.name) return;
      const f = event.frame;
      if (f.type === 'get' || f.type === 'consent' || f.type === 'stop') context.port.transfer(f, context.name);
    },
    answerPing: ({ context, event }) => {
      if (frameIs(event, 'ping')) context.port.send(event.frame.t === undefined ? { type: 'pong' } : { type: 'pong', t: event.frame.t });
    },
    sendPing: ({ context }) => context.port.send({ type: 'ping' }),
    notePing: assign({ lastPing: ({ context, event }) => (event.type === 'tick' ? event.now : context.lastPing) }),
    setReasonFromSocket: assign({ closeReason: ({ context, event }) => (event.type === 'socket.closed' ? event.reason : context.closeReason) }),
    setReasonShutdown: assign({ closeReason: ({ context, event }) => (event.type === 'shutdown' ? event.reason : context.closeReason) }),
    setReasonQuit: assign({ closeReason: 'quit' }),
    setReasonIdle: assign({ closeReason: 'idle-timeout' }),
    setHelloTimeout: assign({ closeReason: 'hello-timeout' }),
    setFlood: assign({ closeReason: 'flood' }),
    sayBye: ({ context }) => context.port.send({ type: 'bye', reason: context.closeReason }),
    leave: ({ context }) => {
      if (context.name) context.port.hub.leave(context.name, context.closeReason);
      context.port.ended(context.name, context.closeReason);
    },
    closeSocket: ({ context }) => context.port.close(context.closeReason),
  },
}).createMachine({
  id: 'session',
  context: ({ input }) => ({
    port: input.port,
    cfg: input.cfg ?? DEFAULT_SESSION_CONFIG,
    name: null,
    bucket: fullBucket((input.cfg ?? DEFAULT_SESSION_CONFIG).limits, input.now),
    openedAt: input.now,
    lastHeard: input.now,
    lastPing: input.now,
    refusedInARow: 0,
    closeReason: '',
    pending: null,
    account: false,
    accountOp: null,
    presence: false,
  }),
  initial: 'handshake',
  on: {
    'socket.closed': { target: '.closed', actions: 'setReasonFromSocket' },
    shutdown: { target: '.closing', actions: 'setReasonShutdown' },
  },
  states: {
    handshake: {
      on: {
        tick: { guard: 'isHelloLate', target: 'closing', actions: 'setHelloTimeout' },
        frame: [
          { guard: 'isFlooding', target: 'closing', actions: 'setFlood' },
          { guard: 'isBye', target: 'closing', actions: 'setReasonQuit' },
          { guard: not('withinRate'), actions: ['refuseRate', 'countRefused'] },
          { guard: not('isHello'), actions: ['spendToken', 'requireHello', 'countRefused'] },
          { guard: not('helloVersionOk'), actions: ['spendToken', 'refuseVersion', 'countRefused'] },
          { guard: not('helloNameValid'), actions: ['spendToken', 'refuseName', 'countRefused'] },
          { guard: not('helloNameFree'), actions: ['spendToken', 'refuseTakenName', 'countRefused'] },
          { guard: and(['helloHasPassword', not('passwordAllowed')]), actions: ['spendToken', 'refuseInsecure', 'countRefused'] },
          { guard: and(['helloHasPassword', 'loginBlocked']), actions: ['spendToken', 'refuseBlocked', 'countRefused'] },
          { guard: 'helloHasPassword', target: 'authenticating', actions: ['spendToken', 'noteHeard', 'setPending', 'noteCaps', 'startLogin'] },
          { guard: 'helloNameRegistered', actions: ['spendToken', 'refuseRegistered', 'countRefused'] },
          { guard: 'registrationClosed', actions: ['spendToken', 'refuseAccountRequired', 'countRefused'] },
          { target: 'claiming', actions: ['spendToken', 'noteHeard', 'setPending', 'noteCaps', 'claimName'] },
        ],
        bad: [
          { guard: 'isFlooding', target: 'closing', actions: 'setFlood' },
          { actions: ['answerBadFrame', 'countRefused'] },
        ],
      },
    },
    // the password of a hello is being checked (scrypt, off the event loop): the answer comes as `login.checked`
    authenticating: {
      on: {
        tick: { guard: 'isHelloLate', target: 'closing', actions: 'setHelloTimeout' },
        'login.checked': [
          { guard: and(['loginAccepted', 'pendingNameFree']), target: 'claiming', actions: ['noteLoginOk', 'noteAccount', 'claimName'] },
          // a wrong password; or (a race) someone took the name while its password was checked: refuseLogin says which
          { target: 'handshake', actions: ['refuseLogin', 'clearPending'] },
        ],
        ...waitingForAnswer,
      },
    },
    // the name is being claimed on the hub (atomic across a cluster): the answer comes as `name.claimed`
    claiming: {
      on: {
        tick: { guard: 'isHelloLate', target: 'closing', actions: 'setHelloTimeout' },
        'name.claimed': [
          { guard: 'claimGranted', target: 'chatting', actions: ['takePendingName', 'clearPending', 'clearRefused', 'joinHub', 'sendWelcome'] },
          // another session (on this server or another of the cluster) claimed it first
          { target: 'handshake', actions: ['refuseClaimLost', 'clearPending', 'forgetAccount'] },
        ],
        ...waitingForAnswer,
      },
    },
    chatting: {
      on: {
        'account.saved': [
          { guard: 'savedOk', actions: ['clearAccountOp', 'noteRegistered', 'sendSaved'] },
          { actions: ['clearAccountOp', 'refuseSaved'] },
        ],
        frame: [
          { guard: 'isFlooding', target: 'closing', actions: 'setFlood' },
          // leaving and answering keepalives are never rate limited
          { guard: 'isBye', target: 'closing', actions: 'setReasonQuit' },
          { guard: 'isPong', actions: 'noteHeard' },
          // download control is not rate limited: downloads are capped per client by the transfers host, and a
          // chatty client must still be able to answer its halfway question
          { guard: 'isTransferControl', actions: ['noteHeard', 'clearRefused', 'forwardTransfer'] },
          { guard: not('withinRate'), actions: ['noteHeard', 'refuseRate', 'countRefused'] },
          { guard: 'isSay', actions: ['acceptFrame', 'sayAll'] },
          { guard: and(['isTell', 'recipientOnline']), actions: ['acceptFrame', 'tell'] },
          { guard: and(['isTell', 'recipientRegistered', 'recipientMailboxFull']), actions: ['chargeFrame', 'refuseMailboxFull'] },
          { guard: and(['isTell', 'recipientRegistered']), actions: ['acceptFrame', 'keepForLater'] },
          { guard: 'isTell', actions: ['chargeFrame', 'refuseUnknownUser'] },
          { guard: and(['isRegister', not('passwordAllowed')]), actions: ['chargeFrame', 'refusePasswordInsecure'] },
          { guard: and(['isPasswordChange', not('passwordAllowed')]), actions: ['chargeFrame', 'refusePasswordInsecure'] },
          { guard: 'newPasswordEmpty', actions: ['chargeFrame', 'refuseEmptyPassword'] },
          { guard: and(['isRegister', 'hasAccount']), actions: ['chargeFrame', 'refuseAlreadyRegistered'] },
          { guard: and(['isPasswordChange', not('hasAccount')]), actions: ['chargeFrame', 'refuseNotRegistered'] },
          { guard: 'accountBusy', actions: ['chargeFrame', 'refuseAccountBusy'] },
          { guard: 'isRegister', actions: ['acceptFrame', 'setAccountOp', 'startRegister'] },
          { guard: 'isPasswordChange', actions: ['acceptFrame', 'setAccountOp', 'startChange'] },
          { guard: 'isWho', actions: ['acceptFrame', 'sendOnline'] },
          { guard: 'isFiles', actions: ['acceptFrame', 'listFiles'] },
          { guard: 'isHistory', actions: ['acceptFrame', 'sendHistoryPage'] },
          { guard: 'isPing', actions: ['chargeFrame', 'answerPing'] },
          { guard: 'isHello', actions: ['chargeFrame', 'refuseSecondHello'] },
        ],
        bad: [
          { guard: 'isFlooding', target: 'closing', actions: 'setFlood' },
          { actions: ['noteHeard', 'answerBadFrame', 'countRefused'] },
        ],
        tick: [
          { guard: 'isIdleTooLong', target: 'closing', actions: 'setReasonIdle' },
          { guard: 'isPingDue', actions: ['sendPing', 'notePing'] },
        ],
      },
    },
    closing: {
      entry: ['sayBye', 'closeSocket'],
      on: {
        'socket.closed': { target: 'closed' },
        // already closing: a second shutdown changes nothing (frames that still arrive are ignored: nothing handles them)
        shutdown: {},
      },
    },
    closed: { type: 'final', entry: 'leave' },
  },
});

export type SessionMachine = typeof sessionMachine;
