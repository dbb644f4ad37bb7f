// A BBRv1-style controller (Cardwell et al., "BBR: Congestion-Based Congestion Control", and
// draft-cardwell-iccrg-bbr-congestion-control-00). It models the path as a bottleneck bandwidth (windowed max
// of delivery-rate samples over 10 round trips) and a round-trip propagation time (min RTT over 10 s), paces
// at pacing_gain * BtlBw and caps inflight at cwnd_gain * BDP. Random loss does not shrink the window: only
// persistent congestion (a blackout) collapses it, which is what keeps goodput up on lossy links.
import type { CongestionControlName } from '../api.js';
import type { RttEstimator } from '../rtt.js';
import type { RateSample } from '../sent-packets.js';
import type { AckEvent, CongestionController, CongestionEvent } from './controller.js';
import { RecoveryPeriod, INITIAL_WINDOW_DATAGRAMS } from './window-rules.js';
import { WindowedMax } from './windowed-max.js';

/** 2/ln 2: the smallest gain that doubles the delivery rate each round in startup. */
export const STARTUP_GAIN = 2 / Math.LN2;
export const DRAIN_GAIN = 1 / STARTUP_GAIN;
/** One probe phase above the estimate, one draining phase below it, six cruising phases. */
export const PROBE_BW_GAINS: readonly number[] = [1.25, 0.75, 1, 1, 1, 1, 1, 1];
export const PROBE_BW_CWND_GAIN = 2;
export const BTLBW_FILTER_ROUNDS = 10;
export const MIN_RTT_EXPIRY_MS = 10_000;
export const PROBE_RTT_DURATION_MS = 200;
/** Startup ends when the bandwidth estimate grew by less than 25% in three consecutive rounds. */
const FULL_BW_GROWTH = 1.25;
const FULL_BW_ROUNDS = 3;
/** Enough inflight to keep delayed ACKs flowing (one ack per two packets) even in ProbeRTT. */
export const MIN_PIPE_CWND_DATAGRAMS = 4;
/** cwnd headroom above gain*BDP for ACK aggregation and send quanta. */
const CWND_QUANTA_DATAGRAMS = 3;
/** ACK aggregation (Linux BBR's extra_acked): the max excess over this many rounds, in two alternating halves. */
export const EXTRA_ACKED_WINDOW_ROUNDS = 5;
/** ...and never more than this much time's worth of data at the flow's own bottleneck-rate estimate. Linux allows
 * 100 ms (Wi-Fi and cellular aggregate ACKs that long); ours come in event-loop batches of a few ms, and 100 ms let
 * flows that saw bursty ACKs (client processes starved for CPU) inflate their windows and starve the others at a
 * shared bottleneck: Jain's index over 16 flows fell to 0.2-0.3. 10 ms keeps the loopback gain (2 MB at 200 MB/s). */
export const EXTRA_ACKED_MAX_MS = 10;
/** ProbeBW phases to start in (all but the draining one), chosen per entry to desynchronize competing flows. */
const PROBE_BW_START_PHASES = [0, 2, 3, 4, 5, 6, 7];

export type BbrMode = 'startup' | 'drain' | 'probe-bw' | 'probe-rtt';

export class Bbr implements CongestionController {
  readonly name: CongestionControlName = 'bbr';
  mode: BbrMode = 'startup';
  private cwnd: number;
  private readonly initialWindow: number;
  private readonly btlBwFilter = new WindowedMax(BTLBW_FILTER_ROUNDS);
  private minRtt = Infinity;
  private minRttStamp: number;
  private minRttExpired = false;
  private roundCount = 0;
  private nextRoundDelivered = 0;
  private roundStart = false;
  private delivered = 0;
  private fullBw = 0;
  private fullBwCount = 0;
  filledPipe = false;
  private cycleIndex = 0;
  private cycleStamp = 0;
  private lossInCycle = false;
  private probeRttDoneStamp: number | null = null;
  private probeRttRoundDone = false;
  private priorCwnd = 0;
  private pacing = 0; // bytes per second; 0 until first computed
  private readonly recovery = new RecoveryPeriod();
  private readonly extraAcked = [0, 0];
  private extraAckedIndex = 0;
  private extraAckedRounds = 0;
  private ackEpochStart: number;
  private ackEpochAcked = 0;

  constructor(private readonly maxDatagram: number, now: number) {
    this.initialWindow = INITIAL_WINDOW_DATAGRAMS * maxDatagram;
    this.cwnd = this.initialWindow;
    this.minRttStamp = now;
    this.ackEpochStart = now;
  }

  get recovering(): boolean { return this.recovery.active; }
  /** Bottleneck bandwidth estimate, bytes per second. */
  get btlBw(): number { return this.btlBwFilter.best; }
  window(): number { return this.cwnd; }
  onSent(): void { /* the pacer enforces the rate */ }

  pacingRate(rtt: Readonly<RttEstimator>): number {
    if (this.pacing === 0) this.pacing = (STARTUP_GAIN * this.cwnd * 1000) / Math.max(rtt.smoothed, 1e-3);
    return this.pacing;
  }

  onAck(ev: AckEvent, now: number): void {
    this.recovery.onAck(ev.acked);
    let acked = 0;
    for (const p of ev.acked) acked += p.bytes;
    if (ev.rttSample !== null) this.updateMinRtt(ev.rttSample, now);
    if (ev.rate) { this.updateRound(ev.rate); this.updateBtlBw(ev.rate, ev.rtt.minRtt); }
    this.updateAckAggregation(acked, now);
    this.checkCyclePhase(ev.bytesInFlight, now);
    this.checkFullPipe(ev.rate);
    this.checkDrain(ev.bytesInFlight, now);
    this.checkProbeRtt(ev.bytesInFlight, now);
    this.updatePacingRate(ev.rtt);
    this.updateCwnd(acked);
    this.roundStart = false;
  }

  onCongestionEvent(ev: CongestionEvent, now: number): void {
    this.recovery.onLoss(ev.largestLostSentAt, now);
    this.lossInCycle = true;
    if (ev.persistent) this.cwnd = this.minPipe; // the path went away: restart from a trickle, not from BDP
  }

  // ------------------------------------------------------------------------------------------- model

  private bdp(gain = 1): number {
    if (this.btlBw === 0 || !Number.isFinite(this.minRtt)) return this.initialWindow;
    return (gain * this.btlBw * this.minRtt) / 1000;
  }

  private get minPipe(): number { return MIN_PIPE_CWND_DATAGRAMS * this.maxDatagram; }

  private updateRound(rs: RateSample): void {
    this.delivered = Math.max(this.delivered, rs.priorDelivered + rs.delivered);
    if (rs.priorDelivered >= this.nextRoundDelivered) {
      this.nextRoundDelivered = this.delivered;
      this.roundCount++;
      this.roundStart = true;
      this.btlBwFilter.expire(this.roundCount);
    }
  }

  private updateBtlBw(rs: RateSample, pathMinRtt: number): void {
    // An interval shorter than the path's RTT came from ACK compression and would overestimate the rate.
    if (rs.interval < pathMinRtt) return;
    // App-limited samples understate the path; take them only when they beat the current estimate anyway.
    if (rs.isAppLimited && rs.deliveryRate < this.btlBw) return;
    this.btlBwFilter.update(this.roundCount, rs.deliveryRate);
  }

  private updateMinRtt(sample: number, now: number): void {
    this.minRttExpired = now > this.minRttStamp + MIN_RTT_EXPIRY_MS;
    if (sample <= this.minRtt || this.minRttExpired) { this.minRtt = sample; this.minRttStamp = now; }
  }

  /**
   * How much more data arrives in ACK bursts than the bandwidth estimate explains (Linux's
   * bbr_update_ack_aggregation). Where the receiver acknowledges in bursts (a busy event loop, a host that
   * processes datagrams in batches, delayed or compressed ACKs), the RTT grows well above minRtt while the path's
   * BDP does not: a cwnd of 2 * btlBw * minRtt then starves the pipe between bursts, and since the delivery rate
   * measured is what that cwnd allowed, the estimate spirals down. The excess is added to the cwnd.
   */
  private updateAckAggregation(acked: number, now: number): void {
    if (acked <= 0) return;
    if (this.roundStart && ++this.extraAckedRounds >= EXTRA_ACKED_WINDOW_ROUNDS) {
      this.extraAckedRounds = 0;
      this.extraAckedIndex ^= 1;
      this.extraAcked[this.extraAckedIndex] = 0;
    }
    let expected = (this.btlBw * (now - this.ackEpochStart)) / 1000;
    // ACKs at or below the expected rate: a new epoch starts here
    if (this.ackEpochAcked <= expected) { this.ackEpochAcked = 0; this.ackEpochStart = now; expected = 0; }
    this.ackEpochAcked += acked;
    const extra = Math.min(this.ackEpochAcked - expected, this.cwnd);
    if (extra > this.extraAcked[this.extraAckedIndex]!) this.extraAcked[this.extraAckedIndex] = extra;
  }

  /** The cwnd allowance for ACK aggregation (once the pipe is known full, as in Linux). */
  get aggregationWindow(): number {
    if (!this.filledPipe) return 0;
    // the quanta headroom already covers the usual ACK every other datagram: only the excess beyond it counts
    const extra = Math.max(this.extraAcked[0]!, this.extraAcked[1]!) - CWND_QUANTA_DATAGRAMS * this.maxDatagram;
    return Math.max(0, Math.min(extra, (this.btlBw * EXTRA_ACKED_MAX_MS) / 1000));
  }

  // ------------------------------------------------------------------------------------------- modes

  private checkFullPipe(rs: RateSample | null): void {
    if (this.filledPipe || !this.roundStart || !rs || rs.isAppLimited) return;
    if (this.btlBw >= this.fullBw * FULL_BW_GROWTH) { this.fullBw = this.btlBw; this.fullBwCount = 0; return; }
    if (++this.fullBwCount >= FULL_BW_ROUNDS) this.filledPipe = true;
  }

  private checkDrain(inflight: number, now: number): void {
    if (this.mode === 'startup' && this.filledPipe) this.mode = 'drain';
    if (this.mode === 'drain' && inflight <= this.bdp()) this.enterProbeBw(now);
  }

  private enterProbeBw(now: number): void {
    this.mode = 'probe-bw';
    this.cycleIndex = PROBE_BW_START_PHASES[this.roundCount % PROBE_BW_START_PHASES.length]!;
    this.cycleStamp = now;
    this.lossInCycle = false;
  }

  private checkCyclePhase(inflight: number, now: number): void {
    if (this.mode !== 'probe-bw') return;
    const gain = PROBE_BW_GAINS[this.cycleIndex]!;
    const fullLength = now - this.cycleStamp > this.minRtt;
    let advance = fullLength;
    // Probe until the extra data is actually in the pipe (or loss says it is full); drain until it left.
    if (gain > 1) advance = fullLength && (this.lossInCycle || inflight >= this.bdp(gain));
    else if (gain < 1) advance = fullLength || inflight <= this.bdp();
    if (!advance) return;
    this.cycleIndex = (this.cycleIndex + 1) % PROBE_BW_GAINS.length;
    this.cycleStamp = now;
    this.lossInCycle = false;
  }

  private checkProbeRtt(inflight: number, now: number): void {
    if (this.mode !== 'probe-rtt' && this.minRttExpired) {
      this.mode = 'probe-rtt';
      this.priorCwnd = Math.max(this.priorCwnd, this.cwnd);
      this.probeRttDoneStamp = null;
      this.minRttExpired = false;
    }
    if (this.mode !== 'probe-rtt') return;
    if (this.probeRttDoneStamp === null) {
      if (inflight > this.minPipe) return; // wait for the queue to drain
      this.probeRttDoneStamp = now + PROBE_RTT_DURATION_MS;
      this.probeRttRoundDone = false;
      this.nextRoundDelivered = this.delivered;
      return;
    }
    if (this.roundStart) this.probeRttRoundDone = true;
    if (!this.probeRttRoundDone || now < this.probeRttDoneStamp) return;
    this.minRttStamp = now;
    this.cwnd = Math.max(this.cwnd, this.priorCwnd);
    this.priorCwnd = 0;
    if (this.filledPipe) this.enterProbeBw(now); else this.mode = 'startup';
  }

  // ----------------------------------------------------------------------------------- rate and window

  private get pacingGain(): number {
    switch (this.mode) {
      case 'startup': return STARTUP_GAIN;
      case 'drain': return DRAIN_GAIN;
      case 'probe-bw': return PROBE_BW_GAINS[this.cycleIndex]!;
      case 'probe-rtt': return 1;
    }
  }

  private get cwndGain(): number {
    return this.mode === 'probe-bw' ? PROBE_BW_CWND_GAIN : this.mode === 'probe-rtt' ? 1 : STARTUP_GAIN;
  }

  private updatePacingRate(rtt: Readonly<RttEstimator>): void {
    if (this.btlBw === 0) { this.pacingRate(rtt); return; }
    const rate = this.pacingGain * this.btlBw;
    // Until the pipe is known full, never lower the rate: early samples underestimate the path.
    if (this.filledPipe || rate > this.pacing) this.pacing = rate;
  }

  private updateCwnd(acked: number): void {
    const target = this.bdp(this.cwndGain) + CWND_QUANTA_DATAGRAMS * this.maxDatagram + this.aggregationWindow;
    if (this.filledPipe) this.cwnd = Math.min(this.cwnd + acked, target);
    else if (this.cwnd < target || this.delivered < this.initialWindow) this.cwnd += acked;
    this.cwnd = Math.max(this.cwnd, this.minPipe);
    if (this.mode === 'probe-rtt') this.cwnd = Math.min(this.cwnd, this.minPipe);
  }
}
