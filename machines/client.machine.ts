// The client's connection: disconnected, connecting, handshaking, online, waiting to reconnect, closed.
// Sans-I/O: the ClientPort opens sockets and writes frames; socket happenings arrive as events.
import { assign, setup } from 'xstate';
import { PROTOCOL_VERSION, type ClientFrame, type ServerFrame } from './frames.js';
import { isErrorCode, NAME_REFUSAL_CODES, REFUSAL_CODES, type ErrorCode } from './errors.js';
import { TIMING } from './timing.js';

export interface ClientPort {
  open(): void;
  send(frame: ClientFrame): void;
  /** Ends the socket (after flushing). */
  end(): void;
  /** The connection became usable (welcome received), or stopped being so. */
  online(welcome: Extract<ServerFrame, { type: 'welcome' }>): void;
  refused(code: ErrorCode, message: string): void;
  lost(reason: string, willRetry: boolean, attempt: number, inMs: number): void;
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
  /** A bye for a server shutdown is followed by reconnect attempts (a person waiting for a restart), not an end. */
  retryAfterShutdown: boolean;
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
export interface ClientTiming { handshakeTimeoutMs: number; closeGraceMs: number; backoffBaseMs: number; maxBackoffMs: number }

export const DEFAULT_CLIENT_TIMING: ClientTiming = {
  handshakeTimeoutMs: TIMING.handshakeTimeoutMs, closeGraceMs: TIMING.closeGraceMs,
  backoffBaseMs: TIMING.backoffBaseMs, maxBackoffMs: TIMING.maxBackoffMs,
};

export interface ClientInput { port: ClientPort; name: string; reconnect: boolean; timing?: Partial<ClientTiming>; retryAfterShutdown?: boolean }

/** The wait before reconnect attempt `attempts + 1`: doubling from the base, capped. */
export function backoffMs(attempts: number, t: Pick<ClientTiming, 'backoffBaseMs' | 'maxBackoffMs'>): number {
  return Math.min(t.maxBackoffMs, t.backoffBaseMs * 2 ** Math.min(attempts, 16));
}

export const clientMachine = setup({
  types: { context: {} as ClientContext, events: {} as ClientMachineEvent, input: {} as ClientInput },
  delays: {
    backoff: ({ context }) => backoffMs(context.attempts - 1, context.timing),
    handshakeDeadline: ({ context }) => context.timing.handshakeTimeoutMs,
    closeGrace: ({ context }) => context.timing.closeGraceMs,
  },
  guards: {
    isWelcome: ({ event }) => event.type === 'frame' && event.frame.type === 'welcome',
    isRefusal: ({ event }) => event.type === 'frame' && event.frame.type === 'error' && REFUSAL_CODES.has(event.frame.code),
    refusedForName: ({ context }) => isErrorCode(context.reason) && NAME_REFUSAL_CODES.has(context.reason),
    isServerBye: ({ event }) => event.type === 'frame' && event.frame.type === 'bye',
    shouldRetry: ({ context, event }) => !(event.type === 'socket.closed' && event.final) && context.reconnect && (context.everOnline || context.attempts > 0)
      && (!context.toldBye || (context.retryAfterShutdown && context.reason === 'server-shutdown') || context.attempts > 0),
  },
  actions: {
    openSocket: ({ context }) => context.port.open(),
    sendHello: ({ context }) => context.port.send({ type: 'hello', v: PROTOCOL_VERSION, name: context.name }),
    sendBye: ({ context }) => context.port.send({ type: 'bye' }),
    endSocket: ({ context }) => context.port.end(),
    markOnline: assign({ attempts: 0, everOnline: true, reason: '', toldBye: false }),
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
    clearReason: assign({ reason: '' }),
    noteBye: assign({ toldBye: true }),
    // the first reason a connection ends for stays (a refusal, a bye): the socket closing after it says less
    noteSocketReason: assign({ reason: ({ context, event }) => (event.type === 'socket.closed' ? context.reason || event.reason : context.reason) }),
    noteByeReason: assign({ reason: ({ context, event }) => (event.type === 'frame' && event.frame.type === 'bye' ? event.frame.reason : context.reason) }),
    setReasonQuit: assign({ reason: 'quit' }),
    setReasonHandshakeTimeout: assign({ reason: 'handshake-timeout' }),
    tellLost: ({ context }) => context.port.lost(context.reason, true, context.attempts, backoffMs(context.attempts - 1, context.timing)),
    tellClosed: ({ context }) => context.port.closed(context.reason),
  },
}).createMachine({
  id: 'client',
  context: ({ input }) => ({
    port: input.port, name: input.name, reconnect: input.reconnect, attempts: 0,
    timing: { ...DEFAULT_CLIENT_TIMING, ...input.timing }, reason: '', everOnline: false, toldBye: false,
    retryAfterShutdown: input.retryAfterShutdown ?? false,
  }),
  initial: 'disconnected',
  states: {
    disconnected: { on: { connect: 'connecting', quit: { target: 'closed', actions: 'setReasonQuit' } } },
    connecting: {
      entry: ['clearReason', 'openSocket'],
      on: {
        'socket.open': 'handshaking',
        'socket.closed': [
          { guard: 'shouldRetry', target: 'waiting', actions: ['noteSocketReason', 'countAttempt', 'tellLost'] },
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
          { guard: 'isRefusal', target: 'refused', actions: ['noteRefusal', 'tellRefused'] },
        ],
        'socket.closed': [
          { guard: 'shouldRetry', target: 'waiting', actions: ['noteSocketReason', 'countAttempt', 'tellLost'] },
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
          { guard: 'shouldRetry', target: 'waiting', actions: ['noteSocketReason', 'countAttempt', 'tellLost'] },
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
