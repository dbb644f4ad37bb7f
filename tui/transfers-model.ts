// What the transfers panel shows: one row per download, built from the runtime's events. Pure (the clock is
// passed in); no protocol logic: it only records what the events say.
import type { ClientEvent } from '../machines/client-events.js';
import { finishedText } from '../runtime/finished-text.js';

export type TransferState = 'starting' | 'running' | 'consent' | 'paused' | 'done' | 'stopped' | 'failed';

export interface Transfer {
  id: number;
  file: string;
  size: number;
  received: number;
  /** Bytes per second: the runtime's figure, or measured here between progress events. */
  rate: number;
  state: TransferState;
  /** Why it stopped or failed, or the completion text. */
  note: string;
  lastByte?: number;
  path?: string;
  updatedAt: number;
}

export const ACTIVE: ReadonlySet<TransferState> = new Set(['starting', 'running', 'consent', 'paused']);

export class TransfersModel {
  private readonly rows = new Map<number, Transfer>();

  constructor(private readonly maxRows = 50) {}

  list(): Transfer[] { return [...this.rows.values()]; }
  get(id: number): Transfer | undefined { return this.rows.get(id); }
  get running(): number { return this.list().filter((t) => ACTIVE.has(t.state)).length; }

  /** Applies one event; returns true when the panel changed. */
  apply(ev: ClientEvent, now: number): boolean {
    switch (ev.type) {
      case 'download': {
        this.rows.delete(ev.id);
        this.rows.set(ev.id, {
          id: ev.id, file: ev.file, size: ev.size, received: ev.offset, rate: 0, state: 'starting',
          note: ev.resumed ? `resuming at ${ev.offset}` : '', path: ev.path, updatedAt: now,
        });
        this.trim();
        return true;
      }
      case 'progress': {
        const t = this.ensure(ev.id, ev.file, ev.size, now);
        if (!ACTIVE.has(t.state)) return false;
        const dt = (now - t.updatedAt) / 1000;
        const measured = dt > 0 && ev.received > t.received ? (ev.received - t.received) / dt : t.rate;
        t.rate = ev.rate > 0 ? ev.rate : measured;
        t.received = ev.received;
        t.size = ev.size;
        if (t.state !== 'consent') t.state = 'running';
        t.updatedAt = now;
        return true;
      }
      case 'consent': {
        const t = this.ensure(ev.id, ev.file, ev.size, now);
        t.received = ev.received;
        t.state = 'consent';
        t.rate = 0;
        return true;
      }
      case 'finished': {
        const t = this.ensure(ev.id, ev.file, ev.size, now);
        Object.assign(t, { state: 'done', received: ev.size, size: ev.size, note: finishedText(ev), path: ev.path, updatedAt: now });
        // the runtime's goodput (bytes moved over the transfer's own time, the halfway wait left out), never a figure
        // of ours from wall time or the last progress rate; none when it gives none
        t.rate = Number.isFinite(ev.goodput) && ev.goodput > 0 ? ev.goodput : 0;
        if (ev.lastByte !== undefined) t.lastByte = ev.lastByte;
        return true;
      }
      case 'stopped': {
        const t = this.ensure(ev.id, ev.file, 0, now);
        Object.assign(t, { state: 'stopped', received: ev.received, note: ev.reason, path: ev.path, rate: 0, updatedAt: now });
        return true;
      }
      case 'error': {
        if (ev.id === undefined) return false;
        const t = this.ensure(ev.id, ev.file ?? '?', 0, now);
        Object.assign(t, { state: 'failed', note: `${ev.code}: ${ev.message}`, rate: 0, updatedAt: now });
        return true;
      }
      case 'reconnecting': {
        let changed = false;
        for (const t of this.rows.values()) {
          if (t.state === 'running' || t.state === 'starting') { t.state = 'paused'; t.note = 'connection lost'; changed = true; }
        }
        return changed;
      }
      default:
        return false;
    }
  }

  /** The user answered the halfway question: show it at once, before the next progress event. */
  answered(id: number, yes: boolean): void {
    const t = this.rows.get(id);
    if (t && t.state === 'consent') { t.state = yes ? 'running' : 'paused'; t.note = yes ? '' : 'stopping'; }
  }

  private ensure(id: number, file: string, size: number, now: number): Transfer {
    let t = this.rows.get(id);
    if (!t) {
      t = { id, file, size, received: 0, rate: 0, state: 'running', note: '', updatedAt: now };
      this.rows.set(id, t);
      this.trim();
    }
    return t;
  }

  /** Forgets the oldest ended rows beyond maxRows (active ones stay). */
  private trim(): void {
    for (const [id, t] of this.rows) {
      if (this.rows.size <= this.maxRows) return;
      if (!ACTIVE.has(t.state)) this.rows.delete(id);
    }
  }
}
