// CUBIC (RFC 9438): after a loss the window follows W(t) = C*(t-K)^3 + W_max, flat around the window where
// the last loss happened and probing fast away from it, so growth does not depend on the RTT. The
// Reno-friendly estimate W_est keeps it at least as aggressive as Reno on short-RTT paths, where the cubic
// curve is slower. Windows are bytes; the curve is defined in datagrams, hence the `maxDatagram` factors.
import type { CongestionControlName } from '../api.js';
import type { AckEvent, CongestionController, CongestionEvent } from './controller.js';
import { RecoveryPeriod, INITIAL_WINDOW_DATAGRAMS, MINIMUM_WINDOW_DATAGRAMS } from './window-rules.js';

/** RFC 9438 §5: the cubic scaling constant, in datagrams per second cubed. */
export const CUBIC_C = 0.4;
/** RFC 9438 §4.6: multiplicative decrease factor. */
export const CUBIC_BETA = 0.7;
/** RFC 9438 §4.3: Reno-friendly additive increase, so that W_est matches Reno's average throughput. */
export const CUBIC_ALPHA = (3 * (1 - CUBIC_BETA)) / (1 + CUBIC_BETA);
/** RFC 9438 §4.4: the target never exceeds 1.5 * cwnd, bounding per-RTT growth. */
const MAX_TARGET_RATIO = 1.5;

export class Cubic implements CongestionController {
  readonly name: CongestionControlName = 'cubic';
  private cwnd: number;
  private ssthresh = Infinity;
  private wMax = 0;          // bytes: window just before the last reduction
  private k = 0;             // seconds from epoch start until W(t) reaches wMax
  private epochStart: number | null = null;
  private wEst = 0;          // bytes: the Reno-friendly estimate
  private readonly recovery = new RecoveryPeriod();

  constructor(private readonly maxDatagram: number) {
    this.cwnd = INITIAL_WINDOW_DATAGRAMS * maxDatagram;
  }

  get recovering(): boolean { return this.recovery.active; }
  window(): number { return this.cwnd; }
  onSent(): void { /* window-based */ }

  onAck(ev: AckEvent, now: number): void {
    this.recovery.onAck(ev.acked);
    if (ev.appLimited) return;
    let acked = 0;
    for (const p of ev.acked) if (!this.recovery.sentBefore(p.sentAt)) acked += p.bytes;
    if (acked === 0) return;
    if (this.cwnd < this.ssthresh) { this.cwnd += acked; return; } // slow start, as in Reno
    this.congestionAvoidance(acked, ev.rtt.smoothed, now);
  }

  private congestionAvoidance(acked: number, srttMs: number, now: number): void {
    if (this.epochStart === null) this.startEpoch(now);
    const t = (now - this.epochStart!) / 1000;
    const target = Math.min(Math.max(this.wCubic(t + srttMs / 1000), this.cwnd), MAX_TARGET_RATIO * this.cwnd);
    // Once W_est passes the old maximum, Reno would be probing fresh capacity: use Reno's own slope (§4.3).
    const alpha = this.wEst >= this.wMax ? 1 : CUBIC_ALPHA;
    this.wEst += (alpha * this.maxDatagram * acked) / this.cwnd;
    if (this.wCubic(t) < this.wEst) {
      this.cwnd = Math.max(this.cwnd, this.wEst); // Reno-friendly region
    } else {
      this.cwnd += ((target - this.cwnd) * acked) / this.cwnd;
    }
  }

  private startEpoch(now: number): void {
    this.epochStart = now;
    if (this.wMax <= this.cwnd) { // no loss yet, or already past the old maximum: start on the plateau
      this.wMax = this.cwnd;
      this.k = 0;
    } else {
      this.k = Math.cbrt((this.wMax - this.cwnd) / this.maxDatagram / CUBIC_C);
    }
    this.wEst = this.cwnd;
  }

  /** W(t) in bytes, t in seconds since the epoch start. */
  private wCubic(t: number): number {
    return CUBIC_C * this.maxDatagram * (t - this.k) ** 3 + this.wMax;
  }

  onCongestionEvent(ev: CongestionEvent, now: number): void {
    if (this.recovery.onLoss(ev.largestLostSentAt, now)) {
      // Fast convergence (§4.7): a flow losing below its previous maximum releases bandwidth to newer flows.
      this.wMax = this.cwnd < this.wMax ? (this.cwnd * (1 + CUBIC_BETA)) / 2 : this.cwnd;
      this.ssthresh = Math.max(this.cwnd * CUBIC_BETA, this.minWindow);
      this.cwnd = this.ssthresh;
      this.epochStart = null;
    }
    if (ev.persistent) { this.cwnd = this.minWindow; this.epochStart = null; }
  }

  private get minWindow(): number { return MINIMUM_WINDOW_DATAGRAMS * this.maxDatagram; }
}
