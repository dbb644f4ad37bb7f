// Presence and routing for one server: who is online under which name, and delivery of chat lines. Each frame is
// encoded once and the same bytes are queued for every receiver. The interface (HubPort) is what a hub spread over
// several servers through a broker would implement; sessions know nothing else of it.
import { encodeFrame } from '../machines/frame-codec.js';
import type { ChatLine, ServerFrame } from '../machines/frames.js';
import { LIMITS } from '../machines/limits.js';
import { nameKey } from '../machines/nickname.js';
import type { HubPort, Member } from '../machines/session.machine.js';

export interface HubEvents {
  joined?(name: string): void;
  left?(name: string, reason: string): void;
}

export class Hub implements HubPort {
  private readonly members = new Map<string, { name: string; member: Member }>();
  private readonly recent: ChatLine[] = [];
  /** Deliveries made (one per receiver per frame), for benchmarks and logs. */
  deliveries = 0;

  constructor(private readonly historySize: number = LIMITS.history, private readonly events: HubEvents = {}) {}

  get size(): number { return this.members.size; }

  isTaken(name: string): boolean { return this.members.has(nameKey(name)); }

  join(name: string, member: Member): boolean {
    const key = nameKey(name);
    if (this.members.has(key)) return false;
    this.toAll({ type: 'joined', name });
    this.members.set(key, { name, member });
    this.events.joined?.(name);
    return true;
  }

  leave(name: string, reason: string): void {
    const key = nameKey(name);
    if (!this.members.delete(key)) return;
    this.toAll({ type: 'left', name, reason });
    this.events.left?.(name, reason);
  }

  sayAll(from: string, text: string, ts: number): void {
    this.recent.push({ from, text, ts });
    if (this.recent.length > this.historySize) this.recent.shift();
    this.toAll({ type: 'message', from, text, ts });
  }

  tell(from: string, to: string, text: string, ts: number): boolean {
    const target = this.members.get(nameKey(to));
    if (!target) return false;
    const line = encodeFrame({ type: 'message', from, to: target.name, text, ts });
    target.member.write(line);
    this.deliveries++;
    const sender = this.members.get(nameKey(from));
    if (sender && sender !== target) sender.member.write(line);
    return true;
  }

  names(): string[] { return [...this.members.values()].map((m) => m.name); }

  history(): ChatLine[] { return this.recent.slice(); }

  /** Sends one frame to everyone online. */
  toAll(frame: ServerFrame): void {
    if (!this.members.size) return;
    const line = encodeFrame(frame);
    for (const m of this.members.values()) m.member.write(line);
    this.deliveries += this.members.size;
  }
}
