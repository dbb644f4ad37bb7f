// The sent-packet tracker (RFC 9002 §A.1-A.10): every in-flight DATA packet by packet number, ACK processing,
// loss detection by packet and time threshold, and the per-packet snapshots that delivery-rate estimation
// (draft-cheng-iccrg-delivery-rate-estimation, used by BBR) needs.
//
// Packet numbers are assigned in increasing order, so a Map's insertion order is ascending pn order: the
// oldest packet is always first and loss detection walks from the front.
import { RangeSet } from './range-set.js';
import type { RttEstimator } from './rtt.js';

/** RFC 9002 §6.1.1: a packet is lost once a packet sent this many numbers later is acknowledged. */
export const PACKET_THRESHOLD = 3;
/** Declared-lost packets remembered for spurious-loss detection; older ones are forgotten. */
const MAX_REMEMBERED_LOST = 1024;

export interface SentPacket {
  readonly pn: number;
  readonly offset: number;
  readonly len: number;
  readonly sentAt: number;
  /** Bytes on the wire (for congestion accounting). */
  readonly bytes: number;
  /** Counted in bytes in flight (every DATA packet is). */
  readonly inFlight: boolean;
  /** Delivery-rate snapshot taken at send time. */
  readonly delivered: number;
  readonly deliveredTime: number;
  readonly firstSentTime: number;
  readonly appLimited: boolean;
}

/** One delivery-rate sample, made from the newest packet an ACK newly acknowledged. */
export interface RateSample {
  /** Bytes per second delivered over the sample's interval. */
  deliveryRate: number;
  /** Bytes delivered in the interval. */
  delivered: number;
  /** The connection's delivered count when the sampled packet was sent. */
  priorDelivered: number;
  interval: number;
  /** The sampled packet was sent while the sender had nothing more to send: the rate is a lower bound. */
  isAppLimited: boolean;
}

export interface AckResult {
  newlyAcked: SentPacket[];
  /** The largest newly acknowledged packet, when it is also the largest pn the ACK mentions (RTT sample). */
  rttSamplePacket: SentPacket | null;
  /** Packets that had been declared lost and turn out to have arrived. */
  spurious: Array<{ offset: number; len: number }>;
  rate: RateSample | null;
}

export class SentPacketTracker {
  private readonly sent = new Map<number, SentPacket>();
  /** pn -> bytes of packets declared lost, to notice spurious losses (reordering) when they are acked later. */
  private readonly lost = new Map<number, { offset: number; len: number }>();
  /** Acknowledged packet numbers above the oldest outstanding one, for the persistent-congestion check. */
  private readonly ackedPns = new RangeSet();
  /** Packet numbers some ACK reported, from the oldest remembered lost pn up (for spurious-loss detection). */
  private readonly reported = new RangeSet();
  private inFlightBytes = 0;
  largestAcked = -1;
  /** Earliest time a packet not yet lost becomes lost by the time threshold, or null. */
  lossTime: number | null = null;
  /** Send time of the newest in-flight packet, for the PTO timer. */
  lastSentAt: number | null = null;

  // Delivery-rate state (connection-wide).
  private deliveredBytes = 0;
  private deliveredTime = 0;
  private firstSentTime = 0;
  /** Nonzero while delivered < this: samples from packets sent in an app-limited phase are lower bounds. */
  private appLimitedUntil = 0;

  get bytesInFlight(): number { return this.inFlightBytes; }
  get count(): number { return this.sent.size; }
  get delivered(): number { return this.deliveredBytes; }

  /** Packets in flight, oldest first. */
  packets(): IterableIterator<SentPacket> { return this.sent.values(); }

  oldest(): SentPacket | null {
    for (const p of this.sent.values()) return p;
    return null;
  }

  onSent(pn: number, offset: number, len: number, bytes: number, now: number): SentPacket {
    if (this.inFlightBytes === 0) { this.firstSentTime = now; this.deliveredTime = now; }
    const p: SentPacket = {
      pn, offset, len, sentAt: now, bytes, inFlight: true,
      delivered: this.deliveredBytes, deliveredTime: this.deliveredTime, firstSentTime: this.firstSentTime,
      appLimited: this.appLimitedUntil > 0,
    };
    this.sent.set(pn, p);
    this.inFlightBytes += bytes;
    this.lastSentAt = now;
    return p;
  }

  /** The sender has run out of things to send (not blocked by cwnd): rate samples until now are app-limited. */
  markAppLimited(): void {
    this.appLimitedUntil = Math.max(1, this.deliveredBytes + this.inFlightBytes);
  }

  /** Processes inclusive, descending ACK ranges. */
  onAck(ranges: ReadonlyArray<readonly [number, number]>, now: number): AckResult {
    const result: AckResult = { newlyAcked: [], rttSamplePacket: null, spurious: [], rate: null };
    if (ranges.length === 0) return result;
    const largest = ranges[0]![0];
    const oldestPn = this.oldest()?.pn ?? largest + 1;
    this.collectAcked(ranges, result);
    this.collectSpurious(ranges, result);
    // Only acks at or above the oldest outstanding packet matter for the persistent-congestion check (lost
    // packets are always outstanding until declared lost); pruning here, not on removal, keeps the acks
    // between packets that the same ACK is about to declare lost.
    this.ackedPns.removeBelow(oldestPn);
    for (const [high, low] of ranges) {
      if (high < oldestPn) break;
      this.ackedPns.insert(Math.max(low, oldestPn), high + 1);
    }
    const newest = result.newlyAcked[result.newlyAcked.length - 1];
    if (newest && newest.pn === largest) result.rttSamplePacket = newest;
    this.largestAcked = Math.max(this.largestAcked, largest);
    result.rate = this.sampleRate(result.newlyAcked, now);
    return result;
  }

  /** Walks the outstanding packets (ascending) against the ranges reversed (ascending): O(packets + ranges). */
  private collectAcked(ranges: ReadonlyArray<readonly [number, number]>, result: AckResult): void {
    let r = ranges.length - 1;
    for (const p of this.sent.values()) {
      while (r >= 0 && ranges[r]![0] < p.pn) r--; // skip ranges entirely below p
      if (r < 0) break;
      if (p.pn >= ranges[r]![1]) {
        result.newlyAcked.push(p);
        this.remove(p);
      }
    }
  }

  /**
   * Declared-lost packets that an ACK now covers. ACKs repeat their ranges, so only the parts of them not reported
   * before are looked at (`reported`, kept from the oldest remembered lost pn up): O(newly covered packet numbers +
   * ranges) per ACK, not O(remembered losses) (that walk took a quarter of the server's CPU after a slow-start
   * overshoot left a thousand losses to remember). A lost pn below the ACK's lowest range is forgotten: the receiver
   * reports the newest ranges only, so that pn can never be confirmed any more.
   */
  private collectSpurious(ranges: ReadonlyArray<readonly [number, number]>, result: AckResult): void {
    if (this.lost.size === 0) return;
    const lowest = ranges[ranges.length - 1]![1];
    for (const pn of this.lost.keys()) { if (pn >= lowest) break; this.lost.delete(pn); } // ascending: declared in pn order
    let first = -1;
    for (const pn of this.lost.keys()) { first = pn; break; }
    if (first < 0) { this.reported.removeBelow(Infinity); return; }
    this.reported.removeBelow(first);
    for (const [high, low] of ranges) {
      if (high < first) break;
      for (const [s, e] of this.reported.gaps(Math.max(low, first), high + 1)) this.takeLostIn(s, e, result);
      this.reported.insert(Math.max(low, first), high + 1);
    }
  }

  private takeLostIn(start: number, end: number, result: AckResult): void {
    if (end - start <= this.lost.size) {
      for (let pn = start; pn < end; pn++) {
        const b = this.lost.get(pn);
        if (b) { result.spurious.push(b); this.lost.delete(pn); }
      }
      return;
    }
    for (const [pn, b] of this.lost) {
      if (pn >= end) break;
      if (pn >= start) { result.spurious.push(b); this.lost.delete(pn); }
    }
  }

  private sampleRate(acked: readonly SentPacket[], now: number): RateSample | null {
    if (acked.length === 0) return null;
    for (const p of acked) this.deliveredBytes += p.bytes;
    this.deliveredTime = now;
    if (this.appLimitedUntil > 0 && this.deliveredBytes > this.appLimitedUntil) this.appLimitedUntil = 0;
    // The newest packet gives the most recent interval; its send time starts the next send interval.
    const p = acked[acked.length - 1]!;
    this.firstSentTime = p.sentAt;
    const sendElapsed = p.sentAt - p.firstSentTime;
    const ackElapsed = now - p.deliveredTime;
    const interval = Math.max(sendElapsed, ackElapsed);
    const delivered = this.deliveredBytes - p.delivered;
    if (interval <= 0) return null;
    return { deliveryRate: (delivered / interval) * 1000, delivered, priorDelivered: p.delivered, interval, isAppLimited: p.appLimited };
  }

  /**
   * Declares lost every packet below largestAcked that passed the packet or time threshold, removes it and
   * returns it (ascending); recomputes lossTime for the rest.
   */
  detectLosses(now: number, rtt: RttEstimator): SentPacket[] {
    const lost: SentPacket[] = [];
    this.lossTime = null;
    if (this.largestAcked < 0) return lost;
    const lossDelay = rtt.lossDelay();
    for (const p of this.sent.values()) {
      if (p.pn > this.largestAcked) break;
      // Same expression as lossTime below, so a timer firing exactly at lossTime always finds its packet
      // (now - lossDelay >= sentAt can round the other way and leave the timer due forever).
      if (p.sentAt + lossDelay <= now || this.largestAcked - p.pn >= PACKET_THRESHOLD) {
        lost.push(p);
      } else {
        this.lossTime = p.sentAt + lossDelay; // ascending send times: the first survivor is the earliest
        break;
      }
    }
    for (const p of lost) { this.remove(p); this.rememberLost(p); }
    return lost;
  }

  /** Whether no packet numbered strictly between a and b was acknowledged (for persistent congestion). */
  noAckBetween(a: number, b: number): boolean {
    return !this.ackedPns.intersects(a + 1, b);
  }

  private remove(p: SentPacket): void {
    this.sent.delete(p.pn);
    this.inFlightBytes -= p.bytes;
    if (this.sent.size === 0) this.lastSentAt = null;
  }

  private rememberLost(p: SentPacket): void {
    this.lost.set(p.pn, { offset: p.offset, len: p.len });
    if (this.lost.size > MAX_REMEMBERED_LOST) {
      for (const pn of this.lost.keys()) { this.lost.delete(pn); break; }
    }
  }

  /** Removes a packet without it being acked or lost (its bytes were acknowledged by other means). */
  discard(p: SentPacket): void {
    if (this.sent.get(p.pn) === p) this.remove(p);
  }
}
