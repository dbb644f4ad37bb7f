// The sending half of the transport, sans I/O: decides which bytes go out under which packet number and when,
// from ACKs and timers the runtime feeds in. Loss recovery follows RFC 9002 (packet numbers are never reused,
// so an ACK is never ambiguous); the window comes from a pluggable congestion controller and is spread out by
// a pacer. Byte ranges, not packets, are what gets retransmitted: a lost packet's bytes go to a queue minus
// whatever other packets (or the receiver's cumulative `contiguous`) already acknowledged.
import type { AckInfo, OutgoingData, SenderCoreApi, SenderOptions, SenderStats } from './api.js';
import type { CongestionController } from './congestion/controller.js';
import { type Pacer, windowPacingRate } from './pacer.js';
import { RangeSet } from './range-set.js';
import type { RttEstimator } from './rtt.js';
import { SharedPath } from './shared-path.js';
import { type SentPacket, SentPacketTracker } from './sent-packets.js';

/** RFC 9002 §6.2.4: a PTO sends up to two probes, so that one lost probe does not cost another timeout. */
export const PTO_PROBE_PACKETS = 2;
/** RFC 9002 §7.6.1: losses spanning this many PTOs with nothing acked in between are persistent congestion. */
export const PERSISTENT_CONGESTION_THRESHOLD = 3;
/** Backoff stops growing here; the runtime's silent-peer deadline ends a dead transfer long before. */
export const MAX_PTO_MS = 60_000;

export interface SenderCoreOptions extends SenderOptions {
  /** The congestion state shared by one client's downloads (window, RTT, pacer); absent: the sender has its own. */
  path?: SharedPath;
  /** A controller built by the caller (tests: a variant the factory does not name), when there is no `path`. */
  controller?: CongestionController;
}

/** A packet poll() wants sent, with why (useful for logs and for checking invariants in tests). */
export interface OutgoingPacket extends OutgoingData {
  /** The bytes were sent before (lost, or re-sent as a probe). */
  retransmit: boolean;
  /** Sent by the probe timeout: exempt from the congestion window and the pacer (RFC 9002 §7.5). */
  probe: boolean;
}

interface Segment { offset: number; len: number; retransmit: boolean }
/** Why poll() stopped: the sender waits for an ACK only on 'cwnd' and 'credit'. */
type StopReason = 'idle' | 'credit' | 'cwnd' | 'pacer' | 'max';

export class SenderCore implements SenderCoreApi {
  private readonly size: number;
  private readonly chunk: number;
  private readonly overhead: number;
  private readonly maxDatagram: number;
  private holdAt: number | null;
  private readonly rtt: RttEstimator;
  private readonly tracker = new SentPacketTracker();
  private readonly cc: CongestionController;
  private readonly pacer: Pacer;
  /** The congestion state this sender uses: its own, or the one its client's downloads share. */
  private readonly path: SharedPath;
  /** What the window let this sender hold at its last poll (its share of a shared path). */
  private lastAllowance = Infinity;
  /** Byte ranges the receiver acknowledged (including everything below startOffset). */
  private readonly acked = new RangeSet();
  /** Byte ranges declared lost and not acknowledged since: sent before any new data. */
  private readonly retx = new RangeSet();
  private nextOffset: number;
  private nextPn = 0;
  private credit: number;
  private ptoCount = 0;
  private probesPending = 0;
  private firstRttSampleAt: number | null = null;
  private lastStop: StopReason = 'idle';
  /** The most bytes in flight since the last ACK, and when a poll last stopped at the window (or its pacing rate). */
  private peakInFlight = 0;
  private cwndLimitedAt = -Infinity;
  private lastPollAt = -Infinity;
  private pacerLimitedAt = -Infinity;
  private readonly counters = { packetsSent: 0, bytesSent: 0, retransmits: 0, lostPackets: 0, ptoCount: 0, acksReceived: 0, spuriousLosses: 0 };
  lastProgressAt: number;

  constructor(opts: SenderCoreOptions) {
    if (opts.chunk <= 0 || opts.maxDatagram < opts.chunk) throw new RangeError('need 0 < chunk <= maxDatagram');
    this.size = opts.size;
    this.chunk = opts.chunk;
    this.maxDatagram = opts.maxDatagram;
    this.overhead = opts.maxDatagram - opts.chunk;
    this.holdAt = opts.holdAt;
    this.acked.insert(0, Math.min(opts.startOffset, opts.size));
    this.nextOffset = Math.min(opts.startOffset, opts.size);
    this.credit = opts.initialCredit;
    this.path = opts.path ?? new SharedPath(opts.controller ?? opts.cc, opts.maxDatagram, opts.now);
    this.path.join(this);
    this.cc = this.path.cc;
    this.rtt = this.path.rtt;
    this.pacer = this.path.pacer;
    this.lastProgressAt = opts.now;
  }

  // ------------------------------------------------------------------------------------------ state

  get ackedBytes(): number { return this.acked.covered; }
  get complete(): boolean { return this.acked.firstGap(0) >= this.size; }
  get heldComplete(): boolean {
    return this.holdAt !== null && this.acked.firstGap(0) >= Math.min(this.holdAt, this.size);
  }
  get windowFull(): boolean { return this.lastStop === 'cwnd' || this.lastStop === 'credit'; }
  /** Its last poll stopped at the window (a shared path gives it a share while it waits). */
  get wantsWindow(): boolean { return this.lastStop === 'cwnd'; }
  /** Leaves a shared path (the transfer ended): its bytes stop counting against the others' window. */
  detach(): void { this.path.leave(this); }
  get recovering(): boolean { return this.cc.recovering; }
  /** The congestion window (bytes). */
  get cwnd(): number { return this.cc.window(); }
  get bytesInFlight(): number { return this.tracker.bytesInFlight; }
  /** The receiver credit as last known (bytes with offset + len <= credit may be sent). */
  get knownCredit(): number { return this.credit; }
  get controller(): Readonly<CongestionController> { return this.cc; }

  allowAll(): void { this.holdAt = null; }

  stats(): SenderStats {
    return {
      ...this.counters, cwnd: this.cc.window(), bytesInFlight: this.tracker.bytesInFlight,
      srtt: this.rtt.smoothed, rttvar: this.rtt.rttvar, minRtt: this.rtt.minRtt,
      pacingRate: this.pacer.bytesPerSecond, cc: this.cc.name,
    };
  }

  // ------------------------------------------------------------------------------------------ sending

  poll(now: number, max: number): OutgoingPacket[] {
    const out: OutgoingPacket[] = [];
    this.lastPollAt = now;
    this.updatePacingRate(now);
    const room = this.path.allowance(this);
    this.lastAllowance = room;
    this.lastStop = 'max';
    while (out.length < max) {
      if (this.probesPending > 0) {
        const probe = this.takeProbe();
        if (probe) { out.push(this.send(probe, now, true)); this.probesPending--; continue; }
        this.probesPending = 0;
      }
      const seg = this.peekSegment();
      if (typeof seg === 'string') { this.stop(seg); break; }
      const bytes = this.wireBytes(seg.len);
      if (this.tracker.bytesInFlight + bytes > room) { this.stop('cwnd'); break; }
      if (!this.pacer.canSend(now, bytes)) { this.stop('pacer'); break; }
      this.commit(seg);
      out.push(this.send(seg, now, false));
    }
    return out;
  }

  private stop(reason: StopReason): void {
    this.lastStop = reason;
    if (reason === 'cwnd') this.cwndLimitedAt = this.lastPollAt;
    else if (reason === 'pacer') this.pacerLimitedAt = this.lastPollAt;
    // Not limited by the window: rate samples from here on understate the path.
    if (reason === 'idle' || reason === 'credit') this.tracker.markAppLimited();
  }

  /** The next segment to send (lost bytes first), without taking it; or why there is none. */
  private peekSegment(): Segment | 'idle' | 'credit' {
    const lost = this.retx.first();
    if (lost) return { offset: lost[0], len: Math.min(lost[1] - lost[0], this.chunk), retransmit: true };
    return this.peekNewData();
  }

  private peekNewData(): Segment | 'idle' | 'credit' {
    const end = this.holdAt === null ? this.size : Math.min(this.size, this.holdAt);
    if (this.nextOffset >= end) return 'idle';
    const len = Math.min(this.chunk, end - this.nextOffset);
    const room = this.credit - this.nextOffset;
    if (room >= len) return { offset: this.nextOffset, len, retransmit: false };
    // Credit-limited. Wait for the receiver's ACK to open it rather than send runts (silly-window syndrome),
    // unless nothing is in flight: then no ACK is coming, so send what fits.
    if (room <= 0 || this.tracker.count > 0) return 'credit';
    return { offset: this.nextOffset, len: room, retransmit: false };
  }

  private commit(seg: Segment): void {
    if (seg.retransmit) this.retx.remove(seg.offset, seg.offset + seg.len);
    else this.nextOffset += seg.len;
  }

  /** A probe (RFC 9002 §6.2.4): lost bytes, else the oldest unacknowledged bytes, else new data. */
  private takeProbe(): Segment | null {
    const lost = this.peekSegment();
    if (typeof lost !== 'string' && lost.retransmit) { this.commit(lost); return lost; }
    const oldest = this.oldestUnacked();
    if (oldest) return oldest;
    const fresh = this.peekNewData();
    if (typeof fresh === 'string') return null;
    this.commit(fresh);
    return fresh;
  }

  /** The first still-unacknowledged bytes of the oldest packet in flight (re-sent, the original stays tracked). */
  private oldestUnacked(): Segment | null {
    for (const p of this.tracker.packets()) {
      const gap = this.acked.gaps(p.offset, p.offset + p.len)[0];
      if (gap) return { offset: gap[0], len: gap[1] - gap[0], retransmit: true };
    }
    return null;
  }

  private send(seg: Segment, now: number, probe: boolean): OutgoingPacket {
    const pn = this.nextPn++;
    const bytes = this.wireBytes(seg.len);
    this.tracker.onSent(pn, seg.offset, seg.len, bytes, now);
    if (this.tracker.bytesInFlight > this.peakInFlight) this.peakInFlight = this.tracker.bytesInFlight;
    this.cc.onSent(now, bytes, this.path.bytesInFlight);
    this.pacer.onSent(now, bytes);
    this.counters.packetsSent++;
    this.counters.bytesSent += bytes;
    if (seg.retransmit) this.counters.retransmits++;
    return { pn, offset: seg.offset, len: seg.len, retransmit: seg.retransmit, probe };
  }

  private wireBytes(len: number): number { return len + this.overhead; }

  private updatePacingRate(now: number): void {
    const rate = this.cc.pacingRate?.(this.rtt) ?? windowPacingRate(this.cc.window(), this.rtt.smoothed);
    this.pacer.setRate(rate, now);
  }

  // ------------------------------------------------------------------------------------------ ACKs

  onAck(ack: AckInfo, now: number): void {
    this.counters.acksReceived++;
    this.credit = Math.max(this.credit, ack.maxData);
    const ackedBefore = this.acked.covered;
    // Evaluated before this ACK frees window: was the sender using the window it had (RFC 9002 §7.8)? It was when
    // the bytes in flight since the last ACK reached it, or a poll stopped at it within the last RTT, or (as Linux
    // counts slow start) a poll stopped at the pacer, which spreads the window over an RTT, with at least half the
    // window in flight. Stopping for want of data, of credit, or of CPU (the per-turn packet cap) is not using it,
    // and neither is a pacer whose rate comes from an RTT inflated by a starved process: growing the window there
    // fed the pacer's rate back into the window, to 9 MB in front of a 600 KB queue, and bursts that overflowed it.
    const srtt = this.rtt.smoothed;
    const usedWindow = this.peakInFlight + this.maxDatagram >= this.lastAllowance || now - this.cwndLimitedAt <= srtt
      || (now - this.pacerLimitedAt <= srtt && 2 * this.peakInFlight >= this.lastAllowance);
    const appLimited = !usedWindow;
    this.markAcked(0, Math.min(ack.contiguous, this.size));
    const res = this.tracker.onAck(ack.ranges, now);
    for (const p of res.newlyAcked) this.markAcked(p.offset, p.offset + p.len);
    for (const s of res.spurious) this.markAcked(s.offset, s.offset + s.len);
    this.counters.spuriousLosses += res.spurious.length;
    const rttSample = res.rttSamplePacket ? now - res.rttSamplePacket.sentAt : null;
    if (rttSample !== null) {
      this.rtt.update(rttSample, ack.ackDelayMs);
      this.firstRttSampleAt ??= now;
    }
    if (res.newlyAcked.length > 0) { this.ptoCount = 0; this.probesPending = 0; }
    this.cc.onAck({ acked: res.newlyAcked, rtt: this.rtt, rttSample, rate: res.rate, bytesInFlight: this.path.bytesInFlight, appLimited }, now);
    this.peakInFlight = this.tracker.bytesInFlight;
    this.detectLosses(now);
    if (this.acked.covered > ackedBefore) this.lastProgressAt = now;
  }

  private markAcked(start: number, end: number): void {
    this.acked.insert(start, end);
    this.retx.remove(start, end);
  }

  private detectLosses(now: number): void {
    const lost = this.tracker.detectLosses(now, this.rtt);
    if (lost.length === 0) return;
    let lostBytes = 0;
    let largestLostSentAt = -Infinity;
    for (const p of lost) {
      for (const [s, e] of this.acked.gaps(p.offset, p.offset + p.len)) this.retx.insert(s, e);
      lostBytes += p.bytes;
      largestLostSentAt = Math.max(largestLostSentAt, p.sentAt);
    }
    this.counters.lostPackets += lost.length;
    const persistent = this.isPersistentCongestion(lost);
    this.cc.onCongestionEvent({ largestLostSentAt, lostBytes, persistent, bytesInFlight: this.path.bytesInFlight }, now);
  }

  /**
   * RFC 9002 §7.6, simplified to one batch: the earliest and latest lost packets (sent after the first RTT
   * sample) span more than 3 PTOs, and nothing sent between them was acknowledged.
   */
  private isPersistentCongestion(lost: readonly SentPacket[]): boolean {
    if (this.firstRttSampleAt === null) return false;
    const first = lost.find((p) => p.sentAt > this.firstRttSampleAt!);
    const last = lost[lost.length - 1]!;
    if (!first || first === last) return false;
    const duration = this.rtt.pto() * PERSISTENT_CONGESTION_THRESHOLD;
    return last.sentAt - first.sentAt > duration && this.tracker.noAckBetween(first.pn, last.pn);
  }

  // ------------------------------------------------------------------------------------------ timers

  /** When the probe timer fires, or null when nothing is in flight (RFC 9002 §6.2.1). */
  private ptoDeadline(): number | null {
    const lastSent = this.tracker.lastSentAt;
    if (lastSent === null) return null;
    return lastSent + Math.min(this.rtt.pto() * 2 ** this.ptoCount, MAX_PTO_MS);
  }

  /** The loss timer if armed, else the probe timer. */
  private timerDeadline(): number | null {
    return this.tracker.lossTime ?? this.ptoDeadline();
  }

  onTimer(now: number): void {
    const lossTime = this.tracker.lossTime;
    if (lossTime !== null) {
      if (now >= lossTime) this.detectLosses(now);
      return;
    }
    const pto = this.ptoDeadline();
    if (pto === null || now < pto) return;
    this.ptoCount++;
    this.counters.ptoCount++;
    this.probesPending = PTO_PROBE_PACKETS;
  }

  nextWakeup(now: number): number | null {
    if (this.probesPending > 0) return now;
    let next = this.timerDeadline();
    const seg = this.peekSegment();
    if (typeof seg !== 'string') {
      const bytes = this.wireBytes(seg.len);
      if (this.tracker.bytesInFlight + bytes <= this.path.allowance(this)) {
        this.updatePacingRate(now);
        const at = this.pacer.nextSendTime(now, bytes);
        next = next === null ? at : Math.min(next, at);
      }
    }
    return next;
  }
}
