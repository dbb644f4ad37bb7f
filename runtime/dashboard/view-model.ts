// The dashboard's view model: turns the server's observations (./observation.ts) into what the page shows: rows of
// sessions and transfers, the port pool, the nodes, the states to light up on the charts, and one point per sample
// for the plots. No I/O and no clock: time comes in the observation, so the same observations give the same view.
import type { NodeObservation, Observation, SessionObservation, TransferObservation } from './observation.js';

export interface SessionRow {
  id: number;
  /** The nickname, or '' while the session has none yet. */
  name: string;
  address: string;
  /** The state as text: `chatting`, `sending.windowOpen`. */
  state: string;
  /** Ids of the chart's state nodes to light up (the state and its ancestors): `session.chatting`. */
  stateIds: string[];
  onlineMs: number;
  sent: number;
  outboxBytes: number;
  tls: boolean;
  ended: boolean;
}

export interface TransferRow {
  id: number;
  file: string;
  client: string;
  size: number;
  acked: number;
  /** 0..1 of the file acknowledged. */
  progress: number;
  state: string;
  stateIds: string[];
  /** Bytes a second acknowledged since the last sample (0 on the first). */
  goodput: number;
  cwnd: number;
  rttMs: number;
  lost: number;
  retransmits: number;
  port: number;
  /** Paused at the halfway question. */
  asking: boolean;
  halfway: number | null;
  ended: boolean;
  outcome?: string;
}

export type PortStatus = 'free' | 'taken' | 'reserved' | 'benched';
export interface PortRow { port: number; status: PortStatus; transfer?: number; file?: string; client?: string }

export interface PoolView {
  first: number;
  last: number;
  size: number;
  inUse: number;
  benched: number;
  /** Every port when the pool is small (MAX_PORTS_LISTED), else only those not free. */
  ports: PortRow[];
  listedAll: boolean;
}

export interface NodeRow extends NodeObservation { ageMs: number | null }

/** One sample of the plots: per transfer, [goodput B/s, congestion window B, smoothed RTT ms, packets lost /s]. */
export interface SeriesPoint { t: number; values: Record<string, [number, number, number, number]> }

export interface ViewFrame {
  now: number;
  uptimeMs: number;
  /** Sessions with a nickname (online), and sessions open in all. */
  online: number;
  sessionsOpen: number;
  /** Open sessions not in `sessions` (the table is cut at MAX_SESSION_ROWS). */
  sessionsHidden: number;
  sessions: SessionRow[];
  transfers: TransferRow[];
  pool: PoolView;
  nodes: NodeRow[];
  /** The plots' point of this sample (null when no transfer runs). */
  point: SeriesPoint | null;
}

export const MAX_SESSION_ROWS = 200;
export const MAX_PORTS_LISTED = 256;
/** Ended sessions and transfers stay in their tables this long, at most KEEP_ENDED of each. */
export const KEEP_ENDED_MS = 60_000;
export const KEEP_ENDED = 20;
/** Points the plots keep: a minute at ten samples a second. */
export const SERIES_POINTS = 600;

/** The state value of an actor as text: `chatting`, `sending.windowOpen` (parallel regions joined by `, `). */
export function stateLabel(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>).map(([k, v]) => {
      const inner = stateLabel(v);
      return inner ? `${k}.${inner}` : k;
    }).join(', ');
  }
  return '';
}

/** The state node ids a state value stands for in the chart of machine `machineId`: each active state and its
 *  ancestors, outermost first (`sender.sending`, `sender.sending.windowOpen`). */
export function stateIds(machineId: string, value: unknown): string[] {
  const out: string[] = [];
  const walk = (prefix: string, v: unknown) => {
    if (typeof v === 'string') { out.push(`${prefix}.${v}`); return; }
    if (v && typeof v === 'object') {
      for (const [k, inner] of Object.entries(v as Record<string, unknown>)) {
        out.push(`${prefix}.${k}`);
        walk(`${prefix}.${k}`, inner);
      }
    }
  };
  walk(machineId, value);
  return out;
}

interface TransferTrack { lastAcked: number; lastLost: number; lastT: number; row: TransferRow; endedAt: number | null }
interface EndedSession { row: SessionRow; endedAt: number }

export class ViewModel {
  private readonly tracks = new Map<number, TransferTrack>();
  private readonly endedSessions = new Map<number, EndedSession>();
  private readonly points: SeriesPoint[] = [];
  private last: ViewFrame | null = null;

  /** The view of one observation; call once per sample, in time order. */
  update(obs: Observation): ViewFrame {
    const now = obs.now;
    const live: SessionRow[] = [];
    for (const s of obs.sessions) {
      const row = sessionRow(s, now);
      if (s.ended) { if (!this.endedSessions.has(s.id)) this.endedSessions.set(s.id, { row, endedAt: now }); }
      else live.push(row);
    }
    const ended = prune(this.endedSessions, now).map((e) => e.row);
    const liveShown = live.slice(-MAX_SESSION_ROWS);
    const sessions = [...liveShown, ...ended].sort((a, b) => a.id - b.id);

    const values: SeriesPoint['values'] = {};
    let anyLive = false;
    for (const t of obs.transfers) {
      const track = this.tracks.get(t.id);
      if (track?.endedAt !== undefined && track.endedAt !== null) continue; // its last word was read already
      const row = transferRow(t, track, now);
      if (!t.ended) anyLive = true;
      values[String(t.id)] = [row.goodput, row.cwnd, row.rttMs, track && now > track.lastT ? ((t.lost - track.lastLost) * 1000) / (now - track.lastT) : 0];
      this.tracks.set(t.id, { lastAcked: t.acked, lastLost: t.lost, lastT: now, row, endedAt: t.ended ? now : null });
    }
    // transfers gone from the observations without a last word (the sampler started after they ended)
    const seen = new Set(obs.transfers.map((t) => t.id));
    for (const [id, tr] of this.tracks) if (tr.endedAt === null && !seen.has(id)) { tr.endedAt = now; tr.row = { ...tr.row, ended: true, goodput: 0 }; }
    this.pruneTracks(now);
    const transfers = [...this.tracks.values()].map((t) => t.row).sort((a, b) => a.id - b.id);

    let point: SeriesPoint | null = null;
    if (anyLive || Object.keys(values).length) {
      point = { t: now, values };
      this.points.push(point);
      if (this.points.length > SERIES_POINTS) this.points.splice(0, this.points.length - SERIES_POINTS);
    }
    const frame: ViewFrame = {
      now, uptimeMs: now - obs.startedAt,
      online: obs.online,
      sessionsOpen: obs.sessionCount, sessionsHidden: Math.max(0, obs.sessionCount - liveShown.length),
      sessions, transfers, pool: poolView(obs), nodes: obs.nodes.map((n) => ({ ...n, ageMs: n.since !== undefined ? now - n.since : null })),
      point,
    };
    this.last = frame;
    return frame;
  }

  /** The plots' points kept (the last SERIES_POINTS samples with a transfer), oldest first. */
  series(): SeriesPoint[] { return this.points.slice(); }

  get lastFrame(): ViewFrame | null { return this.last; }

  private pruneTracks(now: number): void {
    const ended = [...this.tracks.entries()].filter(([, t]) => t.endedAt !== null);
    ended.forEach(([id, t], i) => {
      if (now - t.endedAt! > KEEP_ENDED_MS || i < ended.length - KEEP_ENDED) this.tracks.delete(id);
    });
  }
}

function prune(m: Map<number, EndedSession>, now: number): EndedSession[] {
  const all = [...m.entries()];
  all.forEach(([id, e], i) => { if (now - e.endedAt > KEEP_ENDED_MS || i < all.length - KEEP_ENDED) m.delete(id); });
  return [...m.values()];
}

function sessionRow(s: SessionObservation, now: number): SessionRow {
  return {
    id: s.id, name: s.name ?? '', address: s.remote, state: stateLabel(s.state), stateIds: stateIds('session', s.state),
    onlineMs: Math.max(0, now - s.openedAt), sent: s.sent, outboxBytes: s.outboxBytes, tls: s.tls, ended: s.ended,
  };
}

function transferRow(t: TransferObservation, track: TransferTrack | undefined, now: number): TransferRow {
  const dt = track ? now - track.lastT : 0;
  const goodput = track && dt > 0 && !t.ended ? Math.max(0, ((t.acked - track.lastAcked) * 1000) / dt) : 0;
  const state = stateLabel(t.state);
  const row: TransferRow = {
    id: t.id, file: t.file, client: t.client, size: t.size, acked: t.acked, progress: t.size > 0 ? Math.min(1, t.acked / t.size) : 1,
    state, stateIds: stateIds('sender', t.state), goodput, cwnd: t.cwnd, rttMs: t.srttMs, lost: t.lost, retransmits: t.retransmits,
    port: t.port, asking: state === 'pausedAwaitingConsent', halfway: t.holdAt, ended: t.ended,
  };
  if (t.outcome !== undefined) row.outcome = t.outcome;
  return row;
}

function poolView(obs: Observation): PoolView {
  const { first, last, taken, benched } = obs.pool;
  const byPort = new Map<number, TransferObservation>();
  for (const t of obs.transfers) if (!t.ended) byPort.set(t.port, t);
  const status = new Map<number, PortRow>();
  for (const p of taken) {
    const t = byPort.get(p);
    status.set(p, t ? { port: p, status: 'taken', transfer: t.id, file: t.file, client: t.client } : { port: p, status: 'reserved' });
  }
  for (const p of benched) status.set(p, { port: p, status: 'benched' });
  const size = last - first + 1;
  const listedAll = size <= MAX_PORTS_LISTED;
  const ports: PortRow[] = [];
  if (listedAll) for (let p = first; p <= last; p++) ports.push(status.get(p) ?? { port: p, status: 'free' });
  else ports.push(...[...status.values()].sort((a, b) => a.port - b.port));
  return { first, last, size, inUse: taken.length, benched: benched.length, ports, listedAll };
}
