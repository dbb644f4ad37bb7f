// A sliding-window maximum over keyed samples (round trips for BBR's bottleneck bandwidth), as a monotone
// deque: O(1) amortized per update, exact, and small (it holds only samples that can still become the max).

export class WindowedMax {
  private readonly keys: number[] = [];
  private readonly values: number[] = [];

  /** Samples with key <= newest key - `window` are forgotten. */
  constructor(private readonly window: number) {}

  update(key: number, value: number): void {
    while (this.values.length && this.values[this.values.length - 1]! <= value) { this.values.pop(); this.keys.pop(); }
    this.keys.push(key); this.values.push(value);
    this.expire(key);
  }

  /** Forgets samples too old relative to `key` (call when the key advances without a sample). */
  expire(key: number): void {
    while (this.keys.length > 1 && this.keys[0]! <= key - this.window) { this.keys.shift(); this.values.shift(); }
  }

  /** The maximum over the window, or 0 when empty. */
  get best(): number { return this.values.length ? this.values[0]! : 0; }
}
