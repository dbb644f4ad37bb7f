// DCC SEND from the file service to IRC clients, over TCP as IRC users expect (the halfway question of our UDP
// downloads does not apply here). Active: the server listens on a port from the transfer pool and names it in the
// offer; passive (reverse) DCC: the offer names port 0 and a token, the client listens and answers with its port,
// the server connects. Files come from the catalogue (the same name and path rules as UDP downloads); a port is
// returned to the pool however the send ends. Connections are taken only from, and made only to, the address the
// IRC connection comes from.
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import { MessengerError } from '../../machines/errors.js';
import type { DccRequest } from '../../machines/irc/ctcp.js';
import type { IrcEvent } from '../../machines/irc/irc-session.machine.js';
import { LIMITS } from '../../machines/limits.js';
import { TIMING } from '../../machines/timing.js';
import type { Catalogue, OpenedFile } from '../catalogue.js';
import type { Clock, TimerHandle } from '../clock.js';
import type { Logger } from '../logger.js';
import type { PortPool } from '../port-pool.js';

type DccEvent = Extract<IrcEvent, { type: 'dcc.offer' | 'dcc.accept' | 'dcc.refused' | 'dcc.ended' }>;

/** The IRC connection a send belongs to. */
export interface DccPeer {
  /** Where the IRC client connects from: the only address a DCC connection is taken from or made to. */
  readonly remoteAddress: string;
  /** The server's address on the IRC connection: what the offer names (the client reached the server there). */
  readonly localAddress: string;
  readonly nick: string;
  dccEvent(e: DccEvent): void;
}

export interface DccOptions {
  /** Where active sends listen (the server's --host). */
  host: string;
  offerTimeoutMs?: number;
  silentMs?: number;
  maxPerClient?: number;
}

export interface DccStats { offered: number; sent: number; failed: number }

class Send {
  position = 0;
  socket: net.Socket | null = null;
  listener: net.Server | null = null;
  timer: TimerHandle = null;
  done = false;
  written = 0;

  constructor(readonly peer: DccPeer, readonly file: OpenedFile, readonly port: number | null, readonly token: string | undefined) {}
}

export class DccSender {
  private readonly sends = new Set<Send>();
  readonly stats: DccStats = { offered: 0, sent: 0, failed: 0 };
  private readonly offerMs: number;
  private readonly silentMs: number;
  private readonly maxPerClient: number;

  constructor(private readonly catalogue: Catalogue, private readonly pool: PortPool, private readonly clock: Clock, private readonly log: Logger, private readonly opts: DccOptions) {
    this.offerMs = opts.offerTimeoutMs ?? TIMING.dccOfferTimeoutMs;
    this.silentMs = opts.silentMs ?? TIMING.dccSilentMs;
    this.maxPerClient = opts.maxPerClient ?? LIMITS.transfersPerClient;
  }

  get active(): number { return this.sends.size; }

  /** Offers `name` to `peer`: answers the peer with `dcc.offer` or `dcc.refused`. */
  async offer(peer: DccPeer, name: string, passive: boolean): Promise<void> {
    const refuse = (message: string) => peer.dccEvent({ type: 'dcc.refused', file: name, message });
    if ([...this.sends].filter((s) => s.peer === peer).length >= this.maxPerClient) { refuse(`at most ${this.maxPerClient} downloads at once per client`); return; }
    let file: OpenedFile;
    try { file = await this.catalogue.open(name); } catch (e) {
      refuse(e instanceof MessengerError ? e.message : 'cannot read the shared folder');
      return;
    }
    if (passive) {
      const s = new Send(peer, file, null, crypto.randomInt(1, 2 ** 31).toString());
      this.sends.add(s);
      this.arm(s, this.offerMs, 'the offer was not taken in time');
      this.stats.offered++;
      peer.dccEvent({ type: 'dcc.offer', file: file.name, ip: peer.localAddress, port: 0, size: file.size, token: s.token });
      return;
    }
    const port = this.pool.acquire(this.clock.now());
    if (port === null) { file.close(); refuse(`busy: all ${this.pool.size} transfer ports are in use; try again shortly`); return; }
    const listener = net.createServer();
    try {
      await new Promise<void>((resolve, reject) => {
        listener.once('error', reject);
        listener.listen({ host: this.opts.host, port, exclusive: true }, () => { listener.off('error', reject); resolve(); });
      });
    } catch (e) {
      listener.close();
      this.pool.bench(port, this.clock.now() + TIMING.portBenchMs);
      file.close();
      this.log.warn({ port, err: (e as NodeJS.ErrnoException).code }, 'cannot listen on a pool port for DCC');
      refuse(`busy: transfer port ${port} is unavailable; try again`);
      return;
    }
    const s = new Send(peer, file, port, undefined);
    s.listener = listener;
    this.sends.add(s);
    listener.on('error', () => {});
    listener.on('connection', (sock) => {
      if (s.socket || s.done || !sameAddress(sock.remoteAddress, peer.remoteAddress)) { sock.destroy(); return; }
      listener.close();
      this.stream(s, sock);
    });
    this.arm(s, this.offerMs, 'the offer was not taken in time');
    this.stats.offered++;
    peer.dccEvent({ type: 'dcc.offer', file: file.name, ip: peer.localAddress, port, size: file.size });
  }

  /** A client's answer to an offer: the port of a passive one, or DCC RESUME. */
  request(peer: DccPeer, req: DccRequest): void {
    const s = [...this.sends].find((x) => x.peer === peer && !x.socket && !x.done
      && (req.token !== undefined ? x.token === req.token : x.token === undefined && x.port === req.port));
    if (!s) { peer.dccEvent({ type: 'dcc.refused', file: req.file, message: 'no such offer waiting (it may have timed out): ask again with get' }); return; }
    if (req.kind === 'resume') {
      if (req.position > s.file.size) { peer.dccEvent({ type: 'dcc.refused', file: s.file.name, message: `cannot resume at ${req.position}: the file has ${s.file.size} bytes` }); return; }
      s.position = req.position;
      const accept: DccEvent = { type: 'dcc.accept', file: req.file, port: req.port, position: req.position };
      if (req.token !== undefined) accept.token = req.token;
      peer.dccEvent(accept);
      return;
    }
    // passive: the client listens at req.port, on the address its IRC connection comes from
    const sock = net.connect({ host: peer.remoteAddress, port: req.port });
    sock.once('error', (e) => this.finish(s, false, `cannot connect to your client (${(e as NodeJS.ErrnoException).code ?? e.message})`));
    sock.once('connect', () => { sock.removeAllListeners('error'); this.stream(s, sock); });
    this.arm(s, this.silentMs, 'your client did not accept the connection');
  }

  /** Ends every send of `peer` (its IRC connection ended). */
  peerGone(peer: DccPeer): void {
    for (const s of [...this.sends]) if (s.peer === peer) this.finish(s, false, 'the IRC connection ended', false);
  }

  stop(): void {
    for (const s of [...this.sends]) this.finish(s, false, 'server-shutdown', false);
  }

  private arm(s: Send, ms: number, why: string): void {
    this.clock.clearTimeout(s.timer);
    s.timer = this.clock.setTimeout(() => this.finish(s, false, why), ms);
  }

  private stream(s: Send, sock: net.Socket): void {
    s.socket = sock;
    sock.setNoDelay(true);
    const total = s.file.size - s.position;
    this.arm(s, this.silentMs, 'your client went silent');
    // the receiver acknowledges with 4-byte counts (and closes when it has everything): both keep the send alive
    let left = Buffer.alloc(0), acked = -1, failed = false;
    sock.on('data', (d: Buffer) => {
      this.arm(s, this.silentMs, 'your client went silent');
      // the last complete 4-byte count is how much the client has
      const all = left.length ? Buffer.concat([left, d]) : d;
      const whole = all.length - (all.length % 4);
      if (whole >= 4) acked = all.readUInt32BE(whole - 4);
      left = Buffer.from(all.subarray(whole));
    });
    sock.on('error', () => { failed = true; });
    sock.on('close', () => {
      const ok = acked === s.file.size % 2 ** 32 || (s.written >= total && !failed);
      this.finish(s, ok, ok ? `sent, ${s.file.size} bytes` : `the transfer broke off after ${s.position + s.written} of ${s.file.size} bytes`);
    });
    if (total === 0) { sock.end(); return; }
    const rs = fs.createReadStream('', { fd: s.file.fd, start: s.position, end: s.file.size - 1, autoClose: false, highWaterMark: 256 * 1024 });
    rs.on('data', (chunk) => { s.written += chunk.length; this.arm(s, this.silentMs, 'your client went silent'); });
    rs.on('error', () => { this.finish(s, false, 'cannot read the file'); });
    rs.on('end', () => sock.end());
    rs.pipe(sock, { end: false });
    sock.once('close', () => rs.destroy());
  }

  private finish(s: Send, ok: boolean, message: string, tell = true): void {
    if (s.done) return;
    s.done = true;
    this.sends.delete(s);
    this.clock.clearTimeout(s.timer);
    s.listener?.close();
    s.socket?.destroy();
    if (s.port !== null) this.pool.release(s.port);
    s.file.close();
    if (ok) this.stats.sent++; else this.stats.failed++;
    this.log.info({ name: s.peer.nick, file: s.file.name, bytes: s.position + s.written, ok, why: ok ? undefined : message }, ok ? 'dcc sent' : 'dcc ended');
    if (tell) s.peer.dccEvent({ type: 'dcc.ended', file: s.file.name, ok, message });
  }
}

/** Whether two socket addresses are the same host (an IPv4 address may show as ::ffff:a.b.c.d). */
function sameAddress(a: string | undefined, b: string): boolean {
  const plain = (x: string) => x.replace(/^::ffff:/i, '');
  return a !== undefined && plain(a) === plain(b);
}
