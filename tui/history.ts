// Input history for Up/Down: the lines sent, newest last, and the draft being typed before browsing began.
export class InputHistory {
  private readonly lines: string[] = [];
  private index = 0; // == lines.length when not browsing
  private draft = '';

  constructor(private readonly max = 200) {}

  get size(): number { return this.lines.length; }

  /** Remembers a sent line (not blank, not a repeat of the previous one) and stops browsing. */
  push(line: string): void {
    if (line.trim() && this.lines[this.lines.length - 1] !== line) {
      this.lines.push(line);
      if (this.lines.length > this.max) this.lines.shift();
    }
    this.index = this.lines.length;
    this.draft = '';
  }

  /** The older line (Up), given what is in the input now; null at the oldest. */
  up(current: string): string | null {
    if (this.index === 0) return null;
    if (this.index === this.lines.length) this.draft = current;
    this.index--;
    return this.lines[this.index]!;
  }

  /** The newer line (Down), ending with the draft; null when not browsing. */
  down(): string | null {
    if (this.index >= this.lines.length) return null;
    this.index++;
    return this.index === this.lines.length ? this.draft : this.lines[this.index]!;
  }
}
