// HyStart++ (RFC 9406): leaves slow start when the RTT shows a queue building, before the window overshoots into a
// burst of losses. In slow start, when a round's minimum RTT exceeds the last round's by max(1 ms, min(16 ms,
// minRTT/8)) (the RFC's floor is 4 ms: see HYSTART_MIN_RTT_THRESH_MS), it enters Conservative Slow Start (growth divided by 4) for up to 5 rounds: if the RTT falls back
// below the baseline (the increase was jitter), slow start resumes; otherwise congestion avoidance begins. Our
// sender paces, so the per-ACK growth limit L is infinite (§4.2).
import type { RoundRtt } from './round-rtt.js';
import { rttThreshold } from './round-rtt.js';

export const N_RTT_SAMPLE = 8;
export const CSS_GROWTH_DIVISOR = 4;
export const CSS_ROUNDS = 5;
/**
 * The least RTT increase that leaves slow start: 1 ms, not RFC 9406's 4 ms, on paths whose minimum RTT is under
 * 32 ms (above, minRTT / 8 rules as in the RFC). On a sub-millisecond path (a LAN, the kernel bed: 0.2 ms) 4 ms of
 * queue is 20 round trips of it, and the first of several downloads left slow start with a window eight times the
 * others', which CUBIC then took many seconds to even out: 4 flows at 100 Mbit/s, 50 ms queue, virtual time, Jain
 * 0.84 -> 0.96 over seconds 4-12 (a TCP-like CUBIC without HyStart: 0.94). Jitter that crosses 1 ms is answered by
 * conservative slow start, which goes back to slow start when the RTT falls back below its baseline.
 */
export const HYSTART_MIN_RTT_THRESH_MS = 1;

export type HyStartPhase = 'slow-start' | 'css' | 'done';

export class HyStartPlusPlus {
  phase: HyStartPhase = 'slow-start';
  private cssBaselineMinRtt = Infinity;
  private cssRounds = 0;

  /**
   * Called on each ACK in slow start, after `rounds` took it; returns the divisor for this ACK's window growth
   * (1 in slow start, CSS_GROWTH_DIVISOR in CSS), or 0 when slow start is over (the caller sets ssthresh = cwnd).
   */
  onAck(rounds: Readonly<RoundRtt>, roundBegan: boolean): number {
    if (this.phase === 'done') return 0;
    if (this.phase === 'slow-start') {
      if (rounds.samples >= N_RTT_SAMPLE && Number.isFinite(rounds.currentMin) && Number.isFinite(rounds.lastMin)
        && rounds.currentMin >= rounds.lastMin + rttThreshold(rounds.lastMin, HYSTART_MIN_RTT_THRESH_MS)) {
        this.phase = 'css';
        this.cssBaselineMinRtt = rounds.currentMin;
        this.cssRounds = 0;
      }
      return this.phase === 'css' ? CSS_GROWTH_DIVISOR : 1;
    }
    // CSS: the RTT fell back below the baseline: the increase was not a queue, back to slow start
    if (rounds.samples >= N_RTT_SAMPLE && rounds.currentMin < this.cssBaselineMinRtt) {
      this.phase = 'slow-start';
      this.cssBaselineMinRtt = Infinity;
      return 1;
    }
    if (roundBegan && ++this.cssRounds >= CSS_ROUNDS) { this.phase = 'done'; return 0; }
    return CSS_GROWTH_DIVISOR;
  }

  /** A loss or a timeout ends slow start (and CSS) for good. */
  end(): void { this.phase = 'done'; }
}
