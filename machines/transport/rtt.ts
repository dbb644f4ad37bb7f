// RTT estimation per RFC 9002 §5, and the probe timeout (§6.2.1).

/** Before any sample. RFC 9002 says 333 ms for the open Internet; our peers are near (LAN, loopback, one
 *  region), and a lower value lets the first PTO fire sooner when the handshake-time estimate is unknown. */
export const INITIAL_RTT_MS = 100;
/** Timer granularity: the runtime's timers tick at about 1 ms, so no timeout may be shorter. */
export const TIMER_GRANULARITY_MS = 1;
/** The receiver's max ack delay (it acks every 2nd packet or after this long): the sender budgets for it. */
export const MAX_ACK_DELAY_MS = 5;

export class RttEstimator {
  /** The most recent sample (ms). */
  latest = INITIAL_RTT_MS;
  smoothed = INITIAL_RTT_MS;
  rttvar = INITIAL_RTT_MS / 2;
  /** Minimum sample seen, without ack-delay adjustment (the path's floor). */
  minRtt = Infinity;
  hasSample = false;

  /** Feeds one sample: `latestRtt` from send to ack receipt, `ackDelay` as reported by the peer. */
  update(latestRtt: number, ackDelay: number): void {
    this.latest = latestRtt;
    this.minRtt = Math.min(this.minRtt, latestRtt);
    if (!this.hasSample) {
      this.hasSample = true;
      this.smoothed = latestRtt;
      this.rttvar = latestRtt / 2;
      return;
    }
    // Subtract the peer's ack delay only when that does not take the sample below min_rtt (§5.3): a
    // misreported or inflated delay must never make the path look faster than it has ever been.
    const delay = Math.min(ackDelay, MAX_ACK_DELAY_MS);
    const adjusted = latestRtt >= this.minRtt + delay ? latestRtt - delay : latestRtt;
    this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.smoothed - adjusted);
    this.smoothed = 0.875 * this.smoothed + 0.125 * adjusted;
  }

  /** The base probe timeout, before exponential backoff. */
  pto(): number {
    return this.smoothed + Math.max(4 * this.rttvar, TIMER_GRANULARITY_MS) + MAX_ACK_DELAY_MS;
  }

  /** Time-threshold loss delay (§6.1.2): 9/8 of the larger of smoothed and latest, at least the granularity. */
  lossDelay(): number {
    return Math.max((9 / 8) * Math.max(this.smoothed, this.latest), TIMER_GRANULARITY_MS);
  }
}
