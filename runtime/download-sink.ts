// Where a download's bytes go: the partial file, written in coalesced runs (one positional `writev` per run of
// adjacent datagrams per event-loop turn, not one `write` per datagram), and the SHA-256 of the contiguous prefix,
// computed as the prefix grows, so that the check after the last byte costs only the bytes not yet hashed. In-order
// payloads are hashed straight from memory; bytes that arrived out of order, and a resumed download's earlier bytes,
// are read back from the file (the page cache, just written) when the prefix reaches them, a bounded amount per turn.
import crypto from 'node:crypto';
import fs from 'node:fs';

/** Queued bytes that force a write before the turn ends. */
export const FLUSH_BYTES = 4 << 20;
/** At most this many bytes are read back and hashed per turn (a resumed 1 GB prefix does not stall a turn). */
export const CATCH_UP_BYTES_PER_TURN = 16 << 20;
const READ_CHUNK = 1 << 20;

interface Piece { offset: number; data: Buffer }

export class DownloadSink {
  private pending: Piece[] = [];
  private pendingBytes = 0;
  private readonly hash = crypto.createHash('sha256');
  private hashedTo = 0;
  private readBuf: Buffer | null = null;
  /** Bytes hashed from memory and read back from the file (for the bench and tests). */
  readonly stats = { hashedInline: 0, hashedReadBack: 0, writes: 0 };

  constructor(private readonly fd: number) {}

  /** Bytes of the prefix hashed so far. */
  get hashed(): number { return this.hashedTo; }
  get queued(): number { return this.pendingBytes; }

  /** Queues bytes the receiver core called new; writes (without hashing) once FLUSH_BYTES are queued. */
  add(offset: number, data: Buffer): void {
    this.pending.push({ offset, data });
    this.pendingBytes += data.length;
    if (this.pendingBytes >= FLUSH_BYTES) this.write();
  }

  /** Writes what is queued, then hashes the prefix up to `contiguous` (read-back bounded by `budget`). Throws on I/O errors. */
  flush(contiguous: number, budget = CATCH_UP_BYTES_PER_TURN): void {
    const pieces = this.write();
    for (const p of pieces) {
      const end = p.offset + p.data.length;
      if (p.offset > this.hashedTo || end <= this.hashedTo || end > contiguous) continue;
      const part = p.data.subarray(this.hashedTo - p.offset);
      this.hash.update(part);
      this.hashedTo = end;
      this.stats.hashedInline += part.length;
    }
    this.catchUp(contiguous, budget);
  }

  /** Reads back and hashes the prefix up to `upTo`, at most `budget` bytes; true when the hash reached `upTo`. */
  catchUp(upTo: number, budget: number): boolean {
    let left = budget;
    while (this.hashedTo < upTo && left > 0) {
      this.readBuf ??= Buffer.allocUnsafe(READ_CHUNK);
      const want = Math.min(READ_CHUNK, upTo - this.hashedTo, left);
      const n = fs.readSync(this.fd, this.readBuf, 0, want, this.hashedTo);
      if (n <= 0) throw Object.assign(new Error('the partial file is shorter than the bytes received'), { code: 'EIO' });
      this.hash.update(this.readBuf.subarray(0, n));
      this.hashedTo += n;
      this.stats.hashedReadBack += n;
      left -= n;
    }
    return this.hashedTo >= upTo;
  }

  /** The SHA-256 of the whole prefix; call once, when `hashed` is the file's size. */
  digest(): string { return this.hash.digest('hex'); }

  /** Writes the queued pieces, one `writev` per run of adjacent ones; returns them in offset order. */
  private write(): Piece[] {
    if (this.pending.length === 0) return [];
    const pieces = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    pieces.sort((a, b) => a.offset - b.offset);
    for (let i = 0; i < pieces.length;) {
      let j = i + 1;
      let end = pieces[i]!.offset + pieces[i]!.data.length;
      while (j < pieces.length && pieces[j]!.offset === end) { end += pieces[j]!.data.length; j++; }
      this.writeRun(pieces, i, j);
      i = j;
    }
    return pieces;
  }

  private writeRun(pieces: Piece[], from: number, to: number): void {
    let bufs = pieces.slice(from, to).map((p) => p.data);
    let at = pieces[from]!.offset;
    // a disk that takes only part of a write returns a short count: write the rest, and the disk says why it cannot
    while (bufs.length) {
      const n = bufs.length === 1 ? fs.writeSync(this.fd, bufs[0]!, 0, bufs[0]!.length, at) : fs.writevSync(this.fd, bufs, at);
      this.stats.writes++;
      if (n <= 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
      at += n;
      let skip = n;
      while (bufs.length && skip >= bufs[0]!.length) { skip -= bufs[0]!.length; bufs = bufs.slice(1); }
      if (skip > 0) bufs[0] = bufs[0]!.subarray(skip);
    }
  }
}
