// What the dashboard reads of a running server, as plain data: the open sessions, the running transfers, the UDP
// port pool and the nodes. `Observer` takes one such sample when asked (the dashboard's sampler asks at most ten
// times a second, and only while a page is open); it only reads: it never sends an event or changes a counter.
import os from 'node:os';
import type { Connection } from '../connection.js';
import type { MessengerServer } from '../server.js';
import type { ServerTransfer } from '../server-transfer.js';

export interface SessionObservation {
  id: number;
  /** null until the nickname is accepted. */
  name: string | null;
  remote: string;
  /** The session actor's state value (a string, or an object for nested states). */
  state: unknown;
  openedAt: number;
  sent: number;
  /** Bytes written to the socket and not yet taken by the kernel. */
  outboxBytes: number;
  tls: boolean;
  /** The session actor has stopped (seen once more after its connection closed). */
  ended: boolean;
}

export interface TransferObservation {
  id: number;
  client: string;
  file: string;
  size: number;
  port: number;
  /** The sender actor's state value. */
  state: unknown;
  /** finished, stopped, cancelled or failed once ended. */
  outcome?: string;
  acked: number;
  startOffset: number;
  holdAt: number | null;
  cwnd: number;
  srttMs: number;
  lost: number;
  retransmits: number;
  inFlight: number;
  cc: string;
  ended: boolean;
}

export interface PoolObservation { first: number; last: number; taken: number[]; benched: number[] }

/** One server of the chat. Without a cluster that is just this one; a cluster adapter gives one per node it knows. */
export interface NodeObservation {
  name: string;
  address: string;
  /** The node this dashboard runs in. */
  self: boolean;
  /** up, suspect, down, ... as the cluster sees it. */
  state: string;
  sessions: number;
  transfers: number;
  /** When the node started, or when it was last heard of (ms since the epoch). */
  since?: number;
}

/** What a cluster feeds the dashboard: the nodes it knows, itself included, read at each sample. */
export type NodeSource = () => NodeObservation[];

export interface Observation {
  now: number;
  startedAt: number;
  /** Sessions open now, and those that closed since the last sample (ended: true). */
  sessions: SessionObservation[];
  /** Sessions open in all (the list above may be cut short). */
  sessionCount: number;
  /** Nicknames online on this server. */
  online: number;
  transfers: TransferObservation[];
  pool: PoolObservation;
  nodes: NodeObservation[];
}

/** At most this many sessions are read per sample (the newest); the count says how many there are. */
export const MAX_SESSIONS_READ = 500;

export class Observer {
  private lastSessions = new Map<number, Connection>();
  private lastTransfers = new Map<number, ServerTransfer>();
  readonly startedAt: number;

  constructor(
    private readonly server: MessengerServer, private readonly self: { name?: string; address: string },
    private readonly nodeSource?: NodeSource, private readonly maxSessions = MAX_SESSIONS_READ,
  ) {
    this.startedAt = server.clock.now();
  }

  sample(): Observation {
    const now = this.server.clock.now();
    const sessions: SessionObservation[] = [];
    const seenSessions = new Map<number, Connection>();
    const all = this.server.sessions;
    let skip = Math.max(0, all.size - this.maxSessions);
    for (const c of all) {
      if (skip > 0) { skip--; continue; }
      seenSessions.set(c.id, c);
      sessions.push(readSession(c, false));
    }
    for (const [id, c] of this.lastSessions) if (!seenSessions.has(id) && !all.has(c)) sessions.push(readSession(c, true));
    this.lastSessions = seenSessions;

    const transfers: TransferObservation[] = [];
    const seenTransfers = new Map<number, ServerTransfer>();
    for (const t of this.server.transfers.running) {
      seenTransfers.set(t.id, t);
      transfers.push(readTransfer(t, false));
    }
    for (const [id, t] of this.lastTransfers) if (!seenTransfers.has(id)) transfers.push(readTransfer(t, true));
    this.lastTransfers = seenTransfers;

    const pool = this.server.transfers.pool;
    const nodes = this.nodeSource ? this.nodeSource() : [{
      name: this.self.name ?? os.hostname(), address: this.self.address, self: true, state: 'up',
      sessions: all.size, transfers: this.server.transfers.active, since: this.startedAt,
    }];
    return {
      now, startedAt: this.startedAt, sessions, sessionCount: all.size, online: this.server.hub.size, transfers,
      pool: { first: pool.first, last: pool.last, ...pool.snapshot(now) }, nodes,
    };
  }
}

function readSession(c: Connection, ended: boolean): SessionObservation {
  const snap = c.actor.getSnapshot();
  return {
    id: c.id, name: snap.context.name, remote: c.remote, state: snap.value, openedAt: snap.context.openedAt,
    sent: c.messagesSent, outboxBytes: c.socket.writableLength, tls: c.tlsSocket !== null, ended: ended || snap.status !== 'active',
  };
}

function readTransfer(t: ServerTransfer, ended: boolean): TransferObservation {
  const snap = t.actor.getSnapshot();
  const core = t.core;
  const stats = core.stats();
  const o: TransferObservation = {
    id: t.id, client: t.name, file: t.file.name, size: t.file.size, port: t.port, state: snap.value,
    acked: core.ackedBytes, startOffset: t.startOffset, holdAt: t.holdAt, cwnd: core.cwnd,
    srttMs: stats.srtt, lost: stats.lostPackets, retransmits: stats.retransmits,
    inFlight: core.bytesInFlight, cc: core.controller.name, ended: ended || snap.status !== 'active',
  };
  if (snap.status === 'done' && snap.output) o.outcome = snap.output.outcome;
  return o;
}
