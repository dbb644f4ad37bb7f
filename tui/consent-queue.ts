// Halfway questions waiting for an answer, oldest first: one dialog shows the oldest, the others wait their turn.
export interface Question { id: number; file: string; received: number; size: number }

export class ConsentQueue {
  private readonly items: Question[] = [];

  get current(): Question | undefined { return this.items[0]; }
  get length(): number { return this.items.length; }
  get waiting(): number { return Math.max(0, this.items.length - 1); }

  /** Adds a question (a repeated id replaces the old one in place). */
  push(q: Question): void {
    const i = this.items.findIndex((x) => x.id === q.id);
    if (i >= 0) this.items[i] = q; else this.items.push(q);
  }

  /** Drops the question of a download (answered, or ended some other way); true when it was there. */
  remove(id: number): boolean {
    const i = this.items.findIndex((x) => x.id === id);
    if (i < 0) return false;
    this.items.splice(i, 1);
    return true;
  }

  clear(): void { this.items.length = 0; }
}
