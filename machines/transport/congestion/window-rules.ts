// The window rules every loss-based controller shares (RFC 9002 §7): the initial and minimum windows, the
// reduction on a congestion event, and recovery-period bookkeeping.
import type { AckedPacketInfo } from './controller.js';

/** RFC 9002 §7.2: 10 datagrams. With 60 KB datagrams that is 600 KB, which loopback drains in well under 1 ms. */
export const INITIAL_WINDOW_DATAGRAMS = 10;
/** RFC 9002 §7.2: the window never goes below 2 datagrams. */
export const MINIMUM_WINDOW_DATAGRAMS = 2;
/** RFC 9002 §7.3.2: the window is halved on a congestion event. */
export const LOSS_REDUCTION_FACTOR = 0.5;

/**
 * Recovery-period bookkeeping (RFC 9002 §7.3.2): a congestion event starts a period at `now`; losses of
 * packets sent before that belong to the same event and cause no further reduction; the period ends when a
 * packet sent after its start is acknowledged.
 */
export class RecoveryPeriod {
  /** Start of the latest period; -Infinity before the first loss. */
  startTime = -Infinity;
  active = false;

  /** Returns true when this loss starts a new period (and so should reduce the window). */
  onLoss(largestLostSentAt: number, now: number): boolean {
    if (largestLostSentAt <= this.startTime) return false;
    this.startTime = now;
    this.active = true;
    return true;
  }

  /** Whether a packet sent at sentAt was already in flight when the latest period began. */
  sentBefore(sentAt: number): boolean { return sentAt <= this.startTime; }

  onAck(acked: readonly AckedPacketInfo[]): void {
    if (this.active && acked.some((p) => p.sentAt > this.startTime)) this.active = false;
  }
}
