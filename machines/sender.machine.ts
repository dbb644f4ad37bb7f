// One actor per download on the server: offered, sending (window open, window full, recovering), paused awaiting
// consent, finishing, and the endings finished, stopped, cancelled, failed. Per-packet bookkeeping lives in the
// transport core it owns (machines/transport/sender-core.ts); the actor sees one event per ACK datagram and per
// scheduler tick, and decides what the transfer is doing. Sans-I/O: the SenderIO port does the sending.
import { assign, not, setup } from 'xstate';
import type { ErrorCode } from './errors.js';
import type { AckInfo, OutgoingData, SenderCoreApi } from './transport/api.js';

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
  /** A client silent this long (no HELLO or ACK) fails the transfer. */
  silentMs: number;
  /** Packets per tick at most (bounds the time one transfer holds the event loop). */
  burst: number;
  /** How long the halfway question may wait for an answer before the download stops (its port is freed, the
   * partial copy stays resumable): a paused download must not hold a pool port for ever. */
  consentTimeoutMs?: number;
}

export interface SenderContext extends SenderInput {
  outcome: SenderOutput['outcome'];
  lastHeard: number;
  reason: string;
}

export type SenderEvent =
  | { type: 'hello'; now: number }
  | { type: 'ack'; ack: AckInfo; now: number }
  | { type: 'tick'; now: number }
  | { type: 'consent'; answer: 'yes' | 'no' }
  | { type: 'stop' }
  | { type: 'cancel'; reason: string }
  | { type: 'fail'; code: ErrorCode; message: string }
  | { type: 'path.closed' };

export interface SenderOutput { outcome: 'finished' | 'stopped' | 'cancelled' | 'failed'; reason: string; acked: number }

export const DEFAULT_CONSENT_TIMEOUT_MS = 10 * 60_000;

export const senderMachine = setup({
  delays: {
    consentDeadline: ({ context }) => context.consentTimeoutMs ?? DEFAULT_CONSENT_TIMEOUT_MS,
  },
  types: {
    context: {} as SenderContext,
    events: {} as SenderEvent,
    input: {} as SenderInput,
    output: {} as SenderOutput,
  },
  guards: {
    isSilent: ({ context, event }) => event.type === 'tick' && event.now - context.lastHeard > context.silentMs,
    heldComplete: ({ context }) => context.core.heldComplete,
    allAcked: ({ context }) => context.core.complete,
    windowIsFull: ({ context }) => context.core.windowFull,
    inRecovery: ({ context }) => context.core.recovering,
    saidYes: ({ event }) => event.type === 'consent' && event.answer === 'yes',
  },
  actions: {
    noteHeard: assign({ lastHeard: ({ context, event }) => ('now' in event ? Math.max(context.lastHeard, event.now) : context.lastHeard) }),
    applyAck: ({ context, event }) => { if (event.type === 'ack') context.core.onAck(event.ack, event.now); },
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
    setReason: assign({
      reason: ({ context, event }) => {
        switch (event.type) {
          case 'consent': return event.answer === 'no' ? 'declined' : context.reason;
          case 'stop': return 'cancelled by the client';
          case 'cancel': return event.reason;
          case 'fail': return `${event.code}: ${event.message}`;
          case 'tick': return 'the client went silent';
          default: return context.reason;
        }
      },
    }),
    setConsentTimeout: assign({ reason: 'consent-timeout' }),
    tellStopped: ({ context }) => context.io.stopped(context.reason, context.core.ackedBytes),
    tellFailed: ({ context, event }) => {
      if (event.type === 'fail') context.io.failed(event.code, event.message);
      else context.io.failed('transfer-failed', `download failed: ${context.reason}`);
    },
  },
}).createMachine({
  id: 'sender',
  context: ({ input }) => ({ ...input, outcome: 'failed', lastHeard: input.now, reason: '' }),
  initial: 'offered',
  on: {
    cancel: { target: '.cancelled', actions: 'setReason' },
    fail: { target: '.failed', actions: ['setReason', 'tellFailed'] },
  },
  states: {
    offered: {
      on: {
        hello: { target: 'sending', actions: 'noteHeard' },
        tick: { guard: 'isSilent', target: 'failed', actions: ['setReason', 'tellFailed'] },
        stop: { target: 'stopped', actions: ['setReason', 'tellStopped'] },
        consent: {},
      },
    },
    sending: {
      initial: 'windowOpen',
      always: [
        { guard: 'allAcked', target: 'finishing' },
        { guard: 'heldComplete', target: 'pausedAwaitingConsent' },
      ],
      on: {
        hello: { actions: 'noteHeard' },
        ack: { actions: ['noteHeard', 'applyAck'] },
        tick: [
          { guard: 'isSilent', target: 'failed', actions: ['setReason', 'tellFailed'] },
          { actions: 'transmit' },
        ],
        stop: { target: 'stopped', actions: ['setReason', 'tellStopped'] },
        consent: {},
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
      after: { consentDeadline: { target: 'stopped', actions: ['setConsentTimeout', 'tellStopped'] } },
      on: {
        consent: [
          { guard: 'saidYes', target: 'sending', actions: 'allowAll' },
          { target: 'stopped', actions: ['setReason', 'tellStopped'] },
        ],
        // late ACKs still count; the client's silence does not (a person may take their time)
        ack: { actions: ['noteHeard', 'applyAck'] },
        hello: { actions: 'noteHeard' },
        tick: { actions: 'noteHeard' },
        stop: { target: 'stopped', actions: ['setReason', 'tellStopped'] },
      },
    },
    finishing: {
      // the port goes back to the pool before the client hears "complete", so its next request finds it free
      entry: 'closePath',
      on: {
        'path.closed': { target: 'finished', actions: 'sendComplete' },
        // every byte is delivered: a late cancel changes nothing, the client still hears "complete"
        cancel: {}, stop: {}, consent: {}, ack: {}, tick: {}, hello: {},
      },
    },
    finished: { type: 'final', entry: assign({ outcome: 'finished' as const }) },
    stopped: { type: 'final', entry: assign({ outcome: 'stopped' as const }) },
    cancelled: { type: 'final', entry: assign({ outcome: 'cancelled' as const }) },
    failed: { type: 'final', entry: assign({ outcome: 'failed' as const }) },
  },
  output: ({ context }) => ({ outcome: context.outcome, reason: context.reason, acked: context.core.ackedBytes }),
});
