// Splits a byte stream into lines at "\n", bounded: a line longer than `maxLine` bytes (newline excluded) is
// reported once as too long and its bytes are dropped up to the next newline, so a partial line that never ends
// costs at most `maxLine` bytes of memory. A trailing "\r" is removed (so `nc -C` and telnet work).
export interface LineSink {
  line(bytes: Buffer): void;
  tooLong(): void;
}

export class LineSplitter {
  private parts: Buffer[] = [];
  private held = 0;
  private discarding = false;

  constructor(private readonly maxLine: number, private readonly sink: LineSink) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl < 0) break;
      this.finish(chunk.subarray(start, nl));
      start = nl + 1;
    }
    if (start < chunk.length) this.hold(chunk.subarray(start));
  }

  /** Bytes held for an unfinished line. */
  get pending(): number { return this.held; }

  private hold(piece: Buffer): void {
    if (this.discarding) return;
    if (this.held + piece.length > this.maxLine) {
      this.parts = []; this.held = 0; this.discarding = true;
      this.sink.tooLong();
      return;
    }
    // copy: the socket may reuse its buffer
    this.parts.push(Buffer.from(piece)); this.held += piece.length;
  }

  private finish(tail: Buffer): void {
    if (this.discarding) { this.discarding = false; return; }
    let line: Buffer;
    if (this.held === 0) line = tail;
    else { this.parts.push(tail); line = Buffer.concat(this.parts, this.held + tail.length); this.parts = []; this.held = 0; }
    if (line.length > this.maxLine) { this.sink.tooLong(); return; }
    if (line.length && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
    if (line.length === 0) return; // blank lines are keepalives for humans on nc
    this.sink.line(line);
  }
}
