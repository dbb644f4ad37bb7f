// The UDP port pool for downloads: a port is taken per transfer and returned on every ending. Ports that fail to
// bind (taken by another program) are skipped for a while, not lost.
export class PortPool {
  private readonly free: number[] = [];
  private readonly taken = new Set<number>();
  private readonly benchedUntil = new Map<number, number>();

  constructor(readonly first: number, readonly last: number) {
    for (let p = first; p <= last; p++) this.free.push(p);
  }

  get size(): number { return this.last - this.first + 1; }
  get inUse(): number { return this.taken.size; }
  get available(): number { return this.free.length; }

  /** A free port, or null when the pool is empty (the caller answers busy). `now` lets benched ports return. */
  acquire(now: number): number | null {
    for (let i = 0; i < this.free.length; i++) {
      const p = this.free[i]!;
      const until = this.benchedUntil.get(p);
      if (until !== undefined && until > now) continue;
      this.benchedUntil.delete(p);
      this.free.splice(i, 1);
      this.taken.add(p);
      return p;
    }
    return null;
  }

  /** The ports handed out, and those resting after a failed bind (for the dashboard). */
  snapshot(now: number): { taken: number[]; benched: number[] } {
    const benched: number[] = [];
    for (const [p, until] of this.benchedUntil) if (until > now && !this.taken.has(p)) benched.push(p);
    return { taken: [...this.taken], benched };
  }

  release(port: number): void {
    if (!this.taken.delete(port)) return;
    this.free.push(port);
  }

  /** The port could not be bound: return it, but do not hand it out again before `until`. */
  bench(port: number, until: number): void {
    this.benchedUntil.set(port, until);
    this.release(port);
  }
}
