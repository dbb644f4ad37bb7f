// One file list for the whole cluster, and downloads served by whichever node holds the file.
//
// - Catalogues: each node announces its shared folder (runtime/catalogue.ts) on `<prefix>.files`: at start, when
//   the folder changes (watched, and looked at every TIMING.clusterCatalogueScanMs), when a node asks
//   (`<prefix>.files.request`, sent by a node that starts or comes back), bounded to CATALOGUE_BYTES, decoded
//   strictly. With it go the node's X25519 public key and the address its datagrams come from.
// - `files`: this node's files and every live node's, each name once (FileUnion).
// - `get`: a file this node holds is served here (the TransfersHost, as on a single server); a file only another
//   node holds is forwarded to it (ForwardedDownloads), which serves it from its own UDP pool (ServedDownloads)
//   with the keys this node derived from the client's TLS session, sealed to it (key-seal.ts).
// - Liveness: heartbeats (the cluster hub's) say which nodes are alive; a node unheard of for
//   TIMING.clusterNodeDeadMs while the broker is reachable is gone: its files leave the list, the downloads it
//   served fail (the partial copies stay resumable), the downloads it asked for end and free their ports.
import fsp from 'node:fs/promises';
import path from 'node:path';
import fs from 'node:fs';
import crypto from 'node:crypto';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { checkSharedName } from '../../machines/file-name.js';
import type { ClientFrame, FileEntry } from '../../machines/frames.js';
import { LIMITS } from '../../machines/limits.js';
import { isIpLiteral } from '../../machines/offer.js';
import { TIMING, type Timing } from '../../machines/timing.js';
import type { Catalogue } from '../catalogue.js';
import { every, type Clock } from '../clock.js';
import type { Connection } from '../connection.js';
import type { Logger } from '../logger.js';
import type { TransfersHost } from '../transfers-host.js';
import { FileUnion } from './file-union.js';
import { CATALOGUE_BYTES, decodeCatalogue, decodeCatalogueRequest, decodeRelayed, encode, type CatalogueAnnouncement } from './files-wire.js';
import { ForwardedDownloads } from './forwarded-downloads.js';
import { NodeKeys } from './key-seal.js';
import { ServedDownloads } from './served-downloads.js';
import { subjects, type Subjects } from './subjects.js';
import { decodeHeartbeat } from './wire.js';

export interface ClusterFilesOptions {
  nc: NatsConnection;
  node: string;
  prefix: string;
  catalogue: Catalogue;
  transfers: TransfersHost;
  clock: Clock;
  log: Logger;
  /** The address clients send this node's datagrams to (default: the transfers' advertiseHost, else the UDP
   *  pool's host unless a wildcard). */
  udpHost?: string;
  timing?: Partial<Pick<Timing, 'clusterHeartbeatMs' | 'clusterNodeDeadMs' | 'clusterRequestMs' | 'clusterCatalogueScanMs'>>;
}

type ControlFrame = Extract<ClientFrame, { type: 'get' | 'consent' | 'stop' }>;

/** Bytes of the `files` frame's list: below what a client reads in one line (LIMITS.maxServerLine). */
const FILES_FRAME_BYTES = LIMITS.maxServerLine - 4096;

export class ClusterFiles {
  readonly union: FileUnion;
  readonly keys = new NodeKeys();
  readonly served: ServedDownloads;
  readonly forwarded: ForwardedDownloads;
  private readonly s: Subjects;
  private readonly t: Timing;
  private readonly run = crypto.randomBytes(8).toString('hex');
  private readonly udpHost: string | undefined;
  private rev = 0;
  /** This node's files as last read, and the part of them that fits in one announcement. */
  private local: FileEntry[] = [];
  private announced: FileEntry[] = [];
  private localSig = '';
  private omitted = 0;
  private readonly subs: Subscription[] = [];
  private readonly timers: Array<() => void> = [];
  private watcher: fs.FSWatcher | null = null;
  private rescanTimer: ReturnType<Clock['setTimeout']> | null = null;
  private connected = true;
  private closed = false;

  constructor(private readonly o: ClusterFilesOptions) {
    this.s = subjects(o.prefix);
    this.t = { ...TIMING, ...o.timing };
    this.union = new FileUnion(o.node, this.t.clusterNodeDeadMs);
    const h = o.udpHost ?? o.transfers.opts.advertiseHost ?? o.transfers.opts.host;
    this.udpHost = isIpLiteral(h) && h !== '0.0.0.0' && h !== '::' ? h : undefined;
    this.served = new ServedDownloads({ nc: o.nc, s: this.s, prefix: o.prefix, node: o.node, keys: this.keys, transfers: o.transfers, log: o.log });
    this.forwarded = new ForwardedDownloads({ nc: o.nc, s: this.s, prefix: o.prefix, node: o.node, log: o.log, requestMs: this.t.clusterRequestMs });
    this.forwarded.hostOf = (node) => this.union.node(node)?.host;
    // downloads this node's clients have on other nodes count toward their limit
    o.transfers.elsewhere = (conn) => this.forwarded.countFor(conn);
  }

  async start(): Promise<void> {
    const { nc } = this.o;
    if (this.udpHost === undefined) {
      this.o.log.warn({ udp: this.o.transfers.opts.host }, 'cluster: no definite address for this node\'s datagrams (--udp-advertise-host): clients of other nodes send them to the address of their own node, which works only when the nodes share it');
    }
    const now = () => this.o.clock.now();
    this.subs.push(nc.subscribe(this.s.catalogue, { callback: (_e, m) => { const a = decodeCatalogue(m.data); if (a) this.union.announced(a, now()); } }));
    this.subs.push(nc.subscribe(this.s.catalogueRequest, { callback: (_e, m) => { const r = decodeCatalogueRequest(m.data); if (r && r.from !== this.o.node && (!r.node || r.node === this.o.node)) this.announce(); } }));
    this.subs.push(nc.subscribe(this.s.heartbeats, { callback: (_e, m) => { const h = decodeHeartbeat(m.data); if (h && this.union.heard(h.node, now()) && !this.union.node(h.node)) this.ask(h.node); } }));
    this.subs.push(nc.subscribe(this.s.transfer(this.o.node), { callback: (_e, m) => this.served.onRequest(m) }));
    this.subs.push(nc.subscribe(this.s.relay(this.o.node), { callback: (_e, m) => { const r = decodeRelayed(m.data); if (r) this.forwarded.onRelayed(r); } }));
    void this.watchStatus();
    await this.scan();
    await nc.flush();
    this.announce();
    this.ask();
    this.timers.push(every(this.o.clock, this.t.clusterHeartbeatMs, () => this.sweep()));
    this.timers.push(every(this.o.clock, this.t.clusterCatalogueScanMs, () => void this.scan().then((changed) => { if (changed) this.announce(); })));
    try {
      this.watcher = fs.watch(this.o.catalogue.root, () => this.soon());
      this.watcher.on('error', () => { this.watcher?.close(); this.watcher = null; });
    } catch { /* no watching here: the periodic scan sees changes */ }
  }

  async stop(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const stop of this.timers) stop();
    if (this.rescanTimer !== null) this.o.clock.clearTimeout(this.rescanTimer);
    this.watcher?.close();
    this.served.stop();
    this.forwarded.stop();
    for (const s of this.subs) s.unsubscribe();
  }

  /** The union of every live node's shared files, this node's read now. */
  async list(): Promise<FileEntry[]> {
    if (await this.scan()) this.announce();
    return this.union.union(this.local, FILES_FRAME_BYTES);
  }

  /** A client's download control: a file held here, or not held anywhere, goes to the local transfers host. */
  handle(conn: Connection, frame: ControlFrame, name: string): void {
    if (frame.type !== 'get') {
      if (this.forwarded.owns(conn, frame.id)) this.forwarded.control(conn, frame);
      else this.o.transfers.handle(conn, frame, name);
      return;
    }
    void this.route(conn, frame, name);
  }

  sessionEnded(conn: Connection, reason: string): void { this.forwarded.sessionEnded(conn, reason); }

  private async route(conn: Connection, frame: Extract<ControlFrame, { type: 'get' }>, name: string): Promise<void> {
    const local = () => this.o.transfers.handle(conn, frame, name);
    const holder = checkSharedName(frame.file) === null ? this.union.holder(frame.file) : null;
    if (!holder || this.local.some((f) => f.name === frame.file) || await this.heldHere(frame.file)) { local(); return; }
    if (conn.socket.destroyed) return;
    if (this.o.transfers.countFor(conn) >= this.o.transfers.opts.maxPerSession) {
      conn.send({ type: 'error', code: 'too-many-transfers', message: `at most ${this.o.transfers.opts.maxPerSession} downloads at once per client`, re: 'get', file: frame.file, ...(frame.ref !== undefined ? { ref: frame.ref } : {}) });
      return;
    }
    this.forwarded.start(conn, frame, name, holder);
  }

  /** Whether the shared folder has this (safe) name now, though the last scan did not see it. */
  private async heldHere(file: string): Promise<boolean> {
    return fsp.stat(path.join(this.o.catalogue.root, file)).then((st) => st.isFile(), () => false);
  }

  /** Reads this node's folder; true when it changed since the last announcement. */
  private async scan(): Promise<boolean> {
    let files: FileEntry[];
    try { files = await this.o.catalogue.list(); } catch { return false; }
    const sig = JSON.stringify(files);
    if (sig === this.localSig) return false;
    this.localSig = sig;
    // bounded: what does not fit in one announcement is not announced (it is still served to this node's clients)
    let bytes = 512;
    const kept: FileEntry[] = [];
    for (const f of files) {
      bytes += Buffer.byteLength(JSON.stringify(f)) + 1;
      if (bytes > CATALOGUE_BYTES) break;
      kept.push(f);
    }
    this.omitted = files.length - kept.length;
    if (this.omitted) this.o.log.warn({ files: files.length, announced: kept.length }, 'cluster: the shared folder is larger than one catalogue announcement');
    this.local = files;
    this.announced = kept;
    return true;
  }

  /** A change in the folder: scanned a moment later (a copy in progress makes many events). */
  private soon(): void {
    if (this.rescanTimer !== null || this.closed) return;
    this.rescanTimer = this.o.clock.setTimeout(() => {
      this.rescanTimer = null;
      void this.scan().then((changed) => { if (changed && !this.closed) this.announce(); });
    }, 200);
  }

  private announce(): void {
    if (this.closed) return;
    const a: CatalogueAnnouncement = { node: this.o.node, run: this.run, rev: ++this.rev, key: this.keys.publicKey, files: this.announced };
    if (this.udpHost !== undefined) a.host = this.udpHost;
    if (this.omitted) a.omitted = this.omitted;
    try { this.o.nc.publish(this.s.catalogue, encode(a)); } catch { /* not connected: announced again after the reconnect */ }
  }

  /** Asks every node (or one) to announce its catalogue. */
  private ask(node?: string): void {
    try { this.o.nc.publish(this.s.catalogueRequest, encode(node ? { from: this.o.node, node } : { from: this.o.node })); } catch { /* as above */ }
  }

  private sweep(): void {
    if (this.closed || !this.connected) return;
    for (const node of this.union.sweep(this.o.clock.now())) {
      this.o.log.warn({ node }, 'cluster: node lost: its files leave the list, its downloads end');
      this.forwarded.holderLost(node);
      this.served.originLost(node);
    }
  }

  private async watchStatus(): Promise<void> {
    for await (const st of this.o.nc.status()) {
      if (this.closed) return;
      if (st.type === 'disconnect') this.connected = false;
      else if (st.type === 'reconnect') {
        this.connected = true;
        this.union.graceAll(this.o.clock.now());
        this.announce();
        this.ask();
      }
    }
  }
}
