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
  /** Registers a member under a unique name; false when the name (case-insensitively) is taken. */
  join(name: string, member: Member): boolean;
  leave(name: string, reason: string): void;
  isTaken(name: string): boolean;
  /** A message to everyone online, the sender included (its echo is the receipt); encoded once for all. */
  sayAll(from: string, text: string, ts: number): void;
  /** A private message to `to`, echoed to the sender as its receipt. False when `to` is not online. */
  tell(from: string, to: string, text: string, ts: number): boolean;
  names(): string[];
  history(): ChatLine[];
  /** The newest `limit` messages to all with an id below `before`, oldest first; null when the store cannot be read. */
  historyPage?(limit: number, before?: number): ChatLine[] | null;
}

/** Whatever the hub can deliver to: one encoded line, queued for the member's socket. */
export interface Member {
  write(line: Buffer): void;
}

export interface SessionPort extends Member {
  send(frame: ServerFrame): void;
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
}

export type SessionEvent =
  | { type: 'frame'; frame: ClientFrame; now: number }
  | { type: 'bad'; code: ErrorCode; message: string; now: number }
  | { type: 'tick'; now: number }
  | { type: 'socket.closed'; reason: string }
  | { type: 'shutdown'; reason: string };

export interface SessionInput { port: SessionPort; cfg?: SessionConfig; now: number }

type FrameOf<T extends ClientFrame['type']> = Extract<ClientFrame, { type: T }>;
const frameIs = <T extends ClientFrame['type']>(e: SessionEvent, t: T): e is { type: 'frame'; frame: FrameOf<T>; now: number } =>
  e.type === 'frame' && e.frame.type === t;

function err(port: SessionPort, code: ErrorCode, message: string, re?: string): void {
  port.send(re ? { type: 'error', code, message, re } : { type: 'error', code, message });
}

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
    setName: assign({ name: ({ context, event }) => (frameIs(event, 'hello') ? event.frame.name.normalize('NFC') : context.name) }),
    // the helloNameFree guard checked the name in this same step, so the join succeeds
    joinHub: ({ context }) => { if (context.name) context.port.hub.join(context.name, context.port); },
    sendWelcome: ({ context }) => {
      const { port, name, cfg } = context;
      if (!name) return;
      port.send({ type: 'welcome', v: PROTOCOL_VERSION, name, server: 'messenger', limits: cfg.limits, online: port.hub.names() });
      const messages = port.hub.history();
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
      if (frameIs(event, 'say') && context.name) context.port.hub.sayAll(context.name, event.frame.text, event.now);
    },
    tell: ({ context, event }) => {
      if (frameIs(event, 'tell') && context.name) context.port.hub.tell(context.name, event.frame.to, event.frame.text, event.now);
    },
    refuseUnknownUser: ({ context, event }) =>
      err(context.port, 'unknown-user', `nobody called "${frameIs(event, 'tell') ? event.frame.to : ''}" is online`, 'tell'),
    sendOnline: ({ context }) => context.port.send({ type: 'online', names: context.port.hub.names() }),
    listFiles: ({ context }) => context.port.listFiles(),
    sendHistoryPage: ({ context, event }) => {
      if (!frameIs(event, 'history')) return;
      const limit = Math.min(event.frame.limit ?? LIMITS.historyPageDefault, LIMITS.historyPageMax);
      const messages = context.port.hub.historyPage?.(limit, event.frame.before) ?? null;
      if (messages) context.port.send({ type: 'history', messages, older: true });
      else err(context.port, 'store-unavailable', 'the server cannot read its history now', 'history');
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
          { target: 'chatting', actions: ['spendToken', 'noteHeard', 'clearRefused', 'setName', 'joinHub', 'sendWelcome'] },
        ],
        bad: [
          { guard: 'isFlooding', target: 'closing', actions: 'setFlood' },
          { actions: ['answerBadFrame', 'countRefused'] },
        ],
      },
    },
    chatting: {
      on: {
        frame: [
          { guard: 'isFlooding', target: 'closing', actions: 'setFlood' },
          // leaving and answering keepalives are never rate limited
          { guard: 'isBye', target: 'closing', actions: 'setReasonQuit' },
          { guard: 'isPong', actions: 'noteHeard' },
          // download control is not rate limited: downloads are capped per client by the transfers host, and a
          // chatty client must still be able to answer its halfway question
          { guard: 'isTransferControl', actions: ['noteHeard', 'clearRefused', 'forwardTransfer'] },
          { guard: not('withinRate'), actions: ['noteHeard', 'refuseRate', 'countRefused'] },
          { guard: 'isSay', actions: ['spendToken', 'noteHeard', 'clearRefused', 'sayAll'] },
          { guard: and(['isTell', 'recipientOnline']), actions: ['spendToken', 'noteHeard', 'clearRefused', 'tell'] },
          { guard: 'isTell', actions: ['spendToken', 'noteHeard', 'refuseUnknownUser'] },
          { guard: 'isWho', actions: ['spendToken', 'noteHeard', 'clearRefused', 'sendOnline'] },
          { guard: 'isFiles', actions: ['spendToken', 'noteHeard', 'clearRefused', 'listFiles'] },
          { guard: 'isHistory', actions: ['spendToken', 'noteHeard', 'clearRefused', 'sendHistoryPage'] },
          { guard: 'isPing', actions: ['spendToken', 'noteHeard', 'answerPing'] },
          { guard: 'isHello', actions: ['spendToken', 'noteHeard', 'refuseSecondHello'] },
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
