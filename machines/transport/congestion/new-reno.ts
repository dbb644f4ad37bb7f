// NewReno as specified by RFC 9002 §7 and Appendix B: slow start, congestion avoidance (one datagram per
// window per RTT), halving on a congestion event, collapse to the minimum window on persistent congestion.
import type { CongestionControlName } from '../api.js';
import type { AckEvent, CongestionController, CongestionEvent } from './controller.js';
import { RecoveryPeriod, INITIAL_WINDOW_DATAGRAMS, LOSS_REDUCTION_FACTOR, MINIMUM_WINDOW_DATAGRAMS } from './window-rules.js';

export class NewReno implements CongestionController {
  readonly name: CongestionControlName = 'newreno';
  private cwnd: number;
  private ssthresh = Infinity;
  /** Acked bytes not yet turned into window growth during congestion avoidance. */
  private caCredit = 0;
  private readonly recovery = new RecoveryPeriod();

  constructor(private readonly maxDatagram: number) {
    this.cwnd = INITIAL_WINDOW_DATAGRAMS * maxDatagram;
  }

  get recovering(): boolean { return this.recovery.active; }
  get slowStartThreshold(): number { return this.ssthresh; }
  window(): number { return this.cwnd; }

  onSent(): void { /* window-based: nothing to do per packet */ }

  onAck(ev: AckEvent, _now: number): void {
    this.recovery.onAck(ev.acked);
    if (ev.appLimited) return; // RFC 9002 §7.8: no growth when the window was not being used
    for (const p of ev.acked) {
      if (this.recovery.sentBefore(p.sentAt)) continue; // acks of pre-recovery packets do not grow the window
      if (this.cwnd < this.ssthresh) { this.cwnd += p.bytes; continue; }
      // Congestion avoidance: one datagram per cwnd bytes acknowledged, counted exactly (no float drift).
      this.caCredit += p.bytes;
      if (this.caCredit >= this.cwnd) { this.caCredit -= this.cwnd; this.cwnd += this.maxDatagram; }
    }
  }

  onCongestionEvent(ev: CongestionEvent, now: number): void {
    if (this.recovery.onLoss(ev.largestLostSentAt, now)) {
      this.ssthresh = Math.max(this.cwnd * LOSS_REDUCTION_FACTOR, this.minWindow);
      this.cwnd = this.ssthresh;
      this.caCredit = 0;
    }
    if (ev.persistent) { this.cwnd = this.minWindow; this.caCredit = 0; } // §7.6.2: back to slow start
  }

  private get minWindow(): number { return MINIMUM_WINDOW_DATAGRAMS * this.maxDatagram; }
}
