// The client's connection: disconnected, connecting, handshaking, online, waiting to reconnect, closed.
// Sans-I/O: the ClientPort opens sockets and writes frames; socket happenings arrive as events. A client may be given
// several servers (`--host A,B`): the machine says which one (an index) each attempt goes to, turning to the next one
// after every failed attempt, and how long to wait before it (a backoff per round over the list, with jitter from an
// injected random source); the runtime knows their addresses.
import { assign, setup } from 'xstate';
import { PROTOCOL_VERSION, type ClientFrame, type ServerFrame } from './frames.js';
import { isErrorCode, NAME_REFUSAL_CODES, REFUSAL_CODES, type ErrorCode } from './errors.js';
import { LIMITS } from './limits.js';
import { TIMING } from './timing.js';

export interface ClientPort {
  /** Opens a connection to server number `server` of the list (0 when there is one). */
  open(server: number): void;
  send(frame: ClientFrame): void;
  /** Ends the socket (after flushing). */
  end(): void;
  /** The connection became usable (welcome received), or stopped being so. */
  online(welcome: Extract<ServerFrame, { type: 'welcome' }>): void;
  refused(code: ErrorCode, message: string): void;
  /** The connection was lost (or an attempt failed): attempt number `attempt` goes to server `server` in `inMs`. */
  lost(reason: string, willRetry: boolean, attempt: number, inMs: number, server: number): void;
  closed(reason: string): void;
}

export interface ClientContext {
  port: ClientPort;
  name: string;
  reconnect: boolean;
  attempts: number;
  timing: ClientTiming;
  reason: string;
  everOnline: boolean;
  /** The server said bye: its decision to end this session is final (but see retryAfterShutdown). */
  toldBye: boolean;
  /** A bye for a server shutdown is followed by reconnect attempts (a person waiting for a restart), not an end
   *  (with several servers it always is: the client moves to another). */
  retryAfterShutdown: boolean;
  /** How many servers the client was given, and the one the current (or next) attempt goes to. */
  hostCount: number;
  server: number;
  /** Reconnect attempts in a row before the client gives up (Infinity: never, the default with one server). */
  maxAttempts: number;
  /** The wait before the next attempt, drawn when the attempt was counted. */
  waitMs: number;
  /** `name-taken` refusals in a row while coming back (the old session not yet noticed as gone). */
  nameRetakes: number;
  /** A number in [0, 1) for the jitter; without one there is none (the full backoff). */
  random: () => number;
}

export type ClientMachineEvent =
  | { type: 'connect' }
  | { type: 'socket.open' }
  /** `final`: the runtime refused this server (its TLS identity changed, its handshake failed): never retried. */
  | { type: 'socket.closed'; reason: string; final?: boolean }
  | { type: 'frame'; frame: ServerFrame }
  | { type: 'rename'; name: string }
  | { type: 'quit' };

/** The client's durations (defaults in machines/timing.ts). */
export interface ClientTiming { handshakeTimeoutMs: number; closeGraceMs: number; backoffBaseMs: number; maxBackoffMs: number; backoffJitter: number }

export const DEFAULT_CLIENT_TIMING: ClientTiming = {
  handshakeTimeoutMs: TIMING.handshakeTimeoutMs, closeGraceMs: TIMING.closeGraceMs,
  backoffBaseMs: TIMING.backoffBaseMs, maxBackoffMs: TIMING.maxBackoffMs, backoffJitter: TIMING.backoffJitter,
};

export interface ClientInput {
  port: ClientPort; name: string; reconnect: boolean; timing?: Partial<ClientTiming>; retryAfterShutdown?: boolean;
  /** How many servers (default 1). */
  servers?: number;
  /** Attempts in a row before giving up (default: unbounded). */
  maxAttempts?: number;
  /** The jitter's random source, [0, 1) (default: none, the full backoff every time). */
  random?: () => number;
}

/** The wait before reconnect attempt `attempts + 1`: doubling from the base, capped. */
export function backoffMs(attempts: number, t: Pick<ClientTiming, 'backoffBaseMs' | 'maxBackoffMs'>): number {
  return Math.min(t.maxBackoffMs, t.backoffBaseMs * 2 ** Math.min(attempts, 16));
}

/** The wait before attempt number `attempt` (1-based) over `hostCount` servers: the backoff doubles once per round
 *  over the list (with one server: once per attempt), less a random part of up to `backoffJitter` of it (`r` in
 *  [0, 1)). */
export function retryWaitMs(attempt: number, hostCount: number, t: Pick<ClientTiming, 'backoffBaseMs' | 'maxBackoffMs' | 'backoffJitter'>, r: number): number {
  const full = backoffMs(Math.floor((attempt - 1) / Math.max(1, hostCount)), t);
  return Math.round(full * (1 - Math.min(1, Math.max(0, t.backoffJitter)) * Math.min(1, Math.max(0, r))));
}

export const clientMachine = setup({
  types: { context: {} as ClientContext, events: {} as ClientMachineEvent, input: {} as ClientInput },
  delays: {
    backoff: ({ context }) => context.waitMs,
    handshakeDeadline: ({ context }) => context.timing.handshakeTimeoutMs,
    closeGrace: ({ context }) => context.timing.closeGraceMs,
  },
  guards: {
    isWelcome: ({ event }) => event.type === 'frame' && event.frame.type === 'welcome',
    isRefusal: ({ event }) => event.type === 'frame' && event.frame.type === 'error' && REFUSAL_CODES.has(event.frame.code),
    refusedForName: ({ context }) => isErrorCode(context.reason) && NAME_REFUSAL_CODES.has(context.reason),
    isServerBye: ({ event }) => event.type === 'frame' && event.frame.type === 'bye',
    // a first connection that fails ends the client, unless there are other servers to try; a lost one is retried
    // (after a bye only for a shutdown, when asked to or when there are other servers), up to maxAttempts in a row
    shouldRetry: ({ context, event }) => !(event.type === 'socket.closed' && event.final) && context.reconnect
      && context.attempts < context.maxAttempts && (context.everOnline || context.attempts > 0 || context.hostCount > 1)
      && (!context.toldBye || ((context.retryAfterShutdown || context.hostCount > 1) && context.reason === 'server-shutdown') || context.attempts > 0),
    // coming back, the name is still taken: the old session is not yet noticed as gone (a dead cluster node's users
    // leave within seconds; a server that missed our socket closing holds it up to its idle timeout): retried a while
    nameTakenOnReturn: ({ context, event }) => event.type === 'frame' && event.frame.type === 'error' && event.frame.code === 'name-taken'
      && context.everOnline && context.reconnect && context.nameRetakes < LIMITS.nameRetakeTries && context.attempts < context.maxAttempts,
  },
  actions: {
    openSocket: ({ context }) => context.port.open(context.server),
    sendHello: ({ context }) => context.port.send({ type: 'hello', v: PROTOCOL_VERSION, name: context.name }),
    sendBye: ({ context }) => context.port.send({ type: 'bye' }),
    endSocket: ({ context }) => context.port.end(),
    markOnline: assign({ attempts: 0, everOnline: true, reason: '', toldBye: false, nameRetakes: 0 }),
    tellOnline: ({ context, event }) => {
      if (event.type === 'frame' && event.frame.type === 'welcome') context.port.online(event.frame);
      void context;
    },
    tellRefused: ({ context, event }) => {
      if (event.type === 'frame' && event.frame.type === 'error') context.port.refused(event.frame.code, event.frame.message);
    },
    noteRefusal: assign({ reason: ({ context, event }) => (event.type === 'frame' && event.frame.type === 'error' ? event.frame.code : context.reason) }),
    rename: assign({ name: ({ context, event }) => (event.type === 'rename' ? event.name : context.name) }),
    countAttempt: assign({ attempts: ({ context }) => context.attempts + 1 }),
    countNameRetake: assign({ nameRetakes: ({ context }) => context.nameRetakes + 1 }),
    nextServer: assign({ server: ({ context }) => (context.server + 1) % context.hostCount }),
    drawBackoff: assign({ waitMs: ({ context }) => retryWaitMs(context.attempts, context.hostCount, context.timing, context.random()) }),
    clearReason: assign({ reason: '' }),
    noteBye: assign({ toldBye: true }),
    // the first reason a connection ends for stays (a refusal, a bye): the socket closing after it says less
    noteSocketReason: assign({ reason: ({ context, event }) => (event.type === 'socket.closed' ? context.reason || event.reason : context.reason) }),
    noteByeReason: assign({ reason: ({ context, event }) => (event.type === 'frame' && event.frame.type === 'bye' ? event.frame.reason : context.reason) }),
    setReasonQuit: assign({ reason: 'quit' }),
    setReasonHandshakeTimeout: assign({ reason: 'handshake-timeout' }),
    tellLost: ({ context }) => context.port.lost(context.reason, true, context.attempts, context.waitMs, context.server),
    tellClosed: ({ context }) => context.port.closed(context.reason),
  },
}).createMachine({
  id: 'client',
  context: ({ input }) => ({
    port: input.port, name: input.name, reconnect: input.reconnect, attempts: 0,
    timing: { ...DEFAULT_CLIENT_TIMING, ...input.timing }, reason: '', everOnline: false, toldBye: false,
    retryAfterShutdown: input.retryAfterShutdown ?? false,
    hostCount: Math.max(1, input.servers ?? 1), server: 0, maxAttempts: input.maxAttempts ?? Infinity, waitMs: 0, nameRetakes: 0,
    random: input.random ?? (() => 0),
  }),
  initial: 'disconnected',
  states: {
    disconnected: { on: { connect: 'connecting', quit: { target: 'closed', actions: 'setReasonQuit' } } },
    connecting: {
      entry: ['clearReason', 'openSocket'],
      on: {
        'socket.open': 'handshaking',
        'socket.closed': [
          { guard: 'shouldRetry', target: 'waiting', actions: ['noteSocketReason', 'countAttempt', 'nextServer', 'drawBackoff', 'tellLost'] },
          { target: 'closed', actions: 'noteSocketReason' },
        ],
        quit: { target: 'closed', actions: ['setReasonQuit', 'endSocket'] },
      },
    },
    handshaking: {
      entry: 'sendHello',
      after: { handshakeDeadline: { target: 'closing', actions: 'setReasonHandshakeTimeout' } },
      on: {
        frame: [
          { guard: 'isWelcome', target: 'online', actions: ['markOnline', 'tellOnline'] },
          // the same server again (it is alive; the name is what it waits for)
          { guard: 'nameTakenOnReturn', target: 'waiting', actions: ['noteRefusal', 'endSocket', 'countNameRetake', 'countAttempt', 'drawBackoff', 'tellLost'] },
          { guard: 'isRefusal', target: 'refused', actions: ['noteRefusal', 'tellRefused'] },
        ],
        'socket.closed': [
          { guard: 'shouldRetry', target: 'waiting', actions: ['noteSocketReason', 'countAttempt', 'nextServer', 'drawBackoff', 'tellLost'] },
          { target: 'closed', actions: 'noteSocketReason' },
        ],
        quit: { target: 'closing', actions: ['setReasonQuit', 'sendBye'] },
      },
    },
    refused: {
      on: {
        rename: { target: 'handshaking', actions: ['clearReason', 'rename'] },
        // leaving after a refusal: the refusal stays the reason
        quit: { target: 'closing', actions: 'sendBye' },
        // the server's hello deadline ran out while a person chose another name: connect again with it
        'socket.closed': [
          { guard: 'refusedForName', target: 'refusedOffline' },
          { target: 'closed' },
        ],
      },
    },
    refusedOffline: {
      on: {
        rename: { target: 'connecting', actions: 'rename' },
        quit: 'closed',
      },
    },
    online: {
      on: {
        frame: { guard: 'isServerBye', actions: ['noteByeReason', 'noteBye'] },
        'socket.closed': [
          { guard: 'shouldRetry', target: 'waiting', actions: ['noteSocketReason', 'countAttempt', 'nextServer', 'drawBackoff', 'tellLost'] },
          { target: 'closed', actions: 'noteSocketReason' },
        ],
        quit: { target: 'closing', actions: ['setReasonQuit', 'sendBye'] },
      },
    },
    waiting: {
      after: { backoff: 'connecting' },
      on: { quit: { target: 'closed', actions: 'setReasonQuit' } },
    },
    closing: {
      entry: 'endSocket',
      after: { closeGrace: 'closed' },
      on: { 'socket.closed': 'closed' },
    },
    closed: { type: 'final', entry: 'tellClosed' },
  },
});
