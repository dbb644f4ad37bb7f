// The hub of a server that is one node of a cluster (HubPort, as the single server's Hub): presence and names across
// every node through NATS, messages to all through the clustered history store, private messages straight to the
// node of their recipient. Sessions cannot tell it from the local Hub.
//
// - Names: claimed in a KV bucket (NameClaims): atomic across nodes.
// - Messages to all: appended to the store (one JetStream stream, one order for the whole cluster); every node,
//   this one included, delivers them from the store's `follow` to its own users, each frame encoded once per node.
//   A message the store cannot take is refused to its sender (`cluster-unavailable`): never lost silently.
// - Private messages: a request to the recipient's node, which delivers it after the sender's last message to all
//   (`after`), so one sender's messages keep their order; the echo to the sender is the recipient node's answer.
// - Presence: joins and leaves published by the node that hosts the session; heartbeats every second; a node
//   unheard of for TIMING.clusterNodeDeadMs while the broker is reachable is dead: its users leave, names free.
//   After an outage a node re-announces its roster, asks for everyone's, and re-asserts its names.
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { KV } from '@nats-io/kv';
import type { ChatLine, ServerFrame } from '../../machines/frames.js';
import { encodeFrame } from '../../machines/frame-codec.js';
import { LIMITS } from '../../machines/limits.js';
import { nameKey } from '../../machines/nickname.js';
import type { HubPort, JoinOptions, Member } from '../../machines/session.machine.js';
import { TIMING, type Timing } from '../../machines/timing.js';
import { every, type Clock } from '../clock.js';
import { fitting, Hub, type HubEvents } from '../hub.js';
import type { Logger } from '../logger.js';
import type { StoredLine } from '../store/port.js';
import { bounded, NameClaims } from './name-claims.js';
import { NodeTable } from './node-table.js';
import { subjects, type Subjects } from './subjects.js';
import { decodeHeartbeat, decodePresence, decodeRosterRequest, decodeTell, decodeTellReply, encode, type Heartbeat, type Presence, type TellReply } from './wire.js';

/** What the cluster hub needs of the clustered store's history: one order for every node's messages. */
export interface ClusterHistory {
  append(lines: readonly ChatLine[]): StoredLine[] | Promise<StoredLine[]>;
  page(limit: number, before?: number): StoredLine[] | Promise<StoredLine[]>;
  follow?(afterId: number, onLine: (line: StoredLine) => void, onGap?: (problem: string) => void): { stop(): void };
}

export interface ClusterHubOptions {
  nc: NatsConnection;
  /** The KV bucket of names (one per cluster). */
  names: KV;
  history: ClusterHistory;
  node: string;
  prefix: string;
  clock: Clock;
  log: Logger;
  historySize?: number;
  events?: HubEvents;
  timing?: Partial<Pick<Timing, 'clusterHeartbeatMs' | 'clusterNodeDeadMs' | 'clusterRequestMs' | 'clusterOpMs'>>;
}

interface SenderOrder { kept: Promise<number>; block: Promise<void> | null }

/** Someone online here who can be made to leave (a name lost to another node while this one was cut off). */
export interface Evictable extends Member { evict?(reason: string): void }

export class ClusterHub implements HubPort {
  /** Who is online on this node, and delivery to them. */
  readonly local: Hub;
  readonly table: NodeTable;
  private readonly claims: NameClaims;
  private readonly s: Subjects;
  private readonly node: string;
  private readonly t: Timing;
  private readonly subs: Subscription[] = [];
  private follower: { stop(): void } | null = null;
  private stopTimer: (() => void) | null = null;
  /** The id of the newest message to all delivered here, and deliveries waiting for an id to arrive. */
  private followed = 0;
  private waiting: Array<{ after: number; run: () => void; until: number }> = [];
  /** Each local sender's order (see orderOf); forgotten when the sender leaves. */
  private readonly order = new Map<string, SenderOrder>();
  private connected = true;
  private closed = false;
  /** When this node last beat: a longer gap than the dead time (a stalled process) means others gave it up. */
  private lastBeat = 0;

  constructor(private readonly o: ClusterHubOptions) {
    this.node = o.node;
    this.s = subjects(o.prefix);
    this.t = { ...TIMING, ...o.timing };
    this.local = new Hub(o.historySize ?? LIMITS.history, o.events ?? {}, undefined, { clock: o.clock });
    this.table = new NodeTable(o.node, this.t.clusterNodeDeadMs);
    this.claims = new NameClaims(o.names, o.node, (n) => this.table.alive(n), this.t.clusterOpMs);
  }

  get size(): number { return this.local.size + this.table.size; }
  get deliveries(): number { return this.local.deliveries; }
  get reachable(): boolean { return this.connected; }
  get nodeName(): string { return this.node; }

  /** The other nodes as this one knows them: when each was last heard, how many users it has. */
  peers(): Array<{ node: string; lastSeen: number; users: number }> {
    return this.table.nodes().map((node) => ({ node, lastSeen: this.table.lastSeen(node) ?? 0, users: this.table.usersOn(node) }));
  }

  /** Loads the recent history, subscribes, announces this node and asks for everyone's roster. */
  async start(): Promise<void> {
    const { nc } = this.o;
    const recent = await this.o.history.page(this.o.historySize ?? LIMITS.history);
    for (const l of recent) this.local.deliver(l);
    this.followed = recent.at(-1)?.id ?? 0;
    if (!this.o.history.follow) throw new Error('the cluster needs a store that follows its history (JetStream)');
    this.follower = this.o.history.follow(this.followed, (line) => this.onLine(line), (problem) => this.o.log.warn({ problem }, 'cluster history: gap'));
    this.subs.push(nc.subscribe(this.s.presence, { callback: (_e, m) => { const p = decodePresence(m.data); if (p) this.onPresence(p); } }));
    this.subs.push(nc.subscribe(this.s.heartbeats, { callback: (_e, m) => { const h = decodeHeartbeat(m.data); if (h) this.onHeartbeat(h); } }));
    this.subs.push(nc.subscribe(this.s.rosterRequest, { callback: (_e, m) => { const r = decodeRosterRequest(m.data); if (r && r.from !== this.node && (!r.node || r.node === this.node)) this.publishRoster(); } }));
    this.subs.push(nc.subscribe(this.s.tell(this.node), { callback: (_e, m) => {
      const r = decodeTell(m.data);
      if (!r) { m.respond(encode({ ok: false } satisfies TellReply)); return; }
      this.deliverTell(r.from, r.to, r.text, r.ts, r.after, (reply) => m.respond(encode(reply)));
    } }));
    void this.watchStatus();
    await nc.flush();
    this.heartbeat();
    nc.publish(this.s.rosterRequest, encode({ from: this.node }));
    this.stopTimer = every(this.o.clock, this.t.clusterHeartbeatMs, () => this.beat());
  }

  async stop(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopTimer?.();
    this.follower?.stop();
    for (const s of this.subs) s.unsubscribe();
  }

  // ---- HubPort

  isTaken(name: string): boolean { return this.local.isTaken(name) || this.table.has(name); }

  claim(name: string): Promise<boolean> | boolean {
    if (this.isTaken(name)) return false;
    // held here at once, so that two logins on this node race no further than this line
    this.local.claim(name);
    return this.claims.claim(name).then(
      (ok) => { if (!ok) this.local.release(name); return ok; },
      (e: Error) => { this.local.release(name); throw new Error(this.connected ? e.message : 'this server is cut off from its cluster'); },
    );
  }

  release(name: string): void {
    this.local.release(name);
    void this.claims.release(name);
  }

  join(name: string, member: Member, opts?: JoinOptions): void {
    this.local.join(name, member, opts);
    this.publish({ op: 'join', node: this.node, name });
  }

  leave(name: string, reason: string): void {
    if (!this.local.memberOf(name)) return;
    this.local.leave(name, reason);
    this.order.delete(nameKey(name));
    this.publish({ op: 'leave', node: this.node, name, reason });
    void this.claims.release(name);
  }

  sayAll(from: string, text: string, ts: number): void {
    const o = this.orderOf(from);
    const append = () => bounded(Promise.resolve(this.o.history.append([{ from, text, ts }])), this.t.clusterOpMs, 'message kept').then(
      ([line]) => line?.id ?? 0,
      (e: Error) => { this.refuse(from, 'say', `not sent: the cluster cannot keep messages now (${e.message})`); return 0; },
    );
    // published at once, back to back on the one connection (the stream keeps this order), unless a private message
    // of the same sender is still on its way: then after it
    const kept = o.block ? o.block.then(append) : append();
    o.kept = Promise.all([o.kept, kept]).then(([a, b]) => Math.max(a, b));
  }

  tell(from: string, to: string, text: string, ts: number): boolean {
    const remote = this.local.memberOf(to) ? null : this.table.user(to);
    if (!this.local.memberOf(to) && !remote) return false;
    const o = this.orderOf(from);
    // after the sender's messages to all before it are kept (`after`: the newest of their ids), and before the
    // sender's next ones are published: one sender's messages keep their order for every receiver
    const done = Promise.all([o.kept, o.block]).then(([after]) => new Promise<void>((resolve) => {
      if (!remote) {
        // a message to oneself is delivered once: the delivery is its echo
        this.deliverTell(from, to, text, ts, after, (reply) => {
          if (!reply.ok || nameKey(reply.to) !== nameKey(from)) this.echoTell(from, reply, text, ts, to);
          resolve();
        });
        return;
      }
      this.o.nc.request(this.s.tell(remote.node), encode({ from, to, text, ts, after }), { timeout: this.t.clusterRequestMs }).then(
        (m) => { this.echoTell(from, decodeTellReply(m.data) ?? { ok: false }, text, ts, to); resolve(); },
        () => { this.refuse(from, 'tell', `not delivered: the server of ${to} did not answer`); resolve(); },
      );
    }));
    o.block = done;
    void done.then(() => { if (o.block === done) o.block = null; });
    return true;
  }

  /** One sender's order: the newest id of its kept messages to all, and the private message still on its way. */
  private orderOf(name: string): SenderOrder {
    const key = nameKey(name);
    let o = this.order.get(key);
    if (!o) this.order.set(key, (o = { kept: Promise.resolve(0), block: null }));
    return o;
  }

  names(): string[] { return [...this.local.names(), ...this.table.names()]; }

  /** The local hub's encoded list while nobody is online on another node; otherwise the runtime encodes names(). */
  onlineFrame(head: object): Buffer[] | null { return this.table.size ? null : this.local.onlineFrame(head); }

  history(): ChatLine[] { return this.local.history(); }

  historyPage(limit: number, before?: number): Promise<ChatLine[] | null> {
    if (limit <= 0) return Promise.resolve([]);
    return bounded(Promise.resolve(this.o.history.page(limit, before)), this.t.clusterOpMs, 'history').then((l) => fitting(l), () => null);
  }

  /** Sends one frame to everyone online on this node (what a single server's hub does for everyone). */
  toAll(frame: ServerFrame): void { this.local.toAll(frame); }

  // ---- what arrives from the cluster

  private onLine(line: StoredLine): void {
    if (line.id <= this.followed) return;
    this.followed = line.id;
    this.local.deliver(line);
    if (this.waiting.length) this.runWaiting(false);
  }

  private onPresence(p: Presence): void {
    if (p.node === this.node) return;
    const fresh = this.table.heard(p.node, this.o.clock.now());
    if (p.op === 'join') { if (this.table.add(p.name, p.node)) this.local.announceJoin(p.name); }
    else if (p.op === 'leave') { if (this.table.remove(p.name, p.node)) this.local.announceLeave(p.name, p.reason); }
    else {
      const { joined, left } = this.table.roster(p.node, p.names);
      for (const n of joined) this.local.announceJoin(n);
      for (const u of left) this.local.announceLeave(u.name, 'gone');
    }
    if (fresh && p.op !== 'roster') this.askRoster(p.node);
  }

  private onHeartbeat(h: Heartbeat): void {
    if (h.node === this.node) return;
    if (this.table.heard(h.node, this.o.clock.now())) {
      this.o.log.info({ node: h.node, users: h.users }, 'cluster: node up');
      this.askRoster(h.node);
    }
  }

  private askRoster(node: string): void { this.o.nc.publish(this.s.rosterRequest, encode({ from: this.node, node })); }

  /** Delivers a private message to a user of this node once the message to all `after` has been delivered here. */
  private deliverTell(from: string, to: string, text: string, ts: number, after: number, reply: (r: TellReply) => void): void {
    const run = () => {
      const target = this.local.memberOf(to);
      if (!target) { reply({ ok: false }); return; }
      target.member.write(encodeFrame({ type: 'message', from, to: target.name, text, ts }));
      reply({ ok: true, to: target.name });
    };
    if (after <= this.followed) run();
    else this.waiting.push({ after, run, until: this.o.clock.now() + this.t.clusterRequestMs / 2 });
  }

  private echoTell(from: string, reply: TellReply, text: string, ts: number, to: string): void {
    const sender = this.local.memberOf(from);
    if (!sender) return;
    if (reply.ok) sender.member.write(encodeFrame({ type: 'message', from: sender.name, to: reply.to, text, ts }));
    else sender.member.write(encodeFrame({ type: 'error', code: 'unknown-user', message: `nobody called "${to}" is online any more`, re: 'tell' }));
  }

  /** Runs the deliveries whose message to all has arrived (or, with `late`, that waited too long for it). */
  private runWaiting(late: boolean): void {
    const now = this.o.clock.now();
    const ready = this.waiting.filter((w) => w.after <= this.followed || (late && now >= w.until));
    if (!ready.length) return;
    this.waiting = this.waiting.filter((w) => !ready.includes(w));
    for (const w of ready) w.run();
  }

  private refuse(from: string, re: string, message: string): void {
    this.local.memberOf(from)?.member.write(encodeFrame({ type: 'error', code: 'cluster-unavailable', message, re }));
  }

  // ---- liveness

  private beat(): void {
    if (this.closed) return;
    const now = this.o.clock.now();
    const gap = this.lastBeat > 0 ? now - this.lastBeat : 0;
    const stalled = gap > this.t.clusterNodeDeadMs;
    this.lastBeat = now;
    if (stalled && this.connected) {
      // this process was stopped or starved long enough for the others to give it up: come back as after an outage
      this.o.log.warn({ gapMs: Math.round(gap) }, 'cluster: this node went unheard; rejoining');
      this.table.graceAll(now);
      void this.rejoin();
      return;
    }
    this.heartbeat();
    if (this.waiting.length) this.runWaiting(true);
    if (!this.connected) return;
    for (const dead of this.table.sweep(this.o.clock.now())) {
      this.o.log.warn({ node: dead.node, users: dead.users.length }, 'cluster: node lost');
      for (const u of dead.users) this.local.announceLeave(u.name, 'server-lost');
      void this.claims.freeFrom(dead.node, dead.users.map((u) => u.name));
    }
  }

  private heartbeat(): void {
    if (!this.connected) return;
    try { this.o.nc.publish(this.s.heartbeat(this.node), encode({ node: this.node, at: this.o.clock.now(), users: this.local.size } satisfies Heartbeat)); } catch { /* closed */ }
  }

  private publishRoster(): void { this.publish({ op: 'roster', node: this.node, names: this.local.names() }); }

  private publish(p: Presence): void {
    try { this.o.nc.publish(this.s.presence, encode(p)); } catch { /* not connected: the roster after the reconnect says it */ }
  }

  private async watchStatus(): Promise<void> {
    for await (const st of this.o.nc.status()) {
      if (this.closed) return;
      if (st.type === 'disconnect') {
        if (this.connected) this.o.log.warn({ server: st.server }, 'cluster: broker connection lost');
        this.connected = false;
      } else if (st.type === 'reconnect') {
        this.connected = true;
        this.o.log.info({ server: st.server }, 'cluster: broker connection back');
        this.table.graceAll(this.o.clock.now());
        void this.rejoin();
      }
    }
  }

  /** After an outage: re-asserts this node's names, re-announces its roster, asks for everyone's. */
  private async rejoin(): Promise<void> {
    let lost: string[] = [];
    try { lost = await this.claims.reassert(this.local.names()); } catch (e) { this.o.log.warn({ err: (e as Error).message }, 'cluster: names not re-asserted'); }
    for (const name of lost) {
      const m = this.local.memberOf(name)?.member as Evictable | undefined;
      this.o.log.warn({ name }, 'cluster: name given to someone else during the outage');
      m?.evict?.('name-conflict');
    }
    this.heartbeat();
    this.publishRoster();
    this.o.nc.publish(this.s.rosterRequest, encode({ from: this.node }));
  }
}
