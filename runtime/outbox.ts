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
/** ...made of buffers of at least this size on average (a queue of many short lines is joined instead). */
const GATHER_MIN_AVERAGE = 1024;
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

/** While flushAll runs: the last queue joined and its bytes. A broadcast puts the same buffers, in the same order,
 *  in every receiver's queue, so the next socket with an equal queue is written the same joined buffer: one join
 *  (one allocation, one copy) per turn for a room instead of one per receiver. */
let sharing = false;
let joinedQueue: Buffer[] | null = null;
let joinedBytes: Buffer | null = null;

function sameBuffers(a: readonly Buffer[], b: readonly Buffer[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function flushAll(): void {
  scheduled = false;
  waitingForTimer = false;
  flushes++;
  lastFlushAt = performance.now();
  lastFlushSockets = dirty.size;
  sharing = true;
  try {
    for (const box of dirty) box.flush();
  } finally {
    sharing = false; joinedQueue = null; joinedBytes = null;
  }
  dirty.clear();
}

/** Whether a queue goes out as its own buffers (one corked writev) rather than joined: a few large buffers, such as a
 *  welcome's name list at thousands online (~100 KB at 10,000), which joining would copy once more per login; many
 *  small lines are joined (and the join shared, below). */
function gathers(q: Buffer[], n: number): boolean {
  return q.length > 1 && n >= GATHER_BYTES && n >= GATHER_MIN_AVERAGE * q.length;
}

/** The queue as one contiguous buffer: cheaper to write than a corked writev of many small ones (the copy is a few
 *  hundred bytes a line), and shared with the sockets of the same flush that queued the same lines. */
function joined(q: Buffer[], n: number): Buffer {
  if (q.length === 1) return q[0]!;
  if (sharing && joinedQueue !== null && sameBuffers(q, joinedQueue)) return joinedBytes!;
  const b = Buffer.concat(q, n);
  if (sharing) { joinedQueue = q; joinedBytes = b; }
  return b;
}

/** Flushes done so far: a scheduled flush that finds a later one already done has nothing left to do. */
let flushes = 0;
/** The scheduled flush waits for the busy timer (see BUSY_SOCKETS), not for the end of the turn. */
let waitingForTimer = false;

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  const at = flushes;
  waitingForTimer = lastFlushSockets >= BUSY_SOCKETS && performance.now() - lastFlushAt < 1;
  if (waitingForTimer) setTimeout(() => { if (flushes === at) flushAll(); }, 1);
  else setImmediate(() => { if (flushes === at) flushAll(); });
}

/**
 * Writes the queues of this turn now, unless a busy room's flush waits for its timer. For the end of a batch of
 * deliveries that itself ran at the end of the turn (the store's): its lines go out in this turn, not after the next
 * turn's reads.
 */
export function flushOutboxesNow(): void {
  if (scheduled && !waitingForTimer) flushAll();
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
    // a queue that was empty joins this turn's flush; one that already waits is in it (a broadcast at N receivers
    // writes N queues per message: the set and the scheduling are touched once per queue per turn, not per message)
    if (this.queue.length === 1) { dirty.add(this); schedule(); }
  }

  flush(): void {
    const q = this.queue;
    const n = this.queued;
    this.queue = []; this.queued = 0;
    // a peer that hung up (its FIN ended our side too) takes nothing more: a write would only build an error
    if (!q.length || this.socket.destroyed || this.socket.writableEnded) return;
    if (gathers(q, n)) { this.socket.cork(); for (const b of q) this.socket.write(b); this.socket.uncork(); }
    else this.socket.write(joined(q, n));
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
