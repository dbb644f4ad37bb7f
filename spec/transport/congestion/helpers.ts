// Builders for controller tests: ACK and loss events without a whole sender.
import type { AckEvent, CongestionEvent } from '../../../machines/transport/congestion/controller.js';
import { RttEstimator } from '../../../machines/transport/rtt.js';
import type { RateSample } from '../../../machines/transport/sent-packets.js';

export function rttOf(ms: number): RttEstimator {
  const r = new RttEstimator();
  r.update(ms, 0);
  return r;
}

export function ackOf(packets: number, bytes: number, sentAt: number, opts: { rtt?: RttEstimator; rate?: RateSample | null; inFlight?: number; appLimited?: boolean } = {}): AckEvent {
  const rtt = opts.rtt ?? rttOf(10);
  return {
    acked: Array.from({ length: packets }, () => ({ sentAt, bytes })),
    rtt, rttSample: rtt.latest, rate: opts.rate ?? null, bytesInFlight: opts.inFlight ?? 0, appLimited: opts.appLimited ?? false,
  };
}

export function lossOf(largestLostSentAt: number, persistent = false): CongestionEvent {
  return { largestLostSentAt, lostBytes: 1000, persistent, bytesInFlight: 0 };
}
