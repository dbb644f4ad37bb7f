// A bounded outgoing queue per socket, flushed once per event-loop turn with one write: a broadcast to 200
// receivers costs 200 queue pushes now and one system call per socket later, not 200 writes in the middle of the
// turn. A socket whose unsent bytes pass the bound is a slow reader: it is cut off with a reason, and never stalls
// what the others receive.
import type { Socket } from 'node:net';
import type { Clock } from '../machines/clock.js';

const dirty = new Set<Outbox>();
let scheduled = false;
let lastFlushAt = 0;
let lastFlushSockets = 0;
/** A queue this large is written at once instead of waiting for the end of the turn. */
const EARLY_FLUSH_BYTES = 64 * 1024;
/** A queue of several buffers this large is written as they are (one corked writev) rather than copied into one: a
 *  welcome's name list at 10,000 online is ~100 KB, and concatenating it cost every login a copy and an allocation. */
const GATHER_BYTES = 16 * 1024;
/** The queue of one turn may hold this many times the outbox bound before the reader is cut off (a memory cap). */
const HARD_CAP_FACTOR = 2;
/** Under load (a flush that touched this many sockets less than a millisecond ago) the next flush waits ~1 ms, so
 * that several events of a join storm or a busy room share one write per socket. */
const BUSY_SOCKETS = 64;

/** Event-loop turns, counted while outboxes write: bytes written in this turn are not yet a reader's slowness (a TLS
 *  socket reports its writes done a turn later than a plain one, so its writableLength still holds them). */
let turn = 0;
let turnTicking = false;
function countTurn(): void {
  if (turnTicking) return;
  turnTicking = true;
  setImmediate(() => { turn++; turnTicking = false; });
}

function flushAll(): void {
  scheduled = false;
  lastFlushAt = performance.now();
  lastFlushSockets = dirty.size;
  for (const box of dirty) box.flush();
  dirty.clear();
}

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  if (lastFlushSockets >= BUSY_SOCKETS && performance.now() - lastFlushAt < 1) setTimeout(flushAll, 1);
  else setImmediate(flushAll);
}

export class Outbox {
  private queue: Buffer[] = [];
  private queued = 0;
  private closed = false;
  private sentTurn = -1;
  private sentThisTurn = 0;

  constructor(
    private readonly socket: Socket,
    private readonly maxBytes: number,
    private readonly onOverflow: () => void,
  ) {}

  /** Bytes waiting here and in the socket's own buffer. */
  get backlog(): number { return this.queued + this.socket.writableLength; }

  write(line: Buffer): void {
    if (this.closed) return;
    // Slowness is judged on what the socket could not send in earlier turns (writableLength, read once per turn),
    // not on what this turn queued: a burst to a fast reader is not a slow reader. The queue has a hard cap.
    const sentNow = this.sentTurn === turn ? this.sentThisTurn : 0;
    if ((this.queued === 0 && this.socket.writableLength - sentNow > this.maxBytes) || this.queued + line.length > this.maxBytes * HARD_CAP_FACTOR) {
      this.closed = true; this.queue = []; this.queued = 0; this.onOverflow(); return;
    }
    this.queue.push(line); this.queued += line.length;
    if (this.queued >= EARLY_FLUSH_BYTES) { dirty.delete(this); this.flush(); return; }
    dirty.add(this);
    schedule();
  }

  flush(): void {
    const q = this.queue;
    const n = this.queued;
    this.queue = []; this.queued = 0;
    // a peer that hung up (its FIN ended our side too) takes nothing more: a write would only build an error
    if (!q.length || this.socket.destroyed || this.socket.writableEnded) return;
    // one contiguous write: cheaper than a corked writev of many small buffers (the copy is a few hundred bytes);
    // large queues go out as they are
    if (q.length === 1) this.socket.write(q[0]!);
    else if (n >= GATHER_BYTES) { this.socket.cork(); for (const b of q) this.socket.write(b); this.socket.uncork(); }
    else this.socket.write(Buffer.concat(q, n));
    if (this.sentTurn !== turn) { this.sentTurn = turn; this.sentThisTurn = 0; }
    this.sentThisTurn += n;
    countTurn();
  }

  /** No more writes are accepted; what is queued still goes out on flush. */
  seal(): void { this.closed = true; }

  /** Flushes what is queued, takes nothing more, and ends the socket; a peer that never reads cannot hold it open
   *  past `graceMs` (the socket is destroyed then). */
  endSocket(clock: Pick<Clock, 'setTimeout'>, graceMs: number): void {
    this.flush();
    this.seal();
    this.socket.end();
    clock.setTimeout(() => this.socket.destroy(), graceMs);
  }
}
