// A set of disjoint, non-adjacent half-open integer ranges [start, end), kept sorted in two parallel arrays.
// Used for acknowledged byte offsets, bytes queued for retransmission and received packet numbers. Transfers
// mostly grow the set at its top end, so insert() checks that case first and does it in O(1); other inserts
// and removals binary-search and splice, which stays cheap because the number of ranges is bounded by the
// number of holes (losses), not by the number of packets.

export type Range = readonly [start: number, end: number];

export class RangeSet {
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private total = 0;

  constructor(initial?: Iterable<Range>) {
    if (initial) for (const [s, e] of initial) this.insert(s, e);
  }

  /** Number of disjoint ranges. */
  get count(): number { return this.starts.length; }
  /** Sum of the lengths of all ranges. */
  get covered(): number { return this.total; }
  get isEmpty(): boolean { return this.starts.length === 0; }
  /** Smallest member, or null when empty. */
  get min(): number | null { return this.starts.length ? this.starts[0]! : null; }
  /** One past the largest member, or null when empty. */
  get max(): number | null { return this.ends.length ? this.ends[this.ends.length - 1]! : null; }

  /** Adds [start, end); returns how many values were not members before. */
  insert(start: number, end: number): number {
    if (end <= start) return 0;
    const n = this.starts.length;
    if (n === 0 || start > this.ends[n - 1]!) { // fast path: a new range past the top
      this.starts.push(start); this.ends.push(end); this.total += end - start;
      return end - start;
    }
    if (start >= this.starts[n - 1]!) { // fast path: touches or overlaps the top range only
      const oldEnd = this.ends[n - 1]!;
      if (end <= oldEnd) return 0;
      this.ends[n - 1] = end; this.total += end - oldEnd;
      return end - oldEnd;
    }
    return this.insertSlow(start, end);
  }

  private insertSlow(start: number, end: number): number {
    // First range whose end >= start (it touches or follows the new one); last range whose start <= end.
    const lo = this.firstEndAtOrAfter(start);
    const hi = this.lastStartAtOrBefore(end);
    if (lo > hi) { // falls in a gap without touching anything
      this.starts.splice(lo, 0, start); this.ends.splice(lo, 0, end); this.total += end - start;
      return end - start;
    }
    let removed = 0;
    for (let i = lo; i <= hi; i++) removed += this.ends[i]! - this.starts[i]!;
    const s = Math.min(start, this.starts[lo]!);
    const e = Math.max(end, this.ends[hi]!);
    this.starts.splice(lo, hi - lo + 1, s); this.ends.splice(lo, hi - lo + 1, e);
    const added = e - s - removed;
    this.total += added;
    return added;
  }

  /** Removes [start, end) from the set; returns how many values were members. */
  remove(start: number, end: number): number {
    if (end <= start || this.starts.length === 0) return 0;
    const lo = this.firstEndAfter(start);
    const hi = this.lastStartBefore(end);
    if (lo > hi) return 0;
    const keepLeft = this.starts[lo]! < start;
    const keepRight = this.ends[hi]! > end;
    let removed = 0;
    for (let i = lo; i <= hi; i++) removed += this.ends[i]! - this.starts[i]!;
    const newStarts: number[] = []; const newEnds: number[] = [];
    if (keepLeft) { newStarts.push(this.starts[lo]!); newEnds.push(start); removed -= start - this.starts[lo]!; }
    if (keepRight) { newStarts.push(end); newEnds.push(this.ends[hi]!); removed -= this.ends[hi]! - end; }
    this.starts.splice(lo, hi - lo + 1, ...newStarts); this.ends.splice(lo, hi - lo + 1, ...newEnds);
    this.total -= removed;
    return removed;
  }

  /** Drops every value below `bound`. */
  removeBelow(bound: number): void {
    const min = this.min;
    if (min !== null && min < bound) this.remove(min, bound);
  }

  contains(x: number): boolean {
    const i = this.lastStartAtOrBefore(x);
    return i >= 0 && x < this.ends[i]!;
  }

  /** Whether every value of [start, end) is a member (true for an empty range). */
  containsRange(start: number, end: number): boolean {
    if (end <= start) return true;
    const i = this.lastStartAtOrBefore(start);
    return i >= 0 && end <= this.ends[i]!;
  }

  /** Whether any value of [start, end) is a member. */
  intersects(start: number, end: number): boolean {
    if (end <= start) return false;
    const i = this.firstEndAfter(start);
    return i < this.starts.length && this.starts[i]! < end;
  }

  /** The smallest non-member >= from. */
  firstGap(from = 0): number {
    const i = this.lastStartAtOrBefore(from);
    return i >= 0 && from < this.ends[i]! ? this.ends[i]! : from;
  }

  /** The first (lowest) range, or null. */
  first(): Range | null {
    return this.starts.length ? [this.starts[0]!, this.ends[0]!] : null;
  }

  /** The parts of [start, end) that are not members, ascending. */
  gaps(start: number, end: number): Range[] {
    const out: Range[] = [];
    let cur = start;
    for (let i = Math.max(0, this.firstEndAfter(start)); i < this.starts.length && cur < end; i++) {
      const s = this.starts[i]!;
      if (s >= end) break;
      if (s > cur) out.push([cur, s]);
      cur = Math.max(cur, this.ends[i]!);
    }
    if (cur < end) out.push([cur, end]);
    return out;
  }

  *ascending(): IterableIterator<Range> {
    for (let i = 0; i < this.starts.length; i++) yield [this.starts[i]!, this.ends[i]!];
  }

  *descending(): IterableIterator<Range> {
    for (let i = this.starts.length - 1; i >= 0; i--) yield [this.starts[i]!, this.ends[i]!];
  }

  // Binary searches. Each returns an index into the parallel arrays.
  /** Index of the first range with end >= x (touching counts), or count. */
  private firstEndAtOrAfter(x: number): number { return this.lowerBound(this.ends, x); }
  /** Index of the first range with end > x, or count. */
  private firstEndAfter(x: number): number { return this.lowerBound(this.ends, x + 1); }
  /** Index of the last range with start <= x, or -1. */
  private lastStartAtOrBefore(x: number): number { return this.lowerBound(this.starts, x + 1) - 1; }
  /** Index of the last range with start < x, or -1. */
  private lastStartBefore(x: number): number { return this.lowerBound(this.starts, x) - 1; }

  /** First index whose value is >= x. */
  private lowerBound(a: readonly number[], x: number): number {
    let lo = 0, hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (a[mid]! < x) lo = mid + 1; else hi = mid;
    }
    return lo;
  }
}
