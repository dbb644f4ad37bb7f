// The dashboard's event log: joins, leaves, refusals and transfer endings, kept in a bounded ring. It is fed by the
// server's own log records (the same ones the operator reads in the log, with their structured fields): the
// dashboard wraps the server's logger (`tapLogger`), so the server needs no second set of calls. Only records that
// map to an event cost anything beyond one string lookup.
import type { Logger } from '../logger.js';

export type EventKind = 'join' | 'leave' | 'refusal' | 'transfer';
export const EVENT_KINDS: readonly EventKind[] = ['join', 'leave', 'refusal', 'transfer'];

export interface LogEvent { seq: number; t: number; kind: EventKind; text: string }

type Fields = Record<string, unknown>;
const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));

/** The event a server log record stands for, or null for records that are not one (pure). */
export function classify(msg: string, f: Fields): { kind: EventKind; text: string } | null {
  switch (msg) {
    case 'joined': return { kind: 'join', text: `${str(f.name)} joined (${str(f.online)} online)` };
    case 'left': return { kind: 'leave', text: `${str(f.name)} left: ${str(f.reason)} (${str(f.online)} online)` };
    case 'refused': {
      const who = f.name ? `${str(f.name)} (${str(f.remote)})` : str(f.remote);
      return { kind: 'refusal', text: `${who}: ${str(f.code)}${f.message ? `: ${str(f.message)}` : ''}` };
    }
    case 'download refused': return { kind: 'refusal', text: `${str(f.name)}: download of ${str(f.file)} refused: ${str(f.code)}` };
    case 'refused: too many connections from one address': return { kind: 'refusal', text: `${str(f.remote)}: too-many-connections (limit ${str(f.limit)})` };
    case 'TLS handshake failed': return { kind: 'refusal', text: `${str(f.remote)}: TLS handshake failed${f.err ? ` (${str(f.err)})` : ''}` };
    case 'transfer ended': {
      const why = f.reason ? ` (${str(f.reason)})` : '';
      return { kind: 'transfer', text: `#${str(f.id)} ${str(f.file)} to ${str(f.name)}: ${str(f.outcome)}${why}, ${str(f.acked)} bytes acknowledged in ${str(f.seconds)} s` };
    }
    default: return null;
  }
}

/** Events that match every filter given: one of `kinds` (all when absent or empty) and containing `text`. */
export function filterEvents(events: readonly LogEvent[], filter: { kinds?: ReadonlySet<EventKind>; text?: string }): LogEvent[] {
  const q = filter.text?.trim().toLowerCase() ?? '';
  return events.filter((e) => (!filter.kinds?.size || filter.kinds.has(e.kind)) && (!q || e.text.toLowerCase().includes(q)));
}

export class EventLog {
  private readonly ring: LogEvent[] = [];
  private nextSeq = 1;

  constructor(readonly limit = 1000) {}

  add(kind: EventKind, text: string, t: number): LogEvent {
    const e = { seq: this.nextSeq++, t, kind, text };
    this.ring.push(e);
    if (this.ring.length > this.limit) this.ring.splice(0, this.ring.length - this.limit);
    return e;
  }

  /** A server log record: kept when it is an event. */
  record(msg: string, fields: Fields, t: number): void {
    const e = classify(msg, fields);
    if (e) this.add(e.kind, e.text, t);
  }

  /** Events after `seq`, oldest first (all of them with 0). */
  since(seq: number): LogEvent[] {
    if (!this.ring.length || seq >= this.ring[this.ring.length - 1]!.seq) return [];
    return this.ring.filter((e) => e.seq > seq);
  }

  get lastSeq(): number { return this.nextSeq - 1; }
}

const TAPPED = new Set(['info', 'warn', 'error']);

/** The same logger, whose info, warn and error records are also handed to `onRecord` (whatever the log level). */
export function tapLogger(log: Logger, onRecord: (msg: string, fields: Fields) => void): Logger {
  const wrapped = new Map<PropertyKey, unknown>();
  for (const level of TAPPED) {
    const original = (log as unknown as Record<string, (...a: unknown[]) => void>)[level]!;
    wrapped.set(level, (...args: unknown[]) => {
      const [a, b] = args;
      if (typeof a === 'string') onRecord(a, {});
      else if (typeof b === 'string' && a && typeof a === 'object') onRecord(b, a as Fields);
      return original.apply(log, args);
    });
  }
  return new Proxy(log, {
    get(target, prop) {
      const w = wrapped.get(prop);
      if (w) return w;
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
