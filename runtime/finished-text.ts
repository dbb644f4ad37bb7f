// The words a finished download is told in, the original system's sentence first. One wording for every view: the
// line-mode client (text, and the `text` field of the JSON event) and the full-screen client.
import type { ClientEvent } from '../machines/client-events.js';

export type FinishedEvent = Extract<ClientEvent, { type: 'finished' }>;

export function finishedText(ev: FinishedEvent): string {
  return `User ${ev.user} downloaded 100% out of file. Last byte is: ${ev.lastByte ?? 'none (empty file)'}. `
    + `${ev.file}: ${ev.size} bytes, SHA-256 ${ev.sha256} verified, ${ev.seconds.toFixed(2)} s, ${(ev.goodput / 1e6).toFixed(1)} MB/s -> ${ev.path}`;
}
