// One actor per download on the server: offered, sending (window open, window full, recovering), paused awaiting
// consent, finishing, and the endings finished, stopped, cancelled, failed. Per-packet bookkeeping lives in the
// transport core it owns (machines/transport/sender-core.ts): the runtime applies each ACK to the core in plain
// code. The actor sees one `tick` per scheduler turn, an `acked` only when an ACK changed something its guards read,
// and the control events; it decides what the transfer is doing. Its one delay (the consent deadline) runs on the
// clock the actor is created with. Sans-I/O: the SenderIO port does the sending.
import { assign, not, setup } from 'xstate';
import type { ErrorCode } from './errors.js';
import { TIMING } from './timing.js';
import type { OutgoingData, SenderCoreApi } from './transport/api.js';

export interface SenderIO {
  /** Puts these DATA packets on the wire now. */
  transmit(packets: OutgoingData[]): void;
  /** The halfway question: every byte before `received` is acknowledged. */
  ask(received: number): void;
  /** Every byte is acknowledged: close the UDP socket and return the port; answer with `path.closed`. */
  closePath(): void;
  /** Tell the client over TCP, with the hash and the last byte (after the port is back in the pool). */
  complete(): void;
  stopped(reason: string, received: number): void;
  failed(code: ErrorCode, message: string): void;
}

export interface SenderInput {
  io: SenderIO;
  core: SenderCoreApi;
  now: number;
  /** A client silent this long (no HELLO or ACK) fails the transfer (default TIMING.senderSilentMs). */
  silentMs?: number;
  /** Packets per tick at most (bounds the time one transfer holds the event loop). */
  burst: number;
  /** How long the halfway question may wait for an answer before the download stops (its port is freed, the
   * partial copy stays resumable): a paused download must not hold a pool port for ever (default
   * TIMING.consentTimeoutMs). */
  consentTimeoutMs?: number;
}

export interface SenderContext {
  io: SenderIO;
  core: SenderCoreApi;
  burst: number;
  silentMs: number;
  consentTimeoutMs: number;
  outcome: SenderOutput['outcome'];
  /** When the client was last heard (HELLO, or the `heardAt` of a tick); a pause counts as heard. */
  lastHeard: number;
  reason: string;
}

export type SenderEvent =
  | { type: 'hello'; now: number }
  /** The runtime applied ACKs to the core and a flag the guards read (complete, heldComplete, windowFull,
   *  recovering) changed: no transition names it, it makes the actor read them again. */
  | { type: 'acked' }
  /** One per scheduler turn; `heardAt` is when the client's last ACK arrived. */
  | { type: 'tick'; now: number; heardAt?: number }
  | { type: 'consent'; answer: 'yes' | 'no' }
  | { type: 'stop' }
  | { type: 'cancel'; reason: string }
  | { type: 'fail'; code: ErrorCode; message: string }
  | { type: 'path.closed' };

export interface SenderOutput { outcome: 'finished' | 'stopped' | 'cancelled' | 'failed'; reason: string; acked: number }

export const senderMachine = setup({
  delays: {
    consentDeadline: ({ context }) => context.consentTimeoutMs,
  },
  types: {
    context: {} as SenderContext,
    events: {} as SenderEvent,
    input: {} as SenderInput,
    output: {} as SenderOutput,
  },
  guards: {
    isSilent: ({ context, event }) => event.type === 'tick' && event.now - Math.max(context.lastHeard, event.heardAt ?? -Infinity) > context.silentMs,
    heldComplete: ({ context }) => context.core.heldComplete,
    allAcked: ({ context }) => context.core.complete,
    windowIsFull: ({ context }) => context.core.windowFull,
    inRecovery: ({ context }) => context.core.recovering,
    saidYes: ({ event }) => event.type === 'consent' && event.answer === 'yes',
  },
  actions: {
    noteHello: assign({ lastHeard: ({ context, event }) => (event.type === 'hello' ? Math.max(context.lastHeard, event.now) : context.lastHeard) }),
    // while a person thinks, the client's silence does not count against it
    notePausedTick: assign({ lastHeard: ({ context, event }) => (event.type === 'tick' ? Math.max(context.lastHeard, event.now) : context.lastHeard) }),
    transmit: ({ context, event }) => {
      if (event.type !== 'tick') return;
      context.core.onTimer(event.now);
      const packets = context.core.poll(event.now, context.burst);
      if (packets.length) context.io.transmit(packets);
    },
    allowAll: ({ context }) => context.core.allowAll(),
    askConsent: ({ context }) => context.io.ask(context.core.ackedBytes),
    closePath: ({ context }) => context.io.closePath(),
    sendComplete: ({ context }) => context.io.complete(),
    setReasonDeclined: assign({ reason: 'declined' }),
    setReasonClientStopped: assign({ reason: 'cancelled by the client' }),
    setReasonCancelled: assign({ reason: ({ context, event }) => (event.type === 'cancel' ? event.reason : context.reason) }),
    setReasonFailed: assign({ reason: ({ context, event }) => (event.type === 'fail' ? `${event.code}: ${event.message}` : context.reason) }),
    setReasonSilent: assign({ reason: 'the client went silent' }),
    setReasonConsentTimeout: assign({ reason: 'consent-timeout' }),
    tellStopped: ({ context }) => context.io.stopped(context.reason, context.core.ackedBytes),
    tellFailed: ({ context, event }) => { if (event.type === 'fail') context.io.failed(event.code, event.message); },
    tellSilent: ({ context }) => context.io.failed('transfer-failed', `download failed: ${context.reason}`),
  },
}).createMachine({
  id: 'sender',
  context: ({ input }) => ({
    io: input.io, core: input.core, burst: input.burst,
    silentMs: input.silentMs ?? TIMING.senderSilentMs, consentTimeoutMs: input.consentTimeoutMs ?? TIMING.consentTimeoutMs,
    outcome: 'failed', lastHeard: input.now, reason: '',
  }),
  initial: 'offered',
  on: {
    cancel: { target: '.cancelled', actions: 'setReasonCancelled' },
    fail: { target: '.failed', actions: ['setReasonFailed', 'tellFailed'] },
  },
  states: {
    offered: {
      on: {
        hello: { target: 'sending', actions: 'noteHello' },
        tick: { guard: 'isSilent', target: 'failed', actions: ['setReasonSilent', 'tellSilent'] },
        stop: { target: 'stopped', actions: ['setReasonClientStopped', 'tellStopped'] },
      },
    },
    sending: {
      initial: 'windowOpen',
      always: [
        { guard: 'allAcked', target: 'finishing' },
        { guard: 'heldComplete', target: 'pausedAwaitingConsent' },
      ],
      on: {
        hello: { actions: 'noteHello' },
        tick: [
          { guard: 'isSilent', target: 'failed', actions: ['setReasonSilent', 'tellSilent'] },
          { actions: 'transmit' },
        ],
        stop: { target: 'stopped', actions: ['setReasonClientStopped', 'tellStopped'] },
      },
      states: {
        windowOpen: {
          always: [
            { guard: 'inRecovery', target: 'recovering' },
            { guard: 'windowIsFull', target: 'windowFull' },
          ],
        },
        windowFull: {
          always: [
            { guard: 'inRecovery', target: 'recovering' },
            { guard: not('windowIsFull'), target: 'windowOpen' },
          ],
        },
        recovering: {
          always: { guard: not('inRecovery'), target: 'windowOpen' },
        },
      },
    },
    pausedAwaitingConsent: {
      entry: 'askConsent',
      after: { consentDeadline: { target: 'stopped', actions: ['setReasonConsentTimeout', 'tellStopped'] } },
      on: {
        consent: [
          { guard: 'saidYes', target: 'sending', actions: 'allowAll' },
          { target: 'stopped', actions: ['setReasonDeclined', 'tellStopped'] },
        ],
        // late ACKs still count (the runtime applies them); the client's silence does not (a person may take their time)
        hello: { actions: 'noteHello' },
        tick: { actions: 'notePausedTick' },
        stop: { target: 'stopped', actions: ['setReasonClientStopped', 'tellStopped'] },
      },
    },
    finishing: {
      // the port goes back to the pool before the client hears "complete", so its next request finds it free
      entry: 'closePath',
      on: {
        // the socket's close callback comes on the next tick: no event from outside can arrive in between
        'path.closed': { target: 'finished', actions: 'sendComplete' },
      },
    },
    finished: { type: 'final', entry: assign({ outcome: 'finished' as const }) },
    stopped: { type: 'final', entry: assign({ outcome: 'stopped' as const }) },
    cancelled: { type: 'final', entry: assign({ outcome: 'cancelled' as const }) },
    failed: { type: 'final', entry: assign({ outcome: 'failed' as const }) },
  },
  output: ({ context }) => ({ outcome: context.outcome, reason: context.reason, acked: context.core.ackedBytes }),
});
