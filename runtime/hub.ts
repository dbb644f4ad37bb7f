// Presence and routing for one server: who is online under which name, and delivery of chat lines. Each frame is
// encoded once and the same bytes are queued for every receiver. The interface (HubPort) is what a hub spread over
// several servers through a broker would implement; sessions know nothing else of it.
import { encodeFrame } from '../machines/frame-codec.js';
import type { ChatLine, ServerFrame } from '../machines/frames.js';
import { LIMITS } from '../machines/limits.js';
import { nameKey } from '../machines/nickname.js';
import type { HubPort, Member } from '../machines/session.machine.js';
import type { HistoryLog } from './store/history-log.js';
import { isPromise, type StoredLine } from './store/port.js';

export interface HubEvents {
  joined?(name: string): void;
  left?(name: string, reason: string): void;
}

export class Hub implements HubPort {
  private readonly members = new Map<string, { name: string; member: Member }>();
  /** Names claimed by sessions about to go online (and those online): what makes a name taken. */
  private readonly claimed = new Set<string>();
  /** The newest messages to all, oldest first: what a login replays (the store keeps them all). */
  private readonly recent: StoredLine[] = [];
  /** Ids for messages when there is no store. */
  private nextId = 1;
  /** Deliveries made (one per receiver per frame), for benchmarks and logs. */
  deliveries = 0;

  /** With a `log`, every message to all is kept in its store before it is delivered; `load()` reads the newest. */
  constructor(private readonly historySize: number = LIMITS.history, private readonly events: HubEvents = {}, private readonly log?: HistoryLog) {}

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

  join(name: string, member: Member): void {
    const key = nameKey(name);
    if (this.members.has(key)) return;
    this.claimed.add(key);
    this.toAll({ type: 'joined', name });
    this.members.set(key, { name, member });
    this.events.joined?.(name);
  }

  leave(name: string, reason: string): void {
    const key = nameKey(name);
    this.claimed.delete(key);
    if (!this.members.delete(key)) return;
    this.toAll({ type: 'left', name, reason });
    this.events.left?.(name, reason);
  }

  sayAll(from: string, text: string, ts: number): void {
    if (!this.log) { this.said({ id: this.nextId++, from, text, ts }); return; }
    this.log.submit({
      line: { from, text, ts },
      deliver: (stored) => this.said(stored!),
      refuse: (problem) => this.refuse(from, 'say', problem),
    });
  }

  /** Delivers a kept message to all to everyone online here (a cluster hub's messages arrive this way). */
  deliver(line: StoredLine): void { this.said(line); }

  /** Who is online here under this name (case-insensitively), or undefined. */
  memberOf(name: string): { name: string; member: Member } | undefined { return this.members.get(nameKey(name)); }

  private said(line: StoredLine): void {
    if (this.historySize > 0) {
      this.recent.push(line);
      if (this.recent.length > this.historySize) this.recent.shift();
    }
    this.toAll({ type: 'message', from: line.from, text: line.text, ts: line.ts });
  }

  private refuse(from: string, re: string, problem: string): void {
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

  names(): string[] { return [...this.members.values()].map((m) => m.name); }

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
