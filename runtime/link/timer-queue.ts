// One timer for every datagram in flight. At 10k datagrams/s a setTimeout per datagram means 10k timer objects
// armed and cancelled a second; instead the release times live in a binary min-heap and a single setTimeout is
// re-armed for the earliest. Ties keep insertion order (a sequence number), so a duplicate leaves right after its
// original and a FIFO stays a FIFO.

/** Timers tick about once a millisecond: release what is due within this much, rather than re-arming for 0.3 ms.
 *  Releasing a little early is harmless because the impairment model, not the timer, fixed the release times. */
const DUE_SLACK_MS = 1;

interface Entry<T> {
  readonly at: number;
  readonly seq: number;
  readonly item: T;
}

export class TimerQueue<T> {
  private heap: Entry<T>[] = [];
  private seq = 0;
  private timer: NodeJS.Timeout | null = null;
  private armedFor = Infinity;

  /** clock: ms on the same scale as the `at` values; onDue: called once per item, in time order. */
  constructor(private readonly clock: () => number, private readonly onDue: (item: T) => void) {}

  get size(): number {
    return this.heap.length;
  }

  schedule(at: number, item: T): void {
    // Due already and nothing due before it: release now, so a clean link adds no timer tick of latency.
    if (at <= this.clock() && (this.heap.length === 0 || this.heap[0]!.at > at)) {
      this.onDue(item);
      return;
    }
    this.push({ at, seq: this.seq++, item });
    if (at < this.armedFor) this.arm();
  }

  /** Forget everything pending and disarm (on close). */
  clear(): void {
    this.heap = [];
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.armedFor = Infinity;
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    const top = this.heap[0];
    if (!top) { this.timer = null; this.armedFor = Infinity; return; }
    this.armedFor = top.at;
    this.timer = setTimeout(this.fire, Math.max(0, top.at - this.clock()));
  }

  private readonly fire = (): void => {
    this.timer = null;
    this.armedFor = Infinity;
    const horizon = this.clock() + DUE_SLACK_MS;
    while (this.heap.length && this.heap[0]!.at <= horizon) this.onDue(this.pop().item);
    this.arm();
  };

  private push(e: Entry<T>): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(e, h[parent]!)) break;
      h[i] = h[parent]!;
      i = parent;
    }
    h[i] = e;
  }

  private pop(): Entry<T> {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const child = r < h.length && before(h[r]!, h[l]!) ? r : l;
      if (!before(h[child]!, last)) break;
      h[i] = h[child]!;
      i = child;
    }
    h[i] = last;
    return top;
  }
}

function before<T>(a: Entry<T>, b: Entry<T>): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
