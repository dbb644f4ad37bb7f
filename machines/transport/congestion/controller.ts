// The congestion controller interface and a factory. Controllers are pure state machines: the sender core
// tells them what was sent, acknowledged and lost, with `now` passed in, and asks for a window (and, for
// rate-based ones, a pacing rate).
import type { CongestionControlName } from '../api.js';
import type { RateSample } from '../sent-packets.js';
import type { RttEstimator } from '../rtt.js';
import { NewReno } from './new-reno.js';
import { Cubic } from './cubic.js';
import { Bbr } from './bbr.js';

/** RFC 9002 §7.2: 10 datagrams. With 60 KB datagrams that is 600 KB, which loopback drains in well under 1 ms. */
export const INITIAL_WINDOW_DATAGRAMS = 10;
/** RFC 9002 §7.2: the window never goes below 2 datagrams. */
export const MINIMUM_WINDOW_DATAGRAMS = 2;
/** RFC 9002 §7.3.2: the window is halved on a congestion event. */
export const LOSS_REDUCTION_FACTOR = 0.5;

export interface AckedPacketInfo { readonly sentAt: number; readonly bytes: number }

export interface AckEvent {
  /** Packets this ACK newly acknowledged, ascending by packet number. */
  acked: readonly AckedPacketInfo[];
  rtt: Readonly<RttEstimator>;
  /** The latest RTT sample this ACK produced, or null. */
  rttSample: number | null;
  rate: RateSample | null;
  /** Bytes in flight after removing the acknowledged packets. */
  bytesInFlight: number;
  /** The sender was not using its whole window: growth would be untested (RFC 9002 §7.8). */
  appLimited: boolean;
}

export interface CongestionEvent {
  /** Send time of the newest lost packet: one recovery period per window of data (RFC 9002 §7.3.2). */
  largestLostSentAt: number;
  lostBytes: number;
  /** RFC 9002 §7.6: everything sent over a long enough period was lost. */
  persistent: boolean;
  bytesInFlight: number;
}

export interface CongestionController {
  readonly name: CongestionControlName;
  onSent(now: number, bytes: number, bytesInFlight: number): void;
  onAck(ev: AckEvent, now: number): void;
  onCongestionEvent(ev: CongestionEvent, now: number): void;
  /** The congestion window in bytes. */
  window(): number;
  /** Bytes per second to pace at, when the controller is rate-based; absent means cwnd/srtt-derived pacing. */
  pacingRate?(rtt: Readonly<RttEstimator>): number;
  /** Inside a recovery period (loss detected, not yet acked past it). */
  readonly recovering: boolean;
}

export interface ControllerConfig { maxDatagram: number; now: number }

export function createController(name: CongestionControlName, cfg: ControllerConfig): CongestionController {
  switch (name) {
    case 'newreno': return new NewReno(cfg.maxDatagram);
    case 'cubic': return new Cubic(cfg.maxDatagram);
    case 'bbr': return new Bbr(cfg.maxDatagram, cfg.now);
  }
}

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
