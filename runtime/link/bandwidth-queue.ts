// The bottleneck of one direction: a link of fixed rate behind a finite drop-tail queue. Pure: the caller passes the
// arrival time, and gets back when the datagram has been fully serialised onto the wire (or null when the queue is
// full). Nothing waits here; the emulator schedules the release at the returned time.
//
// The queue holds every datagram not yet fully serialised, the one on the wire included, so queuePackets = 1 means
// no waiting room at all. Rates count payload bytes only (no IP/UDP header overhead).

const MS_PER_SECOND = 1000;
const BITS_PER_BYTE = 8;
/** Compact the departed prefix of the FIFO once it is this long and more than half of the array. */
const COMPACT_AFTER = 1024;

export interface QueueLimit {
  readonly packets?: number;
  readonly bytes?: number;
}

export interface QueueDepth {
  readonly packets: number;
  readonly bytes: number;
}

export class BandwidthQueue {
  // Parallel FIFOs of departure times and sizes; departures are non-decreasing, so draining is a head pointer.
  private departures: number[] = [];
  private sizes: number[] = [];
  private head = 0;
  private bytes = 0;
  private busyUntil = 0;
  private maxPackets = 0;
  private maxBytes = 0;

  constructor(private readonly bitsPerSecond: number, private readonly limit: QueueLimit) {
    if (!(bitsPerSecond > 0)) throw new RangeError(`rate must be above zero, got ${bitsPerSecond}`);
  }

  /** Time to put `size` bytes on the wire at this rate, in ms. */
  serialisationMs(size: number): number {
    return (size * BITS_PER_BYTE * MS_PER_SECOND) / this.bitsPerSecond;
  }

  /** When a datagram of `size` bytes arriving at `now` (ms) leaves the bottleneck, or null if drop-tail drops it. */
  offer(now: number, size: number): number | null {
    this.drain(now);
    const queued = this.departures.length - this.head;
    if (this.limit.packets !== undefined && queued >= this.limit.packets) return null;
    // An empty queue always takes one datagram, however large: otherwise a byte limit below the datagram size
    // would silently turn the link into a black hole.
    if (this.limit.bytes !== undefined && queued > 0 && this.bytes + size > this.limit.bytes) return null;
    const departure = Math.max(now, this.busyUntil) + this.serialisationMs(size);
    this.busyUntil = departure;
    this.departures.push(departure);
    this.sizes.push(size);
    this.bytes += size;
    this.maxPackets = Math.max(this.maxPackets, queued + 1);
    this.maxBytes = Math.max(this.maxBytes, this.bytes);
    return departure;
  }

  depth(now: number): QueueDepth {
    this.drain(now);
    return { packets: this.departures.length - this.head, bytes: this.bytes };
  }

  /** The deepest the queue has been, datagram count and bytes tracked separately. */
  get maxDepth(): QueueDepth {
    return { packets: this.maxPackets, bytes: this.maxBytes };
  }

  private drain(now: number): void {
    while (this.head < this.departures.length && this.departures[this.head]! <= now) {
      this.bytes -= this.sizes[this.head]!;
      this.head++;
    }
    if (this.head >= COMPACT_AFTER && this.head * 2 >= this.departures.length) {
      this.departures = this.departures.slice(this.head);
      this.sizes = this.sizes.slice(this.head);
      this.head = 0;
    }
  }
}
