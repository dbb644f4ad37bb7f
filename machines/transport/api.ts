// The contract between the transfer machines/runtime and the sans-I/O transport core (this folder).
// Everything here is pure: time is `now` in milliseconds (a float), passed in, never read.

/** One DATA packet the sender wants on the wire now: the runtime reads `len` bytes of the file at `offset`. */
export interface OutgoingData { pn: number; offset: number; len: number }

export type CongestionControlName = 'newreno' | 'cubic' | 'bbr';
/** The default controller: CUBIC with HyStart++ and random-loss tolerance (docs/DESIGN.md says why). */
export const DEFAULT_CC: CongestionControlName = 'cubic';

export interface SenderOptions {
  size: number;          // file size in bytes
  chunk: number;         // payload bytes per DATA packet (the last one may be shorter)
  startOffset: number;   // resume point: bytes below it are already with the receiver
  /** Bytes at or past this offset are not sent until allowAll(); null when there is no halfway stop. */
  holdAt: number | null;
  cc: CongestionControlName;
  now: number;
  /** Initial receiver credit (highest offset + 1 the sender may send) until the first ACK says otherwise. */
  initialCredit: number;
  maxDatagram: number;   // bytes on the wire per full DATA packet (header + payload), for congestion accounting
}

export interface SenderStats {
  packetsSent: number; bytesSent: number; retransmits: number; lostPackets: number; ptoCount: number;
  acksReceived: number; spuriousLosses: number; cwnd: number; bytesInFlight: number;
  srtt: number; rttvar: number; minRtt: number; pacingRate: number; cc: CongestionControlName;
}

export interface SenderCoreApi {
  /** Processes one ACK. */
  onAck(ack: AckInfo, now: number): void;
  /** Packets to send now, within congestion window, pacer, receiver credit and the hold point; at most `max`. */
  poll(now: number, max: number): OutgoingData[];
  /** The next time (ms) poll() or onTimer() has something to do, or null when only an ACK can unblock it. */
  nextWakeup(now: number): number | null;
  /** Runs loss-detection and probe timers due at `now` (RFC 9002 time threshold and PTO). */
  onTimer(now: number): void;
  /** Lifts the hold point (the user said yes). */
  allowAll(): void;
  readonly ackedBytes: number;        // bytes acknowledged, counting those below startOffset
  readonly heldComplete: boolean;     // every byte below holdAt is acknowledged (and holdAt is still in force)
  readonly complete: boolean;         // every byte of the file is acknowledged
  /** ms since the last ACK made progress, for a silent-peer deadline */
  lastProgressAt: number;
  readonly windowFull: boolean;       // the last poll stopped because cwnd or credit was exhausted
  readonly recovering: boolean;       // inside a congestion recovery period
  stats(): SenderStats;
}

/** What an ACK packet carries, decoded. */
export interface AckInfo {
  /** Acknowledged packet-number ranges, inclusive, in descending order, non-overlapping. */
  ranges: Array<[number, number]>;
  ackDelayMs: number;
  /** Receiver credit: the sender may send bytes with offset + len <= maxData. */
  maxData: number;
  /** Bytes the receiver holds contiguously from offset 0. */
  contiguous: number;
}

export interface ReceiverOptions { size: number; startOffset: number; window: number; now: number }

export interface ReceiverCoreApi {
  /** A DATA packet arrived; returns true when its bytes are new (the runtime writes them), false for a duplicate. */
  onData(pn: number, offset: number, len: number, now: number): boolean;
  /** Whether an ACK should go out now (every 2nd packet, a gap, or the ack delay elapsed). */
  ackDue(now: number): boolean;
  /** The ACK to send now; resets the ack timer. */
  makeAck(now: number): AckInfo;
  /** When the pending ack must go at the latest, or null when nothing waits. */
  ackDeadline(): number | null;
  readonly received: number;      // bytes held (startOffset included), distinct
  readonly contiguous: number;    // bytes held contiguously from 0
  readonly complete: boolean;
  readonly duplicates: number;
}
