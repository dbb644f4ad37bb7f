// A token-bucket pacer: spreads a congestion window's worth of packets over an RTT instead of sending them in
// one line-rate burst that overflows the bottleneck queue. Tokens are bytes.
//
// The runtime's timers tick at about 1 ms, so the bucket must hold at least a tick or two of sending at the
// pacing rate, or a fast path (loopback: ~1 GB/s, ~17 datagrams of 60 KB per ms) would be capped by the timer
// instead of by the rate. Hence capacity = rate * BURST_INTERVAL_MS, bounded by a few datagrams below (so a
// slow path still gets small bursts) and by MAX_BURST_DATAGRAMS above.

export const BURST_INTERVAL_MS = 2;
export const MIN_BURST_DATAGRAMS = 4;
export const MAX_BURST_DATAGRAMS = 256;
/** cwnd/srtt * this when the controller has no pacing rate of its own (RFC 9002 §7.7 suggests N = 1.25). */
export const WINDOW_PACING_GAIN = 1.25;

/** The rate to pace at (bytes/s) for a window-based controller. */
export function windowPacingRate(cwnd: number, srttMs: number): number {
  return (WINDOW_PACING_GAIN * cwnd * 1000) / Math.max(srttMs, 1e-3);
}

export class Pacer {
  private tokens: number;
  private capacity: number;
  private rate = Infinity; // bytes per second
  private last: number;

  constructor(private readonly maxDatagram: number, now: number) {
    this.capacity = MIN_BURST_DATAGRAMS * maxDatagram;
    this.tokens = this.capacity;
    this.last = now;
  }

  get bytesPerSecond(): number { return this.rate; }
  get burst(): number { return this.capacity; }

  /** Sets the pacing rate (bytes/s); the bucket's size follows it. */
  setRate(bytesPerSecond: number, now: number): void {
    this.refill(now);
    this.rate = Math.max(bytesPerSecond, 1);
    const burst = this.rate * (BURST_INTERVAL_MS / 1000);
    this.capacity = Math.min(MAX_BURST_DATAGRAMS * this.maxDatagram, Math.max(MIN_BURST_DATAGRAMS * this.maxDatagram, burst));
    this.tokens = Math.min(this.tokens, this.capacity);
  }

  /** The earliest time (>= now) at which a packet of `bytes` may go. */
  nextSendTime(now: number, bytes: number): number {
    this.refill(now);
    const need = Math.min(bytes, this.capacity) - this.tokens;
    if (need <= 0) return now;
    return now + (need / this.rate) * 1000;
  }

  canSend(now: number, bytes: number): boolean {
    return this.nextSendTime(now, bytes) <= now;
  }

  onSent(now: number, bytes: number): void {
    this.refill(now);
    this.tokens = Math.max(0, this.tokens - bytes);
  }

  private refill(now: number): void {
    if (now <= this.last) return;
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) * this.rate) / 1000);
    this.last = now;
  }
}
