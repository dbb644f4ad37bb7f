// Presence and routing for one server: who is online under which name, and delivery of chat lines. Each frame is
// encoded once and the same bytes are queued for every receiver. The interface (HubPort) is what a hub spread over
// several servers through a broker would implement; sessions know nothing else of it.
import { encodeFrame } from '../machines/frame-codec.js';
import { TIMING } from '../machines/timing.js';
import { systemClock, type Clock, type TimerHandle } from './clock.js';
import { NameList } from './name-list.js';
import { PresenceBatch } from './presence-batch.js';
import type { ChatLine, ServerFrame } from '../machines/frames.js';
import { LIMITS } from '../machines/limits.js';
import { nameKey } from '../machines/nickname.js';
import type { HubPort, JoinOptions, Member } from '../machines/session.machine.js';
import type { HistoryLog, Submission } from './store/history-log.js';
import { isPromise, type StoredLine } from './store/port.js';

export interface HubEvents {
  joined?(name: string): void;
  left?(name: string, reason: string): void;
}

/** Someone online here. `tick`/`from`: the presence tick it joined in and the index of the first event of that tick
 *  it is told (its welcome listed everyone online before). */
interface Entry { name: string; member: Member; presence: boolean; tick: number; from: number }

export interface HubOptions {
  /** Where the presence tick's timer runs (the server's clock). */
  clock?: Clock;
}

export class Hub implements HubPort {
  private readonly members = new Map<string, Entry>();
  /** Everyone online here, encoded for the welcome. */
  private readonly list = new NameList(() => this.iterNames());
  /** Joins and leaves not yet told (the presence tick), and the timer that tells them. */
  private readonly batch = new PresenceBatch();
  private presenceTimer: TimerHandle = null;
  private presenceDue = false;
  private readonly clock: Clock;
  /** Names claimed by sessions about to go online (and those online): what makes a name taken. */
  private readonly claimed = new Set<string>();
  /** The newest messages to all, oldest first: what a login replays (the store keeps them all). */
  private readonly recent: StoredLine[] = [];
  /** Ids for messages when there is no store. */
  private nextId = 1;
  /** Deliveries made (one per receiver per frame), for benchmarks and logs. */
  deliveries = 0;

  /** With a `log`, every message to all is kept in its store before it is delivered; `load()` reads the newest. */
  constructor(private readonly historySize: number = LIMITS.history, private readonly events: HubEvents = {}, private readonly log?: HistoryLog, opts: HubOptions = {}) {
    this.clock = opts.clock ?? systemClock;
  }

  /** Reads the newest messages from the store, for the replay at login: awaited before the server listens. */
  async load(): Promise<void> {
    if (!this.log || this.historySize <= 0) return;
    const lines = await this.log.store.page(this.historySize);
    this.recent.splice(0, this.recent.length, ...lines);
  }

  get size(): number { return this.members.size; }

  isTaken(name: string): boolean { return this.claimed.has(nameKey(name)); }

  claim(name: string): boolean {
    const key = nameKey(name);
    if (this.claimed.has(key)) return false;
    this.claimed.add(key);
    return true;
  }

  release(name: string): void {
    const key = nameKey(name);
    if (!this.members.has(key)) this.claimed.delete(key);
  }

  join(name: string, member: Member, opts?: JoinOptions): void {
    const key = nameKey(name);
    if (this.members.has(key)) return;
    this.claimed.add(key);
    const at = this.announceJoin(name);
    this.members.set(key, { name, member, presence: opts?.presence === true, tick: this.batch.tick, from: at + 1 });
    this.list.add(name);
    this.events.joined?.(name);
  }

  leave(name: string, reason: string): void {
    const key = nameKey(name);
    this.claimed.delete(key);
    if (!this.members.delete(key)) return;
    this.list.removed();
    this.announceLeave(name, reason);
    this.events.left?.(name, reason);
  }

  /** Tells everyone online here, at the end of this presence tick, that `name` joined (here or, for a cluster hub,
   *  on another server); returns the event's index in the tick. */
  announceJoin(name: string): number {
    const at = this.batch.add({ op: 'join', name });
    this.presenceSoon();
    return at;
  }

  /** Tells everyone online here, at the end of this presence tick, that `name` left. */
  announceLeave(name: string, reason: string): void {
    this.batch.add({ op: 'leave', name, reason });
    this.presenceSoon();
  }

  /** The presence tick ends 1 ms per TIMING.presencePerMs people online after its first event, at most
   *  TIMING.presenceMaxMs: a storm of joins costs one write per member per tick. */
  private presenceSoon(): void {
    if (this.presenceDue) return;
    this.presenceDue = true;
    const ms = Math.min(TIMING.presenceMaxMs, Math.floor(this.members.size / TIMING.presencePerMs));
    this.presenceTimer = this.clock.setTimeout(() => { this.presenceTimer = null; this.flushPresence(); }, ms);
  }

  /** Tells everyone online here the joins and leaves of this tick, one write each (also before a message to all, so
   *  that nobody reads a newcomer's message before its join). */
  flushPresence(): void {
    if (!this.presenceDue) return;
    this.presenceDue = false;
    if (this.presenceTimer !== null) { this.clock.clearTimeout(this.presenceTimer); this.presenceTimer = null; }
    const p = this.batch.take();
    if (!p || !this.members.size) return;
    for (const e of this.members.values()) {
      if (e.presence) { e.member.write(p.frames); continue; }
      // who joined in this tick is told what came after its own join (its welcome listed the rest)
      const start = e.tick === p.tick ? p.offsets[e.from]! : 0;
      if (start < p.lines.length) e.member.write(start ? p.lines.subarray(start) : p.lines);
    }
    this.deliveries += this.members.size;
  }

  /** Everyone online here as the parts of a JSON list (see NameList.encoded): a welcome's list, encoded once. */
  onlineFrame(head: object): Buffer[] { return this.list.frame(head); }

  sayAll(from: string, text: string, ts: number): void {
    if (!this.log) { this.said({ id: this.nextId++, from, text, ts }); return; }
    this.log.submit(new SayAll(this, { from, text, ts }));
  }

  /** Delivers a kept message to all to everyone online here (a cluster hub's messages arrive this way). */
  deliver(line: StoredLine): void { this.said(line); }

  /** Who is online here under this name (case-insensitively), or undefined. */
  memberOf(name: string): { readonly name: string; readonly member: Member } | undefined { return this.members.get(nameKey(name)); }

  /** @internal A message to all kept in the store (SayAll): delivered to everyone online here. */
  said(line: StoredLine): void {
    this.flushPresence();
    if (this.historySize > 0) {
      this.recent.push(line);
      if (this.recent.length > this.historySize) this.recent.shift();
    }
    this.toAll({ type: 'message', from: line.from, text: line.text, ts: line.ts });
  }

  /** @internal A message the store could not keep: the sender is told (SayAll). */
  refuse(from: string, re: string, problem: string): void {
    const sender = this.members.get(nameKey(from));
    sender?.member.write(encodeFrame({ type: 'error', code: 'store-unavailable', message: `not sent: the server cannot keep messages now (${problem})`, re }));
  }

  tell(from: string, to: string, text: string, ts: number): boolean {
    if (!this.members.has(nameKey(to))) return false;
    // behind the messages to all still being written, so that one sender's messages keep their order
    if (this.log) this.log.submit({ deliver: () => this.told(from, to, text, ts), refuse: () => this.told(from, to, text, ts) });
    else this.told(from, to, text, ts);
    return true;
  }

  private told(from: string, to: string, text: string, ts: number): void {
    const target = this.members.get(nameKey(to));
    if (!target) return;
    const line = encodeFrame({ type: 'message', from, to: target.name, text, ts });
    target.member.write(line);
    this.deliveries++;
    const sender = this.members.get(nameKey(from));
    if (sender && sender !== target) sender.member.write(line);
  }

  names(): string[] { return [...this.iterNames()]; }

  private *iterNames(): Iterable<string> { for (const m of this.members.values()) yield m.name; }

  history(): ChatLine[] { return fitting(this.recent); }

  /** A page of older history from the store (null: it cannot be read now); a promise when the store's page is. */
  historyPage(limit: number, before?: number): ChatLine[] | null | Promise<ChatLine[] | null> {
    if (limit <= 0) return [];
    if (!this.log) return fitting(this.recent.filter((l) => before === undefined || l.id < before).slice(-limit));
    try {
      const page = this.log.store.page(limit, before);
      return isPromise(page) ? page.then(fitting, () => null) : fitting(page);
    } catch { return null; }
  }

  /** Sends one frame to everyone online. */
  toAll(frame: ServerFrame): void {
    if (!this.members.size) return;
    const line = encodeFrame(frame);
    for (const m of this.members.values()) m.member.write(line);
    this.deliveries += this.members.size;
  }
}

/** A message to all waiting for the store: one object per message, no closures (this is the hot path of a room). */
class SayAll implements Submission {
  constructor(private readonly hub: Hub, readonly line: ChatLine) {}
  deliver(stored: StoredLine | null): void { this.hub.said(stored!); }
  refuse(problem: string): void { this.hub.refuse(this.line.from, 'say', problem); }
}

/**
 * The newest of `lines` whose `history` frame stays under LIMITS.historyFrameBytes (a copy). The exact size is only
 * computed when a bound (6 bytes a character, a JSON escape at worst) says the frame could be too big.
 */
export function fitting(lines: readonly StoredLine[]): StoredLine[] {
  let bound = 64;
  for (const l of lines) bound += 6 * (l.from.length + l.text.length) + 64;
  if (bound <= LIMITS.historyFrameBytes) return lines.slice();
  let bytes = 64;
  let i = lines.length;
  while (i > 0) {
    const b = Buffer.byteLength(JSON.stringify(lines[i - 1])) + 1;
    if (bytes + b > LIMITS.historyFrameBytes) break;
    bytes += b;
    i--;
  }
  return lines.slice(i);
}
