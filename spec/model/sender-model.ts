// The pure model of the sender (machines/sender.machine.ts), shared by the pure runs (transfer.model.spec.ts) and the
// runtime runs (sender.runtime.spec.ts). The sender's guards read its transport core, so the model gives it a fake
// core held in its context whose flags (window full, recovering, halfway held, complete) the generated events
// toggle: the runtime applies ACKs to the core in plain code and the actor reads the flags on its next event. The
// recording IO port and the invariants of every state live here too.
import { expect } from 'chai';
import { assign, type AnyStateMachine, type EventObject } from 'xstate';
import { senderMachine, type SenderContext, type SenderIO } from '../../machines/sender.machine.js';
import type { OutgoingData, SenderCoreApi } from '../../machines/transport/api.js';
import { coveringPaths, edgePaths, stateText, transitionsOf, type Snap } from './paths.js';

export type Ev = EventObject & { label: string };

export interface Flags { windowFull: boolean; recovering: boolean; heldComplete: boolean; complete: boolean; ackedBytes: number }
export const FLAGS: Flags = { windowFull: false, recovering: false, heldComplete: false, complete: false, ackedBytes: 0 };

export class SenderLog implements SenderIO {
  calls: string[] = [];
  transmit(p: OutgoingData[]): void { this.calls.push(`transmit:${p.length}`); }
  ask(): void { this.calls.push('ask'); }
  closePath(): void { this.calls.push('closePath'); }
  complete(): void { this.calls.push('complete'); }
  stopped(): void { this.calls.push('stopped'); }
  failed(): void { this.calls.push('failed'); }
}

const withEffect = ({ context, event }: { context: SenderContext; event: EventObject }) =>
  ({ ...context.core, ...(event as { effect?: Partial<Flags> }).effect }) as SenderCoreApi;

/** The sender with a fake core: a plain record in its context that the model's events change (assign runs while
 *  xstate/graph explores, so the graph sees the flags move). */
export const senderModel = (senderMachine as AnyStateMachine).provide({
  actions: {
    transmit: assign({ core: withEffect }),
    allowAll: assign({ core: ({ context }: { context: SenderContext }) => ({ ...context.core, heldComplete: false }) }),
  },
}) as AnyStateMachine;

export const SILENT_MS = 3000;
export function senderEvents(s: Snap): Ev[] {
  const c = s.context as SenderContext;
  const now = c.lastHeard;
  // ACKs change the core between ticks; the tick that follows sees the change
  const ack = (label: string, effect: Partial<Flags>): Ev => ({ type: 'tick', now, effect, label } as Ev);
  return [
    { type: 'hello', now, label: 'hello' } as Ev,
    ack('ack(window opens)', { windowFull: false }),
    ack('ack(loss: recovery)', { recovering: true }),
    ack('ack(recovered)', { recovering: false }),
    ack('ack(halfway acked)', { heldComplete: true }),
    ack('ack(all acked)', { complete: true }),
    { type: 'tick', now, label: 'tick(window fills)', effect: { windowFull: true } } as Ev,
    { type: 'tick', now: now + SILENT_MS + 1, label: 'tick(client silent)' } as Ev,
    { type: 'consent', answer: 'yes', label: 'consent(yes)' } as Ev,
    { type: 'consent', answer: 'no', label: 'consent(no)' } as Ev,
    { type: 'stop', label: 'stop' },
    { type: 'cancel', reason: 'the client left (gone)', label: 'cancel' } as Ev,
    { type: 'fail', code: 'io-error', message: 'disk', label: 'fail' } as Ev,
    { type: 'path.closed', label: 'path closed' },
  ];
}
export const senderInput = () => ({ io: new SenderLog(), core: { ...FLAGS } as unknown as SenderCoreApi, now: 0, silentMs: SILENT_MS, burst: 8 });
export const senderKey = (s: Snap) => {
  const c = s.context as SenderContext;
  const f = c.core as unknown as Flags;
  return JSON.stringify([s.value, f.windowFull, f.recovering, f.heldComplete, f.complete]);
};

export function checkSender(s: Snap, io: SenderLog): void {
  const where = `in ${stateText(s)}`;
  const count = (x: string) => io.calls.filter((c) => c === x).length;
  if (s.status === 'done') {
    const out = s.output as { outcome: string };
    expect(out.outcome, `outcome ${where}`).to.equal(String(s.value));
  }
  if (s.matches('finished')) {
    // finished is only reached through finishing: the UDP path was closed (the port released) first
    expect(count('closePath'), 'closePath once before finished').to.equal(1);
    if (count('complete')) expect(io.calls.indexOf('closePath'), 'closePath before complete').to.be.lessThan(io.calls.indexOf('complete'));
  }
  if (s.matches('finishing')) expect(count('closePath'), `closePath once ${where}`).to.equal(1);
  if (s.matches('stopped')) expect(count('stopped'), `told stopped ${where}`).to.equal(1);
  if (s.matches('failed')) expect(count('failed'), `told failed ${where}`).to.equal(1);
  if (s.matches('pausedAwaitingConsent')) expect(io.calls.at(-1), `asked ${where}`).to.equal('ask');
  expect(count('complete') + count('stopped') + count('failed'), `one last word at most ${where}`).to.be.at.most(1);
}

/** Every edge of the sender's model graph as a path, and the covering subset (shortest first). */
export const senderPaths = edgePaths({ machine: senderModel, input: senderInput, events: senderEvents, serializeState: senderKey });
export const senderCovering = coveringPaths(senderPaths, (p) => transitionsOf(senderModel, senderInput, p));

/** The model's core flags in a snapshot of the model. */
export const flagsIn = (s: Snap): Flags => (s.context as SenderContext).core as unknown as Flags;
