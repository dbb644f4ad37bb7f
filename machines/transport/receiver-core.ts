// The receiving half, sans I/O: which file bytes have arrived, which packet numbers to acknowledge, and when an
// ACK is due. ACK policy (RFC 9000 §13.2.1-2, like QUIC): every second ack-eliciting packet, at once on
// anything out of order (a gap, a reordered or a retransmitted packet: the sender's loss detection wants that
// news quickly), otherwise within MAX_ACK_DELAY_MS.
import type { AckInfo, ReceiverCoreApi, ReceiverOptions } from './api.js';
import { MAX_ACK_RANGES } from './packet-codec.js';
import { RangeSet } from './range-set.js';
import { MAX_ACK_DELAY_MS } from './rtt.js';

/** Ack after this many ack-eliciting packets without waiting for the timer. */
export const ACK_ELICITING_THRESHOLD = 2;
export { MAX_ACK_DELAY_MS };

export class ReceiverCore implements ReceiverCoreApi {
  private readonly size: number;
  private window: number;
  /** File byte ranges held. */
  private readonly bytes = new RangeSet();
  /** Packet numbers received (the newest MAX_ACK_RANGES ranges are kept). */
  private readonly pns = new RangeSet();
  private largestPn = -1;
  private largestPnAt = 0;
  private unacked = 0;
  private firstUnackedAt: number | null = null;
  private immediate = false;
  private dup = 0;
  private packets = 0;

  constructor(opts: ReceiverOptions) {
    this.size = opts.size;
    this.window = opts.window;
    this.bytes.insert(0, Math.min(opts.startOffset, opts.size));
  }

  get received(): number { return this.bytes.covered; }
  get contiguous(): number { return this.bytes.firstGap(0); }
  get complete(): boolean { return this.contiguous >= this.size; }
  get duplicates(): number { return this.dup; }
  /** DATA packets seen, duplicates included. */
  get packetsReceived(): number { return this.packets; }
  /** The credit the next ACK will grant (bytes with offset + len <= credit may be sent). */
  get credit(): number { return Math.min(this.size, this.contiguous + this.window); }
  /** The credit granted beyond the contiguous prefix (bytes). */
  get windowBytes(): number { return this.window; }
  /**
   * Never grants more than `max` bytes beyond the contiguous prefix from the next ACK on: the runtime gives the room
   * its socket's receive buffer really has (receiveWindowFor), so that the sender never has more in flight than the
   * buffer can hold while the reader is busy (the buffer's overflow is loss the network never caused).
   */
  limitWindow(max: number): void {
    if (!(max > 0)) throw new RangeError('a window limit is a positive number of bytes');
    this.window = Math.min(this.window, max);
  }
  /** Received byte ranges, ascending (for resume bookkeeping and tests). */
  byteRanges(): IterableIterator<readonly [number, number]> { return this.bytes.ascending(); }

  onData(pn: number, offset: number, len: number, now: number): boolean {
    this.packets++;
    const end = Math.min(offset + len, this.size);
    const fresh = offset >= 0 && end > offset && this.bytes.insert(offset, end) > 0;
    const seenPn = this.pns.contains(pn);
    if (!seenPn) this.notePn(pn, now);
    if (!fresh) this.dup++;
    // A repeated packet number is only a network duplicate: no news for the sender. Old bytes under a new
    // number mean the sender retransmitted needlessly (our ACK got lost): answer at once.
    if (!fresh && !seenPn) this.immediate = true;
    this.unacked++;
    this.firstUnackedAt ??= now;
    return fresh;
  }

  private notePn(pn: number, now: number): void {
    // Out of order: below the largest seen (a reordered or late packet) or beyond largest + 1 (a gap).
    if (pn !== this.largestPn + 1) this.immediate = true;
    this.pns.insert(pn, pn + 1);
    if (pn > this.largestPn) { this.largestPn = pn; this.largestPnAt = now; }
  }

  ackDue(now: number): boolean {
    if (this.unacked === 0) return false;
    return this.immediate || this.unacked >= ACK_ELICITING_THRESHOLD || now >= this.ackDeadline()!;
  }

  ackDeadline(): number | null {
    return this.firstUnackedAt === null ? null : this.firstUnackedAt + MAX_ACK_DELAY_MS;
  }

  makeAck(now: number): AckInfo {
    const ranges: Array<[number, number]> = [];
    for (const [start, end] of this.pns.descending()) {
      if (ranges.length === MAX_ACK_RANGES) break;
      ranges.push([end - 1, start]);
    }
    // Older ranges can never be sent again, so keep memory bounded by the ACK size.
    if (this.pns.count > MAX_ACK_RANGES) this.pns.removeBelow(ranges[ranges.length - 1]![1]);
    this.unacked = 0;
    this.firstUnackedAt = null;
    this.immediate = false;
    return {
      ranges,
      ackDelayMs: ranges.length ? Math.max(0, now - this.largestPnAt) : 0,
      maxData: this.credit,
      contiguous: this.contiguous,
    };
  }
}

/** The least window receiveWindowFor gives: a small receive buffer (the kernel's default maximum is 208 KiB) does not
 *  throttle a long path to buffer / RTT; on such a host a fast local sender may overflow it, as before. */
export const MIN_BUFFER_WINDOW = 1 << 20;

/**
 * The flow-control window a receive buffer can back: Linux reports (getsockopt SO_RCVBUF) twice the size asked for,
 * the other half being its allowance for each datagram's bookkeeping (a 60 KB datagram is charged about 64 KB), so
 * half the reported size is what it holds in payload; at least MIN_BUFFER_WINDOW.
 */
export function receiveWindowFor(reportedBufferBytes: number): number {
  return Math.max(MIN_BUFFER_WINDOW, Math.floor(reportedBufferBytes / 2));
}
