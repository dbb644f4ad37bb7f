// A bounded outgoing queue per socket, flushed once per event-loop turn with one corked write: a broadcast to 200
// receivers costs 200 queue pushes now and one system call per socket later, not 200 writes in the middle of the
// turn. A socket whose unsent bytes pass the bound is a slow reader: it is cut off with a reason, and never stalls
// what the others receive.
import type { Socket } from 'node:net';

const dirty = new Set<Outbox>();
/** A queue this large is written at once instead of waiting for the end of the turn. */
const EARLY_FLUSH_BYTES = 64 * 1024;
/** The queue of one turn may hold this many times the outbox bound before the reader is cut off. */
const HARD_CAP_FACTOR = 4;
let scheduled = false;

function flushAll(): void {
  scheduled = false;
  for (const box of dirty) box.flush();
  dirty.clear();
}

export class Outbox {
  private queue: Buffer[] = [];
  private queued = 0;
  private closed = false;

  constructor(
    private readonly socket: Socket,
    private readonly maxBytes: number,
    private readonly onOverflow: () => void,
  ) {}

  /** Bytes waiting here and in the socket's own buffer. */
  get backlog(): number { return this.queued + this.socket.writableLength; }

  write(line: Buffer): void {
    if (this.closed) return;
    // Slowness is judged on what the socket could not send in earlier turns (writableLength), not on what this
    // turn queued: a burst to a fast reader is not a slow reader. The queue itself has a hard cap for memory.
    if (this.socket.writableLength > this.maxBytes || this.queued + line.length > this.maxBytes * HARD_CAP_FACTOR) {
      this.closed = true; this.queue = []; this.queued = 0; this.onOverflow(); return;
    }
    this.queue.push(line); this.queued += line.length;
    if (this.queued >= EARLY_FLUSH_BYTES) { dirty.delete(this); this.flush(); return; }
    dirty.add(this);
    if (!scheduled) { scheduled = true; setImmediate(flushAll); }
  }

  flush(): void {
    if (!this.queue.length || this.socket.destroyed) { this.queue = []; this.queued = 0; return; }
    const q = this.queue; this.queue = []; this.queued = 0;
    if (q.length === 1) { this.socket.write(q[0]!); return; }
    this.socket.cork();
    for (const b of q) this.socket.write(b);
    this.socket.uncork();
  }

  /** No more writes are accepted; what is queued still goes out on flush. */
  seal(): void { this.closed = true; }
}
