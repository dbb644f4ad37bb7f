// Round trips as the loss-based controllers count them, and what each round saw: its minimum RTT sample (the queue
// the round found, once the path's floor is subtracted) and the bytes acknowledged and declared lost in it. A round
// ends when a packet sent after it began is acknowledged (RFC 9406 §4.3). HyStart++ reads the per-round minima to
// leave slow start when the queue starts to build; CUBIC reads them to tell a loss at a standing queue (congestion)
// from a loss on an empty path (random loss).
import type { AckedPacketInfo } from './controller.js';

/** RFC 9406 §4.3: the RTT increase that counts as a queue building is min RTT / 8, clamped to [4, 16] ms. */
export const MIN_RTT_THRESH_MS = 4;
export const MAX_RTT_THRESH_MS = 16;
export const MIN_RTT_DIVISOR = 8;

/** The queueing delay (ms above the path's floor) that counts as a queue, for a path whose minimum RTT is `minRtt`;
 *  `floorMs` is the least it may be (RFC 9406's 4 ms unless the caller says otherwise). */
export function rttThreshold(minRtt: number, floorMs = MIN_RTT_THRESH_MS): number {
  if (!Number.isFinite(minRtt)) return floorMs;
  return Math.min(MAX_RTT_THRESH_MS, Math.max(floorMs, minRtt / MIN_RTT_DIVISOR));
}

/** Weight of the newest round in the loss average (about the last eight rounds). */
export const LOSS_AVERAGE_GAIN = 1 / 8;

export class RoundRtt {
  /** Share of bytes lost per round, averaged over about the last 1 / LOSS_AVERAGE_GAIN rounds. */
  lossAverage = 0;
  /** Rounds completed. */
  count = 0;
  /** The current round began when packets sent after this time are acknowledged. */
  private startedAt = -Infinity;
  currentMin = Infinity;
  lastMin = Infinity;
  /** RTT samples in the current round. */
  samples = 0;
  ackedBytes = 0;
  lostBytes = 0;

  /** Processes an ACK; returns true when it began a new round (before its own sample was counted in it). */
  onAck(acked: readonly AckedPacketInfo[], rttSample: number | null, now: number): boolean {
    let began = false;
    const newest = acked[acked.length - 1];
    if (newest && newest.sentAt > this.startedAt) {
      this.count++;
      this.startedAt = now;
      this.lastMin = this.currentMin;
      this.currentMin = Infinity;
      this.samples = 0;
      const total = this.ackedBytes + this.lostBytes;
      if (total > 0) this.lossAverage += (this.lostBytes / total - this.lossAverage) * LOSS_AVERAGE_GAIN;
      this.ackedBytes = 0;
      this.lostBytes = 0;
      began = true;
    }
    for (const p of acked) this.ackedBytes += p.bytes;
    if (rttSample !== null) { this.currentMin = Math.min(this.currentMin, rttSample); this.samples++; }
    return began;
  }

  onLoss(bytes: number): void { this.lostBytes += bytes; }

  /** The newest round's minimum RTT: this round's once it has a sample, else the last round's (Infinity before any). */
  get recentMin(): number { return this.samples > 0 ? this.currentMin : this.lastMin; }

}
