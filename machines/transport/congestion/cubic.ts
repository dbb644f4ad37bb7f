// CUBIC (RFC 9438) with HyStart++ (RFC 9406) and a tolerance for random loss: the default controller.
//
// After a loss the window follows W(t) = C*(t-K)^3 + W_max, flat around the window where the last loss happened and
// probing fast away from it, so growth does not depend on the RTT; the Reno-friendly estimate W_est keeps it at least
// as aggressive as Reno on short-RTT paths. Windows are bytes; the curve is defined in datagrams, hence the
// `maxDatagram` factors. This is the algorithm Linux's TCP runs by default, so at a shared drop-tail queue our flows
// and TCP flows back off by the same rule and converge on the same share (docs/DESIGN.md has the measurements).
//
// Slow start ends by HyStart++ when the RTT shows a queue building, rather than by a burst of losses.
//
// Random-loss tolerance: a loss counts as congestion only when it comes with a queue, that is when the smoothed RTT
// or the newest round's minimum RTT is above the path's minimum by the HyStart++ threshold (4-16 ms), or when more
// than RANDOM_LOSS_CEILING (4%) of the bytes of about the last eight rounds were lost (a policer that drops without
// queueing, or a flow that joined a full queue and took it for the path's floor). A drop-tail
// bottleneck drops only when its queue is full, so congestion losses always come with the queue; random loss on an
// idle path does not, and CUBIC's 30% cut for it would leave a 2%-loss path a quarter used (Mathis). The lost bytes
// are retransmitted either way; only the window's reaction differs.
//
// Bandwidth floor (after TCP Westwood+): a congestion event never cuts the window below what the path holds without
// a queue at the rate this flow was delivering (the largest delivery-rate sample of the last two rounds times the
// path's minimum RTT). That cut still empties the queue the loss came from, which is all a reduction is for; on a
// path whose buffer is shallow against its RTT (under ~40% of it) CUBIC's 30% would also empty the pipe and leave the
// link idle while the curve climbs back, and a random loss that happens to meet a few ms of queue costs no more than
// the queue. Where the buffer is deep (a 50 ms drop-tail queue on a sub-ms path) 0.7 * cwnd is far above the floor,
// and the reduction is CUBIC's own, so sharing with TCP CUBIC is unchanged. Above the loss ceiling there is no floor.
//
// Both additions read the path's minimum RTT, which a flow that starts into a queue others keep full never sees: to
// it the queue is the floor, its losses look random and its floor is its whole window. 16 flows on a 20 Mbit/s,
// 50 ms queue (virtual time) took shares from 0.39 to 1.98 (Jain 0.79) that way; the loss ceiling over an eight-round
// average catches them (Jain 0.955; a TCP-like CUBIC 0.99), at the price of random loss above 4% being treated as
// congestion (5% loss: 91% of the link with a two-round 15% ceiling, 22-36% now).
import type { CongestionControlName } from '../api.js';
import type { RttEstimator } from '../rtt.js';
import type { AckEvent, CongestionController, CongestionEvent } from './controller.js';
import { HyStartPlusPlus } from './hystart.js';
import { RoundRtt, rttThreshold } from './round-rtt.js';
import { WindowedMax } from './windowed-max.js';
import { RecoveryPeriod, INITIAL_WINDOW_DATAGRAMS, MINIMUM_WINDOW_DATAGRAMS } from './window-rules.js';

/** RFC 9438 §5: the cubic scaling constant, in datagrams per second cubed. */
export const CUBIC_C = 0.4;
/** RFC 9438 §4.6: multiplicative decrease factor. */
export const CUBIC_BETA = 0.7;
/** RFC 9438 §4.3: Reno-friendly additive increase, so that W_est matches Reno's average throughput. */
export const CUBIC_ALPHA = (3 * (1 - CUBIC_BETA)) / (1 + CUBIC_BETA);
/** RFC 9438 §4.4: the target never exceeds 1.5 * cwnd, bounding per-RTT growth. */
const MAX_TARGET_RATIO = 1.5;
/** Above this share of lost bytes (averaged over about eight rounds) every loss is congestion, queue or not, and the
 *  cut is CUBIC's own, with no bandwidth floor: a policer, a dying link, or a path whose minimum RTT this flow never
 *  saw (one that joined a queue already full: its "floor" is the queue, so neither test above can see it). BBRv3 draws
 *  the same line at 2% per round. */
export const RANDOM_LOSS_CEILING = 0.04;
/** Pacing gain over cwnd/srtt: doubling per round in slow start needs 2 (Linux uses 2, then 1.2). */
export const SLOW_START_PACING_GAIN = 2;
export const AVOIDANCE_PACING_GAIN = 1.25;
/** Rounds over which the largest delivery-rate sample is kept for the bandwidth floor. */
export const FLOOR_RATE_ROUNDS = 2;

export interface CubicOptions {
  /** Leave slow start by HyStart++ (default true). */
  hystart?: boolean;
  /** Ignore losses that come without a queue (default true). */
  tolerateRandomLoss?: boolean;
  /** Never cut below delivery rate x min RTT on a congestion event (default true). */
  bandwidthFloor?: boolean;
}

export class Cubic implements CongestionController {
  readonly name: CongestionControlName = 'cubic';
  private cwnd: number;
  private ssthresh = Infinity;
  private wMax = 0;          // bytes: window just before the last reduction
  private k = 0;             // seconds from epoch start until W(t) reaches wMax
  private epochStart: number | null = null;
  private wEst = 0;          // bytes: the Reno-friendly estimate
  private readonly recovery = new RecoveryPeriod();
  private readonly rounds = new RoundRtt();
  private readonly hystart: HyStartPlusPlus | null;
  private readonly tolerate: boolean;
  /** Largest delivery rate (bytes/s) of the last FLOOR_RATE_ROUNDS rounds, or null when the floor is off. */
  private readonly deliveryRate: WindowedMax | null;
  private pathMinRtt = Infinity;
  private pathSrtt = Infinity;
  /** Congestion events ignored as random loss, and counted as congestion (for stats and tests). */
  randomLosses = 0;
  congestionLosses = 0;

  constructor(private readonly maxDatagram: number, opts: CubicOptions = {}) {
    this.cwnd = INITIAL_WINDOW_DATAGRAMS * maxDatagram;
    this.hystart = opts.hystart === false ? null : new HyStartPlusPlus();
    this.tolerate = opts.tolerateRandomLoss !== false;
    this.deliveryRate = opts.bandwidthFloor === false ? null : new WindowedMax(FLOOR_RATE_ROUNDS);
  }

  get recovering(): boolean { return this.recovery.active; }
  get inSlowStart(): boolean { return this.cwnd < this.ssthresh; }
  get slowStartThreshold(): number { return this.ssthresh; }
  window(): number { return this.cwnd; }
  onSent(): void { /* window-based */ }

  pacingRate(rtt: Readonly<RttEstimator>): number {
    const gain = this.inSlowStart ? SLOW_START_PACING_GAIN : AVOIDANCE_PACING_GAIN;
    return (gain * this.cwnd * 1000) / Math.max(rtt.smoothed, 1e-3);
  }

  onAck(ev: AckEvent, now: number): void {
    this.recovery.onAck(ev.acked);
    this.pathMinRtt = ev.rtt.minRtt;
    this.pathSrtt = ev.rtt.hasSample ? ev.rtt.smoothed : Infinity;
    const roundBegan = this.rounds.onAck(ev.acked, ev.rttSample, now);
    this.sampleRate(ev);
    if (ev.appLimited) return;
    let acked = 0;
    for (const p of ev.acked) if (!this.recovery.sentBefore(p.sentAt)) acked += p.bytes;
    if (acked === 0) return;
    if (this.inSlowStart) { this.slowStart(acked, roundBegan); return; }
    this.congestionAvoidance(acked, ev.rtt.smoothed, now);
  }

  /** Keeps the delivery rate for the floor: samples from app-limited sending are lower bounds and those over an
   *  interval shorter than the path's RTT come from ACK compression, so neither is kept. */
  private sampleRate(ev: AckEvent): void {
    if (!this.deliveryRate) return;
    const r = ev.rate;
    if (r && !r.isAppLimited && r.interval >= ev.rtt.minRtt) this.deliveryRate.update(this.rounds.count, r.deliveryRate);
    else this.deliveryRate.expire(this.rounds.count);
  }

  /** Bytes the path holds at this flow's delivery rate with no queue (0 when unknown or the floor is off). */
  get bandwidthFloor(): number {
    if (!this.deliveryRate || !Number.isFinite(this.pathMinRtt)) return 0;
    return (this.deliveryRate.best * this.pathMinRtt) / 1000;
  }

  private slowStart(acked: number, roundBegan: boolean): void {
    const divisor = this.hystart ? this.hystart.onAck(this.rounds, roundBegan) : 1;
    if (divisor === 0) { this.ssthresh = this.cwnd; return; } // HyStart++: on to congestion avoidance
    this.cwnd += acked / divisor;
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

  /** Losses above RANDOM_LOSS_CEILING on average: congestion whatever the RTT says. */
  private get heavyLoss(): boolean { return this.rounds.lossAverage > RANDOM_LOSS_CEILING; }

  /** Whether a loss now is congestion: a queue stands (or loss is heavy), or tolerance is off. */
  private congestive(): boolean {
    if (!this.tolerate) return true;
    if (this.heavyLoss) return true;
    // The queue as the smoothed RTT sees it, or as the newest round's minimum does, whichever is larger: a bursty
    // sender (a starved process catching up) can see rounds whose minimum finds the queue drained between bursts
    // that overflow it, and took such congestion losses for random ones (800 drops in 17 s at 100 Mbit/s).
    const recent = Math.max(this.rounds.recentMin, this.pathSrtt);
    // no RTT sample yet: nothing says the path is idle, so count it
    if (!Number.isFinite(recent) || !Number.isFinite(this.pathMinRtt)) return true;
    return recent - this.pathMinRtt >= rttThreshold(this.pathMinRtt);
  }

  onCongestionEvent(ev: CongestionEvent, now: number): void {
    this.rounds.onLoss(ev.lostBytes);
    if (ev.persistent) {
      this.hystart?.end();
      this.ssthresh = Math.max(this.cwnd * CUBIC_BETA, this.minWindow);
      this.cwnd = this.minWindow;
      this.epochStart = null;
      this.recovery.onLoss(ev.largestLostSentAt, now);
      return;
    }
    if (ev.largestLostSentAt <= this.recovery.startTime) return; // same event as the last reduction
    if (!this.congestive()) { this.randomLosses++; return; }
    this.recovery.onLoss(ev.largestLostSentAt, now);
    this.congestionLosses++;
    this.hystart?.end();
    // Fast convergence (§4.7): a flow losing below its previous maximum releases bandwidth to newer flows.
    this.wMax = this.cwnd < this.wMax ? (this.cwnd * (1 + CUBIC_BETA)) / 2 : this.cwnd;
    const floor = this.heavyLoss ? 0 : Math.min(this.bandwidthFloor, this.cwnd);
    this.ssthresh = Math.max(this.cwnd * CUBIC_BETA, floor, this.minWindow);
    this.cwnd = this.ssthresh;
    this.epochStart = null;
  }

  private get minWindow(): number { return MINIMUM_WINDOW_DATAGRAMS * this.maxDatagram; }
}
