// The congestion controller interface. Controllers are pure state machines: the sender core tells them what was
// sent, acknowledged and lost, with `now` passed in, and asks for a window (and, for rate-based ones, a pacing
// rate). The controllers themselves are in their own files, the rules they share in window-rules.ts, and the
// factory that picks one by name in factory.ts, so this file imports none of them.
import type { CongestionControlName } from '../api.js';
import type { RateSample } from '../sent-packets.js';
import type { RttEstimator } from '../rtt.js';

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
