// The client's downloads: requests sent over TCP, and for each offer a receiver actor bound to a UDP socket and a
// partial file. Datagrams are handled here (decode, receiver core, write at offset, ACK); the actor gets coarse
// events and decides. One timer per client drives every download's ticks.
import crypto from 'node:crypto';
import dgram from 'node:dgram';
import fs from 'node:fs';
import { createActor, type Actor, type InspectionEvent } from 'xstate';
import type { ClientEvent } from '../machines/client-events.js';
import { localBaseName } from '../machines/file-name.js';
import type { ClientFrame, ServerFrame, TransferServerFrame } from '../machines/frames.js';
import { receiverMachine, type ReceiverIO } from '../machines/receiver.machine.js';
import { decodePacket, encodeAck, encodeClose, encodeHello, type Packet } from '../machines/transport/packet-codec.js';
import { ReceiverCore } from '../machines/transport/receiver-core.js';
import { every, systemClock, type Clock } from './clock.js';
import { dropPartialMeta, partialDir, partPath, placeFinished, readPartial, sha256File, writePartial } from './download-files.js';

export interface DownloadsOptions {
  host: string;
  dir: string;
  yes: boolean;
  /** Receiver window (flow-control credit beyond the contiguous prefix), bytes. */
  window: number;
  tickMs: number;
  /** Where time comes from (tests move a WarpClock by hand). */
  clock: Clock;
  inspect?: (id: string) => ((ev: InspectionEvent) => void) | undefined;
}

export interface DownloadsLink {
  send(f: ClientFrame): boolean;
  emit(e: ClientEvent): void;
  /** The address the TCP connection reached: datagrams go there. */
  serverAddress(): string;
  userName(): string;
}

const SOCKET_BUFFER_BYTES = 4 << 20;
const DEFAULTS = { window: 64 << 20, tickMs: 100, clock: systemClock };
type Offer = Extract<TransferServerFrame, { type: 'offer' }>;

let nextRef = 1;

export class Downloads {
  readonly opts: DownloadsOptions;
  private readonly requests = new Map<string, { file: string; base: string | null; offset?: number; sha256?: string }>();
  private readonly active = new Map<number, ClientDownload>();
  /** Files whose download the connection loss interrupted: asked for again after reconnecting. */
  private readonly interrupted = new Set<string>();
  private stopTimer: (() => void) | null = null;
  private idleWaiters: Array<() => void> = [];
  private closed = false;
  /** End of input: nobody is left to answer a halfway question, so later ones are answered no. */
  noMoreAnswers = false;

  constructor(opts: Partial<DownloadsOptions> & Pick<DownloadsOptions, 'host' | 'dir' | 'yes'>, readonly link: DownloadsLink) {
    this.opts = { ...DEFAULTS, ...opts, clock: opts.clock ?? DEFAULTS.clock };
  }

  get pending(): number { return this.requests.size + this.active.size; }
  list(): ClientDownload[] { return [...this.active.values()]; }

  request(file: string): void {
    if (this.closed) return;
    const base = localBaseName(file);
    for (const d of this.active.values()) {
      if (d.base === base) { this.link.emit({ type: 'error', code: 'already-downloading', message: `${file} is already being downloaded (download ${d.id})`, file }); return; }
    }
    const ref = `r${nextRef++}`;
    const frame: Extract<ClientFrame, { type: 'get' }> = { type: 'get', file, ref };
    // a kept partial copy of this file: ask to resume it (the server checks that its file is unchanged)
    if (base) {
      const meta = readPartial(this.opts.dir, base);
      if (meta && meta.received > 0) { frame.offset = meta.received; frame.sha256 = meta.sha256; }
    }
    if (this.link.send(frame)) this.requests.set(ref, { file, base, offset: frame.offset, sha256: frame.sha256 });
  }

  answer(kind: 'yes' | 'no', id?: number): void {
    const d = id !== undefined ? this.active.get(id) : this.list().find((x) => x.awaitingConsent);
    if (!d || !d.awaitingConsent) {
      this.link.emit({ type: 'error', code: 'no-such-transfer', message: id !== undefined ? `download ${id} is not waiting for an answer` : 'no download is waiting for an answer' });
      return;
    }
    d.actor.send({ type: 'answer', answer: kind });
  }

  stop(id?: number): void {
    const d = id !== undefined ? this.active.get(id) : this.list()[0];
    if (!d) { this.link.emit({ type: 'error', code: 'no-such-transfer', message: id !== undefined ? `no download ${id}` : 'no download is running' }); return; }
    d.actor.send({ type: 'stop' });
  }

  onFrame(f: TransferServerFrame): void {
    if (f.type === 'offer') { this.onOffer(f); return; }
    const d = this.active.get(Number(f.id));
    if (!d) return;
    if (f.type === 'ask') d.actor.send({ type: 'ask', received: Number(f.received) });
    else if (f.type === 'complete') d.onComplete(f);
    else if (f.type === 'stopped') d.actor.send({ type: 'server.stopped', reason: String(f.reason) });
  }

  /** Errors that belong to a request or a download; true when handled here. */
  onError(f: Extract<ServerFrame, { type: 'error' }>): boolean {
    if (typeof f.ref === 'string' && this.requests.has(f.ref)) {
      const r = this.requests.get(f.ref)!;
      this.requests.delete(f.ref);
      this.link.emit({ type: 'error', code: f.code, message: String(f.message), file: r.file });
      this.checkIdle();
      return true;
    }
    if (typeof f.id === 'number' && this.active.has(f.id)) {
      const d = this.active.get(f.id)!;
      if (f.code === 'rate-limited') {
        // only the control frame was refused, not the download: say so, and ask the question again if it stands
        this.link.emit({ type: 'error', code: f.code, message: String(f.message), id: d.id, file: d.file });
        if (f.re === 'consent') d.actor.send({ type: 'ask', received: d.core.contiguous });
        return true;
      }
      d.actor.send({ type: 'server.error', code: f.code, message: String(f.message) });
      return true;
    }
    return false;
  }

  private onOffer(f: Offer): void {
    const req = typeof f.ref === 'string' ? this.requests.get(f.ref) : undefined;
    if (f.ref !== undefined) this.requests.delete(String(f.ref));
    const base = localBaseName(String(f.file));
    const valid = base !== null && Number.isSafeInteger(f.size) && f.size >= 0 && Number.isSafeInteger(f.offset) && f.offset >= 0 && f.offset <= f.size
      && /^[0-9a-f]{64}$/.test(String(f.sha256)) && /^[0-9a-f]{16}$/.test(String(f.token)) && Number.isInteger(f.port) && f.port > 0 && f.port < 65536;
    if (!req || !valid || this.closed) {
      this.link.send({ type: 'stop', id: f.id });
      if (!valid) this.link.emit({ type: 'error', code: 'bad-file-name', message: `refused an offer with an unsafe name or fields: ${JSON.stringify(String(f.file)).slice(0, 80)}` });
      this.checkIdle();
      return;
    }
    try {
      const resume = f.resumed === true;
      // a resume is accepted only at exactly the offset and for exactly the file this client asked for
      if (resume && (f.offset !== req.offset || f.sha256 !== req.sha256)) throw new Error('the server offered a resume this client did not ask for');
      if (!resume && f.offset !== 0) throw new Error('the server offered to start in the middle of a file');
      const d = new ClientDownload(this, f, base!, resume);
      this.active.set(f.id, d);
      this.interrupted.delete(f.file);
      this.ensureTimer();
    } catch (e) {
      this.link.send({ type: 'stop', id: f.id });
      this.link.emit({ type: 'error', code: 'transfer-failed', message: `download refused: ${(e as Error).message}`, file: f.file });
      this.checkIdle();
    }
  }

  ended(d: ClientDownload, interrupted: boolean): void {
    this.active.delete(d.id);
    if (interrupted) this.interrupted.add(d.file);
    if (!this.active.size && this.stopTimer) { this.stopTimer(); this.stopTimer = null; }
    this.checkIdle();
  }

  private ensureTimer(): void {
    if (this.stopTimer) return;
    const { clock } = this.opts;
    this.stopTimer = every(clock, this.opts.tickMs, () => {
      const now = clock.now();
      for (const d of this.active.values()) d.actor.send({ type: 'tick', now });
    });
  }

  connectionLost(): void {
    for (const d of this.list()) d.actor.send({ type: 'lost', reason: 'connection lost' });
    for (const r of this.requests.values()) this.interrupted.add(r.file);
    this.requests.clear();
  }

  /** Back online after a loss: ask again for what the loss interrupted (they resume from the kept partial). */
  connectionRestored(): void {
    const again = [...this.interrupted];
    this.interrupted.clear();
    for (const file of again) {
      this.link.emit({ type: 'info', text: `resuming the download of ${file}` });
      this.request(file);
    }
  }

  /** Resolves when no request or download is pending; a question nobody can answer any more is answered no. */
  idle(): Promise<void> {
    this.noMoreAnswers = true;
    for (const d of this.list()) if (d.awaitingConsent) {
      this.link.emit({ type: 'info', text: `end of input: answering no to download ${d.id} (${d.file}); /get resumes it later` });
      d.actor.send({ type: 'answer', answer: 'no' });
    }
    if (!this.pending) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private checkIdle(): void {
    if (this.pending) return;
    for (const w of this.idleWaiters.splice(0)) w();
  }

  shutdown(): void {
    this.closed = true;
    for (const d of this.list()) d.actor.send({ type: 'lost', reason: 'client closing' });
    this.interrupted.clear();
  }
}

/** One download on the client: the receiver actor, its UDP socket, its partial file. */
export class ClientDownload implements ReceiverIO {
  readonly id: number;
  readonly file: string;
  readonly size: number;
  readonly actor: Actor<typeof receiverMachine>;
  readonly core: ReceiverCore;
  readonly part: string;
  private readonly token: Buffer;
  private readonly socket: dgram.Socket;
  private readonly fd: number;
  private readonly startedAt: number;
  private readonly offer: Offer;
  private ackTimer: unknown = null;
  private dataSignalled = false;
  private lastByteFromServer: number | undefined;
  private closedFd = false;
  private finalPath = '';
  spoofed = 0;
  malformed = 0;
  /** A halfway question is asked and not answered. */
  private questionPending = false;
  private pausedAt: number | null = null;
  private pausedMs = 0;

  constructor(private readonly host: Downloads, offer: Offer, readonly base: string, resume: boolean) {
    const { dir } = host.opts;
    this.offer = offer;
    this.startedAt = host.opts.clock.now();
    this.id = offer.id;
    this.file = offer.file;
    this.size = offer.size;
    this.token = Buffer.from(offer.token, 'hex');
    fs.mkdirSync(partialDir(dir), { recursive: true });
    this.part = partPath(dir, base);
    if (!resume && readPartial(dir, base)) host.link.emit({ type: 'info', text: `the server's ${offer.file} changed since the partial copy: starting over` });
    this.fd = fs.openSync(this.part, resume ? 'r+' : 'w');
    if (!resume) fs.ftruncateSync(this.fd, 0);
    writePartial(dir, base, { file: offer.file, size: offer.size, sha256: offer.sha256, received: resume ? offer.offset : 0 });
    const now = this.host.opts.clock.now();
    this.core = new ReceiverCore({ size: offer.size, startOffset: resume ? offer.offset : 0, window: host.opts.window, now });
    const server = host.link.serverAddress();
    this.socket = dgram.createSocket({ type: server.includes(':') ? 'udp6' : 'udp4', recvBufferSize: SOCKET_BUFFER_BYTES, sendBufferSize: SOCKET_BUFFER_BYTES });
    this.socket.on('message', (m, r) => this.onDatagram(m, r));
    this.socket.on('error', (e: NodeJS.ErrnoException) => {
      // ICMP port unreachable on the connected socket: the server closes its port as soon as every byte is
      // acknowledged, before "complete" arrives over TCP, so a late ACK meets a closed port. Not fatal: a path that is
      // really gone is caught by the deadlines and by the TCP connection.
      if (e.code === 'ECONNREFUSED') return;
      this.actor.send({ type: 'io.error', message: `UDP: ${e.message}` });
    });
    this.actor = createActor(receiverMachine, {
      id: `download-${this.id}`,
      input: { io: this, now, autoYes: host.opts.yes },
      clock: host.opts.clock,
      inspect: host.opts.inspect?.(`download-${this.id}`),
    });
    this.actor.subscribe({ complete: () => this.cleanup(), error: () => this.cleanup() });
    host.link.emit({ type: 'download', id: this.id, file: this.file, size: this.size, offset: resume ? offer.offset : 0, path: this.part, resumed: resume });
    // connect: the kernel then drops datagrams from anywhere but the server's port
    this.socket.connect(offer.port, server, () => this.actor.start());
  }

  get awaitingConsent(): boolean { return this.actor.getSnapshot().matches('awaitingConsent'); }
  get state(): string { return String(this.actor.getSnapshot().value); }
  get received(): number { return this.core.received; }

  private header(pn = 0) { return { transferId: this.id, token: this.token, pn }; }

  private onDatagram(msg: Buffer, _r: dgram.RemoteInfo): void {
    let p: Packet;
    try { p = decodePacket(msg); } catch { this.malformed++; return; }
    if (p.transferId !== this.id || !crypto.timingSafeEqual(p.token, this.token)) { this.spoofed++; return; }
    if (p.type !== 'data') return;
    const now = this.host.opts.clock.now();
    const len = p.payload.length;
    if (p.offset + len > this.size) { this.malformed++; return; }
    if (this.core.onData(p.pn, p.offset, len, now) && len > 0) {
      try {
        // a disk that takes only part of a write returns a short count: write the rest, and the disk says why it cannot
        for (let at = 0; at < len;) {
          const n = fs.writeSync(this.fd, p.payload, at, len - at, p.offset + at);
          if (n <= 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
          at += n;
        }
      } catch (e) { this.actor.send({ type: 'io.error', message: `cannot write ${this.part}: ${(e as NodeJS.ErrnoException).code}` }); return; }
    }
    if (this.core.ackDue(now)) this.sendAck(now);
    else this.armAckTimer();
    if (!this.dataSignalled) {
      // one actor event per event-loop turn of datagrams, not one per datagram
      this.dataSignalled = true;
      setImmediate(() => { this.dataSignalled = false; this.actor.send({ type: 'data', now: this.host.opts.clock.now() }); });
    }
  }

  private sendAck(now: number): void {
    if (this.ackTimer) { this.host.opts.clock.clearTimeout(this.ackTimer); this.ackTimer = null; }
    const ack = this.core.makeAck(now);
    this.socket.send(encodeAck(this.header(), ack));
  }

  private armAckTimer(): void {
    if (this.ackTimer) return;
    const at = this.core.ackDeadline();
    if (at === null) return;
    const { clock } = this.host.opts;
    this.ackTimer = clock.setTimeout(() => { this.ackTimer = null; this.sendAck(clock.now()); }, Math.max(1, at - clock.now()));
  }

  onComplete(f: Extract<TransferServerFrame, { type: 'complete' }>): void {
    this.lastByteFromServer = typeof f.lastByte === 'number' ? f.lastByte : undefined;
    this.actor.send({ type: 'complete' });
  }

  // ---- ReceiverIO
  sendHello(): void {
    try { this.socket.send(encodeHello(this.header(), this.core.contiguous, this.host.opts.window)); } catch { /* not connected yet or closed */ }
  }
  sendConsent(answer: 'yes' | 'no'): void {
    this.questionPending = false;
    // the time a person took to answer is not the transport's: it is left out of time and goodput
    if (this.pausedAt !== null) { this.pausedMs += this.host.opts.clock.now() - this.pausedAt; this.pausedAt = null; }
    this.host.link.send({ type: 'consent', id: this.id, answer });
  }
  sendStop(): void {
    this.host.link.send({ type: 'stop', id: this.id });
    try { this.socket.send(encodeClose(this.header(), 0, 'stop')); } catch { /* closed */ }
  }
  consentAsked(received: number): void {
    this.questionPending = true;
    this.pausedAt = this.host.opts.clock.now();
    this.host.link.emit({ type: 'consent', id: this.id, file: this.file, received, size: this.size });
    if (this.host.noMoreAnswers && !this.host.opts.yes) {
      this.host.link.emit({ type: 'info', text: `end of input: answering no to download ${this.id} (${this.file}); /get resumes it later` });
      setImmediate(() => this.actor.send({ type: 'answer', answer: 'no' }));
    }
  }
  progress(): void {
    const secs = (this.host.opts.clock.now() - this.startedAt - this.pausedMs) / 1000;
    this.host.link.emit({ type: 'progress', id: this.id, file: this.file, received: this.core.received, size: this.size, rate: secs > 0 ? Math.round((this.core.received - this.offer.offset) / secs) : 0 });
  }

  verify(): void {
    if (!this.core.complete) { this.actor.send({ type: 'mismatch', message: `the server said complete at ${this.core.received} of ${this.size} bytes` }); return; }
    this.closeFd();
    sha256File(this.part).then(
      (got) => this.actor.send(got === this.offer.sha256 ? { type: 'verified' } : { type: 'mismatch', message: `SHA-256 ${got} differs from the server's ${this.offer.sha256}` }),
      (e: Error) => this.actor.send({ type: 'io.error', message: e.message }),
    );
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
    const seconds = (this.host.opts.clock.now() - this.startedAt - this.pausedMs) / 1000;
    const goodput = seconds > 0 ? Math.round((this.size - this.offer.offset) / seconds) : 0;
    const user = this.host.link.userName();
    const text = `User ${user} downloaded 100% out of file. Last byte is: ${lastByte ?? 'none (empty file)'}. `
      + `${this.file}: ${this.size} bytes, SHA-256 ${this.offer.sha256} verified, ${seconds.toFixed(2)} s, ${(goodput / 1e6).toFixed(1)} MB/s -> ${this.finalPath}`;
    const ev: ClientEvent = { type: 'finished', id: this.id, file: this.file, size: this.size, sha256: this.offer.sha256, path: this.finalPath, seconds: Number(seconds.toFixed(3)), goodput, text };
    if (lastByte !== undefined) ev.lastByte = lastByte;
    this.host.link.emit(ev);
  }

  keepPartial(reason: string): void {
    this.closeFd();
    const received = this.core.contiguous;
    try { writePartial(this.host.opts.dir, this.base, { file: this.file, size: this.size, sha256: this.offer.sha256, received }); } catch { /* disk trouble: the next /get starts over */ }
    this.host.link.emit({ type: 'stopped', id: this.id, file: this.file, received, path: this.part, reason });
  }

  fail(code: string, message: string): void {
    this.closeFd();
    try { writePartial(this.host.opts.dir, this.base, { file: this.file, size: this.size, sha256: this.offer.sha256, received: this.core.contiguous }); } catch { /* ignore */ }
    this.host.link.emit({ type: 'error', code, message, id: this.id, file: this.file });
  }

  private closeFd(): void {
    if (this.closedFd) return;
    this.closedFd = true;
    try { fs.closeSync(this.fd); } catch { /* already closed */ }
  }

  private cleanup(): void {
    if (this.ackTimer) this.host.opts.clock.clearTimeout(this.ackTimer);
    this.closeFd();
    try { this.socket.close(); } catch { /* closed */ }
    // a download lost while its question waited is not resumed by itself: that would skip the question
    const interrupted = this.actor.getSnapshot().matches('interrupted') && !this.questionPending;
    if (this.questionPending && this.actor.getSnapshot().matches('interrupted')) {
      this.host.link.emit({ type: 'info', text: `download ${this.id} (${this.file}) was waiting for your answer when the connection was lost; /get ${this.file} resumes it` });
    }
    this.host.ended(this, interrupted);
  }
}
