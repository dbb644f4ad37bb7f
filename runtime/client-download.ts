// One download on the client: the receiver actor, its transport core, its UDP endpoint and its partial file.
// Datagrams are handled here (receiver core, write at offset, ACK); the actor gets coarse events and decides.
import fs from 'node:fs';
import type { TLSSocket } from 'node:tls';
import { createActor, type Actor, type InspectionEvent } from 'xstate';
import type { ClientEvent } from '../machines/client-events.js';
import type { ErrorCode } from '../machines/errors.js';
import type { Clock, TimerHandle } from '../machines/clock.js';
import type { ClientFrame, TransferServerFrame } from '../machines/frames.js';
import type { OfferFrame } from '../machines/offer.js';
import { receiverMachine, type ReceiverIO } from '../machines/receiver.machine.js';
import type { Packet } from '../machines/transport/packet-codec.js';
import { ReceiverCore, receiveWindowFor } from '../machines/transport/receiver-core.js';
import { dropPartialMeta, partialDir, partPath, placeFinished, readPartial, writePartial } from './download-files.js';
import { CATCH_UP_BYTES_PER_TURN, DownloadSink } from './download-sink.js';
import { aeadProtection } from './udp-crypto.js';
import { crcProtection, createTransferSocket, TransferEndpoint } from './udp-endpoint.js';

export interface DownloadsLink {
  send(f: ClientFrame): boolean;
  emit(e: ClientEvent): void;
  /** The address the TCP connection reached: datagrams go there. */
  serverAddress(): string;
  userName(): string;
  /** The control connection's TLS socket (transfer keys come from its session), or null without TLS. */
  tlsSocket(): TLSSocket | null;
}

/** What a download needs of the downloads that hold it. */
export interface ClientDownloadHost {
  readonly opts: {
    dir: string;
    yes: boolean;
    /** Receiver window (flow-control credit beyond the contiguous prefix), bytes. */
    window: number;
    inspect?: (id: string) => ((ev: InspectionEvent) => void) | undefined;
  };
  readonly clock: Clock;
  readonly link: DownloadsLink;
  /** End of input: nobody is left to answer a halfway question. */
  readonly noMoreAnswers: boolean;
  /** The download's actor is final; `interrupted` when the connection loss ended it (asked for again later). */
  ended(d: ClientDownload, interrupted: boolean): void;
}

export class ClientDownload implements ReceiverIO {
  readonly id: number;
  readonly file: string;
  readonly size: number;
  readonly actor: Actor<typeof receiverMachine>;
  readonly core: ReceiverCore;
  readonly part: string;
  /** Dropped datagrams: failed to open, or not of this transfer. */
  readonly counters = { spoofed: 0, malformed: 0 };
  private readonly endpoint: TransferEndpoint;
  private readonly fd: number;
  private readonly clock: Clock;
  private readonly startedAt: number;
  private readonly offer: OfferFrame;
  private ackTimer: TimerHandle | null = null;
  /** The end-of-turn work (write, hash, ACK, the actor's `data`) is scheduled. */
  private turnScheduled = false;
  private readonly sink: DownloadSink;
  private lastByteFromServer: number | undefined;
  private closedFd = false;
  private finalPath = '';
  /** A halfway question is asked and not answered. */
  private questionPending = false;
  private pausedAt: number | null = null;
  private pausedMs = 0;
  /** Where the halfway question was asked (bytes). */
  private askedAt = 0;
  /** The connection was lost while the halfway question waited: the partial is kept to just before that point, so
   *  that the download, resumed from any server, is asked the question again instead of skipping it. */
  private lostAsked = false;
  /** Lost because the client itself is closing (/quit, end of input): nothing resumes, so nothing says it will. */
  private closingClient = false;
  /** The user said no or stopped it: a connection lost meanwhile does not resume it. */
  private declined = false;

  constructor(private readonly host: ClientDownloadHost, offer: OfferFrame, readonly base: string, resume: boolean) {
    const { dir } = host.opts;
    // under TLS (the offer was checked to say so) datagrams are sealed with keys from this connection's session;
    // derived first, so that a session gone meanwhile fails here, before a file or a socket is opened
    const tls = host.link.tlsSocket();
    const protection = tls ? aeadProtection(tls, offer.id, 'client') : crcProtection;
    this.clock = host.clock;
    this.offer = offer;
    this.id = offer.id;
    this.file = offer.file;
    this.size = offer.size;
    fs.mkdirSync(partialDir(dir), { recursive: true });
    this.part = partPath(dir, base);
    if (!resume && readPartial(dir, base)) host.link.emit({ type: 'info', text: `the server's ${offer.file} changed since the partial copy: starting over` });
    // read and write: bytes that arrived out of order are read back for the prefix's hash
    this.fd = fs.openSync(this.part, resume ? 'r+' : 'w+');
    if (!resume) fs.ftruncateSync(this.fd, 0);
    this.sink = new DownloadSink(this.fd);
    writePartial(dir, base, { file: offer.file, size: offer.size, sha256: offer.sha256, received: resume ? offer.offset : 0 });
    const now = this.clock.now();
    this.startedAt = now;
    this.core = new ReceiverCore({ size: offer.size, startOffset: resume ? offer.offset : 0, window: host.opts.window, now });
    // datagrams go to the address the TCP connection reached, unless the offer names another (a cluster node that
    // serves the file for the node this client is connected to)
    const server = offer.host ?? host.link.serverAddress();
    const socket = createTransferSocket(server);
    this.endpoint = new TransferEndpoint({
      socket, transferId: this.id, token: Buffer.from(offer.token, 'hex'), counters: this.counters, peerFrom: 'connected',
      onPacket: (p) => this.onPacket(p),
      protection,
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      // ICMP port unreachable on the connected socket: the server closes its port as soon as every byte is
      // acknowledged, before "complete" arrives over TCP, so a late ACK meets a closed port. Not fatal: a path that is
      // really gone is caught by the deadlines and by the TCP connection.
      if (e.code === 'ECONNREFUSED') return;
      this.actor.send({ type: 'io.error', message: `UDP: ${e.message}` });
    });
    this.actor = createActor(receiverMachine, {
      id: `download-${this.id}`,
      clock: this.clock,
      input: { io: this, now, autoYes: host.opts.yes },
      inspect: host.opts.inspect?.(`download-${this.id}`),
    });
    this.actor.subscribe({ complete: () => this.cleanup(), error: () => this.cleanup() });
    host.link.emit({ type: 'download', id: this.id, file: this.file, size: this.size, offset: resume ? offer.offset : 0, path: this.part, resumed: resume });
    // connect: the kernel then drops datagrams from anywhere but the server's port
    this.endpoint.connect(offer.port, server, () => {
      // the credit never exceeds what the socket's receive buffer holds (the kernel may have granted less than asked)
      try { this.core.limitWindow(receiveWindowFor(socket.getRecvBufferSize())); } catch { /* size unknown: keep the window */ }
      this.actor.start();
    });
  }

  get awaitingConsent(): boolean { return this.actor.getSnapshot().matches('awaitingConsent'); }
  get state(): string { return String(this.actor.getSnapshot().value); }
  get received(): number { return this.core.received; }
  get spoofed(): number { return this.counters.spoofed; }
  get malformed(): number { return this.counters.malformed; }

  /**
   * An authenticated packet from the server. Its bytes are queued, and the rest waits for the end of this event-loop
   * turn (`endTurn`): the datagrams the socket delivered together are written in one `writev` per run, hashed, and
   * answered with one ACK, which is sent at once only when something is out of order (a gap the sender must hear of).
   */
  private onPacket(p: Packet): void {
    if (p.type !== 'data' || this.closedFd) return;
    const now = this.clock.now();
    const len = p.payload.length;
    if (p.offset + len > this.size) { this.counters.malformed++; return; }
    if (this.core.onData(p.pn, p.offset, len, now) && len > 0) {
      try { this.sink.add(p.offset, p.payload); } catch (e) { this.writeFailed(e); return; }
    }
    if (!this.turnScheduled) {
      this.turnScheduled = true;
      setImmediate(() => this.endTurn());
    }
  }

  private endTurn(): void {
    this.turnScheduled = false;
    if (this.closedFd) return;
    try { this.sink.flush(this.core.contiguous); } catch (e) { this.writeFailed(e); return; }
    const now = this.clock.now();
    if (this.core.ackDue(now)) this.sendAck(now);
    else this.armAckTimer();
    this.actor.send({ type: 'data', now });
  }

  private writeFailed(e: unknown): void {
    this.actor.send({ type: 'io.error', message: `cannot write ${this.part}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
  }

  private sendAck(now: number): void {
    if (this.ackTimer !== null) { this.clock.clearTimeout(this.ackTimer); this.ackTimer = null; }
    this.endpoint.sendAck(this.core.makeAck(now));
  }

  private armAckTimer(): void {
    if (this.ackTimer !== null) return;
    const at = this.core.ackDeadline();
    if (at === null) return;
    this.ackTimer = this.clock.setTimeout(() => { this.ackTimer = null; this.sendAck(this.clock.now()); }, Math.max(1, at - this.clock.now()));
  }

  /** The control connection is gone (or the client is closing): the download ends, interrupted. */
  connectionLost(reason: string, closing = false): void {
    this.lostAsked = this.questionPending;
    this.closingClient = closing;
    this.actor.send({ type: 'lost', reason });
  }

  onComplete(f: Extract<TransferServerFrame, { type: 'complete' }>): void {
    this.lastByteFromServer = typeof f.lastByte === 'number' ? f.lastByte : undefined;
    this.actor.send({ type: 'complete' });
  }

  // ---- ReceiverIO
  sendHello(): void {
    this.endpoint.sendHello(this.core.contiguous, this.core.windowBytes);
  }
  sendConsent(answer: 'yes' | 'no'): void {
    this.questionPending = false;
    if (answer === 'no') this.declined = true;
    // the time a person took to answer is not the transport's: it is left out of time and goodput
    if (this.pausedAt !== null) { this.pausedMs += this.clock.now() - this.pausedAt; this.pausedAt = null; }
    this.host.link.send({ type: 'consent', id: this.id, answer });
  }
  sendStop(): void {
    this.declined = true;
    this.host.link.send({ type: 'stop', id: this.id });
    this.endpoint.sendClose(0, 'stop');
  }
  consentAsked(received: number): void {
    this.questionPending = true;
    this.askedAt = received;
    this.pausedAt = this.clock.now();
    this.host.link.emit({ type: 'consent', id: this.id, file: this.file, received, size: this.size });
    if (this.host.noMoreAnswers && !this.host.opts.yes) {
      this.host.link.emit({ type: 'info', text: `end of input: answering no to download ${this.id} (${this.file}); /get resumes it later` });
      setImmediate(() => this.actor.send({ type: 'answer', answer: 'no' }));
    }
  }
  progress(): void {
    const secs = (this.clock.now() - this.startedAt - this.pausedMs) / 1000;
    this.host.link.emit({ type: 'progress', id: this.id, file: this.file, received: this.core.received, size: this.size, rate: secs > 0 ? Math.round((this.core.received - this.offer.offset) / secs) : 0 });
  }

  /**
   * The hash of the prefix was kept as it grew: only the bytes it has not reached yet are read, a slice per turn. First
   * the partial file's path is checked to still name the file written to (deleted or replaced meanwhile, the bytes
   * hashed are not the ones about to be put in place): that asynchronous look also gives the events that came with
   * `complete` (a stop, the connection lost) their turn in `verifying`, as a whole-file hash did.
   */
  verify(): void {
    if (!this.core.complete) { this.actor.send({ type: 'mismatch', message: `the server said complete at ${this.core.received} of ${this.size} bytes` }); return; }
    const failed = (e: unknown) => {
      this.closeFd();
      this.actor.send({ type: 'io.error', message: `cannot check ${this.part}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
    };
    const step = () => {
      if (this.closedFd) return; // the download ended meanwhile
      let done: boolean;
      try { this.sink.flush(this.size, 0); done = this.sink.catchUp(this.size, CATCH_UP_BYTES_PER_TURN); } catch (e) { failed(e); return; }
      if (!done) { setImmediate(step); return; }
      const got = this.sink.digest();
      this.closeFd();
      this.actor.send(got === this.offer.sha256 ? { type: 'verified' } : { type: 'mismatch', message: `SHA-256 ${got} differs from the server's ${this.offer.sha256}` });
    };
    // opened by its path, looked at and closed again off the event loop (as the whole-file hash's stream did)
    const check = async () => {
      const fh = await fs.promises.open(this.part, 'r');
      try { return await fh.stat(); } finally { await fh.close(); }
    };
    check().then((st) => {
      if (this.closedFd) return;
      const own = fs.fstatSync(this.fd);
      if (st.ino !== own.ino || st.dev !== own.dev) throw Object.assign(new Error('the partial file was replaced'), { code: 'ESTALE' });
      step();
    }).catch(failed);
  }

  finish(): void {
    const { dir } = this.host.opts;
    let lastByte: number | undefined;
    if (this.size > 0) {
      const b = Buffer.alloc(1);
      const fd = fs.openSync(this.part, 'r');
      try { fs.readSync(fd, b, 0, 1, this.size - 1); } finally { fs.closeSync(fd); }
      lastByte = b[0]!;
      if (this.lastByteFromServer !== undefined && this.lastByteFromServer !== lastByte) {
        this.host.link.emit({ type: 'info', text: `the server named ${this.lastByteFromServer} as the last byte, the file holds ${lastByte}` });
      }
    }
    this.finalPath = placeFinished(dir, this.base);
    dropPartialMeta(dir, this.base);
    const seconds = (this.clock.now() - this.startedAt - this.pausedMs) / 1000;
    const goodput = seconds > 0 ? Math.round((this.size - this.offer.offset) / seconds) : 0;
    const ev: ClientEvent = {
      type: 'finished', id: this.id, file: this.file, size: this.size, sha256: this.offer.sha256, path: this.finalPath,
      user: this.host.link.userName(), seconds: Number(seconds.toFixed(3)), goodput,
    };
    if (lastByte !== undefined) ev.lastByte = lastByte;
    this.host.link.emit(ev);
  }

  keepPartial(reason: string): void {
    this.closeFd();
    const received = this.lostAsked ? Math.max(0, Math.min(this.core.contiguous, this.askedAt - 1)) : this.core.contiguous;
    try { writePartial(this.host.opts.dir, this.base, { file: this.file, size: this.size, sha256: this.offer.sha256, received }); } catch { /* disk trouble: the next /get starts over */ }
    this.host.link.emit({ type: 'stopped', id: this.id, file: this.file, received, path: this.part, reason });
  }

  fail(code: ErrorCode, message: string): void {
    this.closeFd();
    try { writePartial(this.host.opts.dir, this.base, { file: this.file, size: this.size, sha256: this.offer.sha256, received: this.core.contiguous }); } catch { /* ignore */ }
    this.host.link.emit({ type: 'error', code, message, id: this.id, file: this.file });
  }

  /** Writes what is queued (a partial's `received` must be on disk), then closes the file. */
  private closeFd(): void {
    if (this.closedFd) return;
    try { this.sink.flush(this.core.contiguous, 0); } catch { /* the disk failed: the partial's length says what is there */ }
    this.closedFd = true;
    try { fs.closeSync(this.fd); } catch { /* already closed */ }
  }

  private cleanup(): void {
    if (this.ackTimer !== null) this.clock.clearTimeout(this.ackTimer);
    this.closeFd();
    this.endpoint.close();
    // a download lost while running, or while its question waited, is asked for again once connected (the question
    // is then asked again: its partial ends just before it); one the user said no to or stopped is not
    const interrupted = this.actor.getSnapshot().matches('interrupted') && !this.declined;
    if (interrupted && this.lostAsked && !this.closingClient) {
      this.host.link.emit({ type: 'info', text: `download ${this.id} (${this.file}) was waiting for your answer when the connection was lost: it resumes once connected, and the question is asked again` });
    }
    this.host.ended(this, interrupted);
  }
}
