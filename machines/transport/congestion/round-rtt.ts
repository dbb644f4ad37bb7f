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

/** The queueing delay (ms above the path's floor) that counts as a queue, for a path whose minimum RTT is `minRtt`. */
export function rttThreshold(minRtt: number): number {
  if (!Number.isFinite(minRtt)) return MIN_RTT_THRESH_MS;
  return Math.min(MAX_RTT_THRESH_MS, Math.max(MIN_RTT_THRESH_MS, minRtt / MIN_RTT_DIVISOR));
}

export class RoundRtt {
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
  lastAckedBytes = 0;
  lastLostBytes = 0;

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
      this.lastAckedBytes = this.ackedBytes;
      this.lastLostBytes = this.lostBytes;
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

  /** Share of the bytes of this round and the last one that were declared lost. */
  get lossRate(): number {
    const lost = this.lostBytes + this.lastLostBytes;
    const total = lost + this.ackedBytes + this.lastAckedBytes;
    return total > 0 ? lost / total : 0;
  }
}
