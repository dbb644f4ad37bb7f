// The receiver's pure model, shared by the pure runs (transfer.model.spec.ts) and the runs against the real client
// runtime (receiver.runtime.spec.ts): a recording ReceiverIO, and the events the model graph is explored with.
import type { EventObject } from 'xstate';
import type { ReceiverContext, ReceiverIO } from '../../machines/receiver.machine.js';
import type { Snap } from './paths.js';

export type Ev = EventObject & { label: string };

/** The bytes a halfway question of the model says have arrived. */
export const ASK_AT = 8192;

export class ReceiverLog implements ReceiverIO {
  calls: string[] = [];
  sendHello(): void { this.calls.push('hello'); }
  sendConsent(a: 'yes' | 'no'): void { this.calls.push(`consent:${a}`); }
  sendStop(): void { this.calls.push('stop'); }
  consentAsked(): void { this.calls.push('asked'); }
  progress(): void { this.calls.push('progress'); }
  verify(): void { this.calls.push('verify'); }
  finish(): void { this.calls.push('finish'); }
  keepPartial(reason: string): void { this.calls.push(`keepPartial:${reason}`); }
  fail(code: string): void { this.calls.push(`fail:${code}`); }
}

export /** The model's events; ticks carry the `now` at which their guard holds (computed from the context given). */
function receiverEvents(s: Snap): Ev[] {
  const c = s.context as ReceiverContext;
  const t = Math.max(c.lastData, c.lastHello, c.lastProgress);
  return [
    { type: 'data', now: t, label: 'data' } as Ev,
    { type: 'tick', now: c.lastHello + c.helloEveryMs, label: 'tick(hello due)' } as Ev,
    { type: 'tick', now: c.startedAt + c.connectTimeoutMs + 1, label: 'tick(never connected)' } as Ev,
    { type: 'tick', now: c.lastData + c.silentMs + 1, label: 'tick(server silent)' } as Ev,
    { type: 'tick', now: c.lastProgress + c.progressEveryMs, label: 'tick(progress due)' } as Ev,
    { type: 'ask', received: ASK_AT, label: 'ask' } as Ev,
    { type: 'answer', answer: 'yes', label: 'answer(yes)' } as Ev,
    { type: 'answer', answer: 'no', label: 'answer(no)' } as Ev,
    { type: 'complete', label: 'complete' } as Ev,
    { type: 'verified', label: 'verified' } as Ev,
    { type: 'mismatch', message: 'sha differs', label: 'mismatch' } as Ev,
    { type: 'server.stopped', reason: 'consent-timeout', label: 'server stopped' } as Ev,
    { type: 'server.error', code: 'file-changed', message: 'the file changed on the server', label: 'server error' } as Ev,
    { type: 'stop', label: 'stop' } as Ev,
    { type: 'lost', reason: 'connection lost', label: 'lost' } as Ev,
    { type: 'io.error', message: 'ENOSPC', label: 'io error' } as Ev,
  ];
}
