// A bounded outgoing queue per socket, flushed once per event-loop turn with one corked write: a broadcast to 200
// receivers costs 200 queue pushes now and one system call per socket later, not 200 writes in the middle of the
// turn. A socket whose unsent bytes pass the bound is a slow reader: it is cut off with a reason, and never stalls
// what the others receive.
import type { Socket } from 'node:net';

const dirty = new Set<Outbox>();
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
    if (this.backlog + line.length > this.maxBytes) { this.closed = true; this.queue = []; this.queued = 0; this.onOverflow(); return; }
    this.queue.push(line); this.queued += line.length;
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
