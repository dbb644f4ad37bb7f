// A user-space link emulator (this kernel has no netem): a UDP proxy between download clients and the server's UDP
// port pool that impairs each direction on its own. For every client source address seen on a listen port it opens,
// like a NAT, one upstream socket connected to the target; datagrams going up pass the `up` impairments, replies
// coming back on that upstream socket pass the `down` impairments and leave from the listen socket to the client.
// Each direction has one Impairments (so one bottleneck queue shared by all mappings and clients: a single
// bottleneck is what a fairness test needs) and one PRNG derived from the seed.
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import { performance } from 'node:perf_hooks';
import { applyCorruption, Impairments } from './impairments.js';
import type { DropCause, ImpairmentCounters } from './impairments.js';
import { NO_IMPAIRMENTS } from './impairment-spec.js';
import type { ImpairmentSpec } from './impairment-spec.js';
import { Prng } from './prng.js';
import { TimerQueue } from './timer-queue.js';

export interface PortMapping {
  readonly listenPort: number;
  readonly targetHost: string;
  readonly targetPort: number;
}

export interface LinkEmulatorOptions {
  /** Address the listen sockets bind to. */
  readonly host: string;
  readonly mappings: readonly PortMapping[];
  /** Client -> server. Default: clean. */
  readonly up?: ImpairmentSpec;
  /** Server -> client. Default: clean. */
  readonly down?: ImpairmentSpec;
  readonly seed: number;
  /** A NAT entry with no traffic either way for this long is closed (default NAT_IDLE_MS). */
  readonly natIdleMs?: number;
}

export type Direction = 'up' | 'down';
/** Drops after the impairments let a datagram through: its NAT entry closed meanwhile, a send failed, or the
 *  upstream socket was still connecting and its backlog was full. */
export type DeliveryFailure = 'closed' | 'sendError' | 'natBacklog';

export interface DirectionStats extends Omit<ImpairmentCounters, 'dropped'> {
  /** Datagrams (copies included) handed to the kernel without error. */
  forwarded: number;
  dropped: Record<DropCause | DeliveryFailure, number>;
}

export interface LinkStats {
  readonly up: DirectionStats;
  readonly down: DirectionStats;
  readonly nat: { readonly active: number; readonly opened: number; readonly expired: number };
}

export const NAT_IDLE_MS = 60_000;
/** 4 MiB is the kernel maximum here; the 208 KiB default holds only a dozen 16 KB datagrams. */
const SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;
/** Check for idle NAT entries this often at most; expiry may be late by up to this much. */
const MAX_SWEEP_INTERVAL_MS = 5_000;
/** Datagrams kept for an upstream socket that is still connecting (connect does an async lookup). */
const MAX_CONNECT_BACKLOG = 1024;
const UP_SALT = 1;
const DOWN_SALT = 2;

interface Listener {
  readonly socket: dgram.Socket;
  readonly mapping: PortMapping;
  readonly nat: Map<string, NatEntry>;
}

interface NatEntry {
  readonly key: string;
  readonly listener: Listener;
  readonly clientAddress: string;
  readonly clientPort: number;
  readonly upstream: dgram.Socket;
  connected: boolean;
  closed: boolean;
  backlog: Buffer[];
  lastSeen: number;
}

interface Release {
  readonly dir: Direction;
  readonly entry: NatEntry;
  readonly data: Buffer;
}

function familyOf(host: string): 'udp4' | 'udp6' {
  return isIPv6(host) ? 'udp6' : 'udp4';
}

function enlargeBuffers(socket: dgram.Socket): void {
  // Where the OS refuses (or caps silently), the default buffers still work, only with more kernel drops under load.
  try { socket.setRecvBufferSize(SOCKET_BUFFER_BYTES); } catch { /* not allowed here */ }
  try { socket.setSendBufferSize(SOCKET_BUFFER_BYTES); } catch { /* not allowed here */ }
}

function closeSocket(socket: dgram.Socket): Promise<void> {
  return new Promise((resolve) => {
    try { socket.close(() => resolve()); } catch { resolve(); } // already closed
  });
}

export class LinkEmulator {
  private readonly impairments: Record<Direction, Impairments>;
  private readonly failures: Record<Direction, { forwarded: number } & Record<DeliveryFailure, number>>;
  private readonly timers: TimerQueue<Release>;
  private readonly natIdleMs: number;
  private listeners: Listener[] = [];
  private sweeper: NodeJS.Timeout | null = null;
  private t0 = performance.now();
  private natOpened = 0;
  private natExpired = 0;
  private state: 'new' | 'running' | 'closed' = 'new';
  // One callback per direction for every send, not a closure per datagram.
  private readonly sent: Record<Direction, (err: Error | null) => void>;

  constructor(private readonly opts: LinkEmulatorOptions) {
    this.impairments = {
      up: new Impairments(opts.up ?? NO_IMPAIRMENTS, Prng.derive(opts.seed, UP_SALT)),
      down: new Impairments(opts.down ?? NO_IMPAIRMENTS, Prng.derive(opts.seed, DOWN_SALT)),
    };
    const zero = () => ({ forwarded: 0, closed: 0, sendError: 0, natBacklog: 0 });
    this.failures = { up: zero(), down: zero() };
    this.sent = {
      up: (err) => { if (err) this.failures.up.sendError++; else this.failures.up.forwarded++; },
      down: (err) => { if (err) this.failures.down.sendError++; else this.failures.down.forwarded++; },
    };
    this.natIdleMs = opts.natIdleMs ?? NAT_IDLE_MS;
    this.timers = new TimerQueue<Release>(() => this.now(), (r) => this.release(r));
  }

  /** Binds every listen port; rejects (with everything closed again) if one cannot be bound. */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error('LinkEmulator can be started once');
    this.state = 'running';
    try {
      for (const mapping of this.opts.mappings) this.listeners.push(await this.listen(mapping));
    } catch (e) {
      await this.close();
      throw e;
    }
    this.t0 = performance.now(); // blackouts count from here
    const sweepMs = Math.max(1, Math.min(MAX_SWEEP_INTERVAL_MS, this.natIdleMs / 4));
    this.sweeper = setInterval(() => this.sweep(), sweepMs);
    this.sweeper.unref();
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    if (this.sweeper) clearInterval(this.sweeper);
    this.timers.clear();
    const closing: Promise<void>[] = [];
    for (const l of this.listeners) {
      for (const entry of l.nat.values()) { entry.closed = true; closing.push(closeSocket(entry.upstream)); }
      l.nat.clear();
      closing.push(closeSocket(l.socket));
    }
    this.listeners = [];
    await Promise.all(closing);
  }

  /** The bound listen ports, in mapping order (useful with listenPort 0). */
  get ports(): number[] {
    return this.listeners.map((l) => l.socket.address().port);
  }

  stats(): LinkStats {
    let active = 0;
    for (const l of this.listeners) active += l.nat.size;
    return {
      up: this.directionStats('up'),
      down: this.directionStats('down'),
      nat: { active, opened: this.natOpened, expired: this.natExpired },
    };
  }

  /** ms since start(), the time base of the impairments (blackouts included). */
  private now(): number {
    return performance.now() - this.t0;
  }

  private directionStats(dir: Direction): DirectionStats {
    const imp = this.impairments[dir].stats();
    const f = this.failures[dir];
    return {
      ...imp,
      forwarded: f.forwarded,
      dropped: { ...imp.dropped, closed: f.closed, sendError: f.sendError, natBacklog: f.natBacklog },
    };
  }

  private listen(mapping: PortMapping): Promise<Listener> {
    const socket = dgram.createSocket({ type: familyOf(this.opts.host) });
    const listener: Listener = { socket, mapping, nat: new Map() };
    return new Promise((resolve, reject) => {
      const onBindError = (err: Error) => { socket.close(); reject(err); };
      socket.once('error', onBindError);
      socket.bind({ port: mapping.listenPort, address: this.opts.host, exclusive: true }, () => {
        socket.off('error', onBindError);
        // After binding, errors are per datagram (e.g. ICMP unreachable reported late): never fatal to the proxy.
        socket.on('error', () => { this.failures.down.sendError++; });
        enlargeBuffers(socket);
        socket.on('message', (msg, rinfo) => this.fromClient(listener, msg, rinfo));
        resolve(listener);
      });
    });
  }

  private fromClient(listener: Listener, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const key = `${rinfo.address}|${rinfo.port}`;
    const entry = listener.nat.get(key) ?? this.openEntry(listener, key, rinfo);
    this.ingress('up', entry, msg);
  }

  private openEntry(listener: Listener, key: string, rinfo: dgram.RemoteInfo): NatEntry {
    const { targetHost, targetPort } = listener.mapping;
    const upstream = dgram.createSocket({ type: familyOf(targetHost) });
    const entry: NatEntry = {
      key, listener, clientAddress: rinfo.address, clientPort: rinfo.port, upstream,
      connected: false, closed: false, backlog: [], lastSeen: this.now(),
    };
    listener.nat.set(key, entry);
    this.natOpened++;
    upstream.on('message', (msg) => this.ingress('down', entry, msg));
    upstream.on('error', () => {
      this.failures.up.sendError++;
      // Before connecting, an error means the target cannot be resolved: forget the entry so that the client's next
      // datagram tries afresh. After, it is ECONNREFUSED (nothing listening on the target yet): the socket stays
      // usable, and the client's retransmissions are the cure.
      if (!entry.connected) this.closeEntry(entry);
    });
    upstream.connect(targetPort, targetHost, () => {
      if (entry.closed) return;
      entry.connected = true;
      enlargeBuffers(upstream);
      const backlog = entry.backlog;
      entry.backlog = [];
      for (const data of backlog) upstream.send(data, this.sent.up);
    });
    return entry;
  }

  private ingress(dir: Direction, entry: NatEntry, msg: Buffer): void {
    if (entry.closed) return;
    const now = this.now();
    entry.lastSeen = now;
    const verdict = this.impairments[dir].decide(now, msg.length);
    if (verdict.kind === 'drop') return;
    // dgram hands us a fresh Buffer per datagram, so flipping a byte in place touches nobody else's data.
    if (verdict.corrupt) applyCorruption(msg, verdict.corrupt);
    for (const at of verdict.at) this.timers.schedule(at, { dir, entry, data: msg });
  }

  private release(r: Release): void {
    const { entry, data } = r;
    if (entry.closed) { this.failures[r.dir].closed++; return; }
    if (r.dir === 'down') {
      entry.listener.socket.send(data, entry.clientPort, entry.clientAddress, this.sent.down);
    } else if (entry.connected) {
      entry.upstream.send(data, this.sent.up);
    } else if (entry.backlog.length < MAX_CONNECT_BACKLOG) {
      entry.backlog.push(data);
    } else {
      this.failures.up.natBacklog++;
    }
  }

  private sweep(): void {
    const cutoff = this.now() - this.natIdleMs;
    for (const l of this.listeners) {
      for (const entry of l.nat.values()) {
        if (entry.lastSeen > cutoff) continue;
        this.closeEntry(entry);
        this.natExpired++;
      }
    }
  }

  private closeEntry(entry: NatEntry): void {
    if (entry.closed) return;
    entry.closed = true;
    entry.backlog = [];
    entry.listener.nat.delete(entry.key);
    void closeSocket(entry.upstream);
  }
}
