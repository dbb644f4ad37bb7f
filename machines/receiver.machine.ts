// One actor per download on the client: connecting (HELLO until data flows), receiving, awaiting consent, stopping,
// verifying, and the endings finished, stopped, interrupted, failed. Per-datagram work (the receiver core, file
// writes, ACKs) happens in the runtime's endpoint; the actor sees coarse events: data flowing, ticks, and the
// control frames that arrive over TCP. Sans-I/O: the ReceiverIO port acts.
import { assign, raise, setup } from 'xstate';
import { TIMING } from './timing.js';
import type { ErrorCode } from './errors.js';

export interface ReceiverIO {
  sendHello(): void;
  sendConsent(answer: 'yes' | 'no'): void;
  sendStop(): void;
  consentAsked(received: number): void;
  progress(): void;
  /** Checks the whole file against the offered SHA-256; answers with `verified` or `mismatch`. */
  verify(): void;
  /** Renames the finished file into place and reports it. */
  finish(): void;
  /** Keeps the partial file (resumable) and reports it. */
  keepPartial(reason: string): void;
  fail(code: ErrorCode, message: string): void;
}

export interface ReceiverInput {
  io: ReceiverIO;
  now: number;
  autoYes: boolean;
  helloEveryMs?: number;
  connectTimeoutMs?: number;
  silentMs?: number;
  progressEveryMs?: number;
  stopGraceMs?: number;
}

export interface ReceiverContext {
  io: ReceiverIO;
  autoYes: boolean;
  helloEveryMs: number;
  connectTimeoutMs: number;
  silentMs: number;
  progressEveryMs: number;
  stopGraceMs: number;
  startedAt: number;
  lastData: number;
  lastHello: number;
  lastProgress: number;
  reason: string;
}

export type ReceiverEvent =
  | { type: 'data'; now: number }
  | { type: 'tick'; now: number }
  | { type: 'ask'; received: number }
  | { type: 'answer'; answer: 'yes' | 'no' }
  | { type: 'complete' }
  | { type: 'verified' }
  | { type: 'mismatch'; message: string }
  | { type: 'server.stopped'; reason: string }
  | { type: 'server.error'; code: ErrorCode; message: string }
  | { type: 'stop' }
  | { type: 'lost'; reason: string }
  | { type: 'io.error'; message: string };

export const receiverMachine = setup({
  types: { context: {} as ReceiverContext, events: {} as ReceiverEvent, input: {} as ReceiverInput },
  delays: { stopGrace: ({ context }) => context.stopGraceMs, connectTimeout: ({ context }) => context.connectTimeoutMs },
  guards: {
    helloDue: ({ context, event }) => event.type === 'tick' && event.now - context.lastHello >= context.helloEveryMs,
    neverConnected: ({ context, event }) => event.type === 'tick' && event.now - context.startedAt > context.connectTimeoutMs,
    serverSilent: ({ context, event }) => event.type === 'tick' && event.now - context.lastData > context.silentMs,
    progressDue: ({ context, event }) => event.type === 'tick' && event.now - context.lastProgress >= context.progressEveryMs,
    isAutoYes: ({ context }) => context.autoYes,
    saidYes: ({ event }) => event.type === 'answer' && event.answer === 'yes',
  },
  actions: {
    sendHello: ({ context }) => context.io.sendHello(),
    noteHello: assign({ lastHello: ({ context, event }) => ('now' in event ? event.now : context.lastHello) }),
    noteData: assign({ lastData: ({ context, event }) => ('now' in event ? event.now : context.lastData) }),
    noteProgress: assign({ lastProgress: ({ context, event }) => ('now' in event ? event.now : context.lastProgress) }),
    progress: ({ context }) => context.io.progress(),
    tellConsent: ({ context, event }) => { if (event.type === 'ask') context.io.consentAsked(event.received); },
    answerYesNow: raise({ type: 'answer', answer: 'yes' }),
    sendAnswer: ({ context, event }) => { if (event.type === 'answer') context.io.sendConsent(event.answer); },
    sendStop: ({ context }) => context.io.sendStop(),
    verify: ({ context }) => context.io.verify(),
    finish: ({ context }) => context.io.finish(),
    setReasonDeclined: assign({ reason: 'declined' }),
    setReasonCancelled: assign({ reason: 'cancelled' }),
    // the server's stop comes after our own reason (declined, cancelled) when there is one
    setReasonServerStopped: assign({ reason: ({ context, event }) => (event.type === 'server.stopped' ? context.reason || event.reason : context.reason) }),
    setReasonLost: assign({ reason: ({ context, event }) => (event.type === 'lost' ? event.reason : context.reason) }),
    keepPartial: ({ context }) => context.io.keepPartial(context.reason || 'stopped'),
    failNeverConnected: ({ context }) => context.io.fail('transfer-failed', 'no data arrived from the server (is UDP blocked?)'),
    failNeverResumed: ({ context }) => context.io.fail('transfer-failed', 'no data arrived after the answer yes'),
    failSilent: ({ context }) => context.io.fail('transfer-failed', 'the server went silent during the download'),
    failServer: ({ context, event }) => { if (event.type === 'server.error') context.io.fail(event.code, event.message); },
    failMismatch: ({ context, event }) => { if (event.type === 'mismatch') context.io.fail('hash-mismatch', event.message); },
    failIo: ({ context, event }) => { if (event.type === 'io.error') context.io.fail('io-error', event.message); },
  },
}).createMachine({
  id: 'receiver',
  context: ({ input }) => ({
    io: input.io, autoYes: input.autoYes,
    helloEveryMs: input.helloEveryMs ?? TIMING.helloEveryMs, connectTimeoutMs: input.connectTimeoutMs ?? TIMING.connectTimeoutMs,
    silentMs: input.silentMs ?? TIMING.receiverSilentMs, progressEveryMs: input.progressEveryMs ?? TIMING.progressEveryMs,
    stopGraceMs: input.stopGraceMs ?? TIMING.stopGraceMs,
    startedAt: input.now, lastData: input.now, lastHello: input.now, lastProgress: input.now, reason: '',
  }),
  initial: 'connecting',
  on: {
    'server.error': { target: '.failed', actions: 'failServer' },
    'io.error': { target: '.failed', actions: ['sendStop', 'failIo'] },
    lost: { target: '.interrupted', actions: ['setReasonLost', 'keepPartial'] },
    'server.stopped': { target: '.stopped', actions: ['setReasonServerStopped', 'keepPartial'] },
    stop: { target: '.stopping', actions: ['setReasonCancelled', 'sendStop'] },
  },
  states: {
    connecting: {
      entry: 'sendHello',
      on: {
        data: { target: 'receiving', actions: 'noteData' },
        complete: 'verifying',
        tick: [
          { guard: 'neverConnected', target: 'failed', actions: 'failNeverConnected' },
          { guard: 'helloDue', actions: ['sendHello', 'noteHello'] },
        ],
      },
    },
    receiving: {
      on: {
        data: { actions: 'noteData' },
        ask: [
          { guard: 'isAutoYes', target: 'awaitingConsent', actions: ['tellConsent', 'answerYesNow'] },
          { target: 'awaitingConsent', actions: 'tellConsent' },
        ],
        complete: 'verifying',
        tick: [
          { guard: 'serverSilent', target: 'failed', actions: 'failSilent' },
          { guard: 'progressDue', actions: ['progress', 'noteProgress'] },
        ],
      },
    },
    awaitingConsent: {
      on: {
        answer: [
          { guard: 'saidYes', target: 'resuming', actions: 'sendAnswer' },
          { target: 'stopping', actions: ['setReasonDeclined', 'sendAnswer'] },
        ],
      },
    },
    resuming: {
      // the path may have gone quiet while a person thought: say HELLO again until data flows
      entry: 'sendHello',
      after: { connectTimeout: { target: 'failed', actions: 'failNeverResumed' } },
      on: {
        data: { target: 'receiving', actions: 'noteData' },
        // the answer did not get through (refused): the question stands
        ask: { target: 'awaitingConsent', actions: 'tellConsent' },
        complete: 'verifying',
        tick: { guard: 'helloDue', actions: ['sendHello', 'noteHello'] },
      },
    },
    stopping: {
      after: { stopGrace: { target: 'stopped', actions: 'keepPartial' } },
      // a second stop changes nothing; data and answers that still arrive are ignored (nothing handles them)
      on: { stop: {} },
    },
    verifying: {
      entry: 'verify',
      on: {
        verified: { target: 'finished', actions: 'finish' },
        mismatch: { target: 'failed', actions: 'failMismatch' },
        // every byte is here: a stop, a lost connection or the server's stop no longer change the outcome
        stop: {}, lost: {}, 'server.stopped': {},
      },
    },
    finished: { type: 'final' },
    stopped: { type: 'final' },
    interrupted: { type: 'final' },
    failed: { type: 'final' },
  },
});
