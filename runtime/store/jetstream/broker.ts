// The connection of a clustered store to its NATS message broker: reconnecting forever with a growing wait, and every
// call to the broker bounded in time (TIMING.storeOpTimeoutMs) with its failure turned into a StoreError that says
// what could not be done. While the connection is down, calls fail at once instead of queueing: the NATS client
// drops what it buffered during an outage when it reconnects, so a write refused now is never kept later.
import { jetstream, jetstreamManager, JetStreamApiError, JetStreamApiCodes, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, createInbox, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { TIMING } from '../../../machines/timing.js';
import { StoreError, type StoreFailure } from '../port.js';

export interface BrokerOptions {
  /** nats://HOST:PORT (or HOST:PORT) of one or more servers of the NATS cluster. */
  servers: string[];
  /** The connection's name, as the broker's monitoring shows it. */
  name?: string;
  /** Bound on every call (default TIMING.storeOpTimeoutMs). */
  timeoutMs?: number;
}

export function describeError(e: unknown): string {
  if (e instanceof JetStreamApiError) return `${e.message} (JetStream error ${e.code})`;
  const err = e as { message?: string; code?: string };
  return err.code && !String(err.message).includes(err.code) ? `${err.code}: ${err.message}` : String(err.message ?? e);
}

/** Whether a JetStream write was refused because the key or stream moved on since the revision it was based on. */
export function isWrongRevision(e: unknown): boolean {
  return e instanceof JetStreamApiError
    && (e.code === JetStreamApiCodes.StreamWrongLastSequence || e.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown);
}

export function isNotFound(e: unknown): boolean {
  return e instanceof JetStreamApiError && e.code === JetStreamApiCodes.StreamNotFound;
}

export class Broker {
  /** Whether the connection is up (false from a disconnect until the reconnect). */
  up = true;
  closed = false;
  private readonly reconnected = new Set<() => void>();
  /** Publications waiting for their acknowledgement, by the last token of their reply subject. */
  private readonly acks = new Map<string, { resolve(seq: number): void; reject(e: Error): void; stream: string }>();
  private ackInbox: string | null = null;
  private ackSub: Subscription | null = null;
  private ackToken = 0;

  private constructor(
    readonly nc: NatsConnection,
    readonly js: JetStreamClient,
    readonly jsm: JetStreamManager,
    readonly servers: readonly string[],
    readonly timeoutMs: number,
    private readonly resetBackoff: () => void,
  ) {
    void this.watchStatus();
  }

  /** Connects (a StoreError of kind `unreachable` when no server answers within the bound, or has no JetStream). */
  static async connect(opts: BrokerOptions): Promise<Broker> {
    const timeoutMs = opts.timeoutMs ?? TIMING.storeOpTimeoutMs;
    let attempt = 0;
    const where = opts.servers.join(',');
    let nc: NatsConnection;
    try {
      nc = await connect({
        servers: opts.servers, name: opts.name, timeout: timeoutMs,
        // no stack captured per request (two Error objects each: a tenth of a node's CPU in bench:cluster's profile)
        noAsyncTraces: true,
        maxReconnectAttempts: -1,
        reconnectDelayHandler: () => Math.min(TIMING.brokerBackoffMaxMs, TIMING.brokerBackoffBaseMs * 2 ** Math.min(attempt++, 16)),
        pingInterval: TIMING.brokerPingMs, maxPingOut: 2,
      });
    } catch (e) {
      throw new StoreError('unreachable', `cannot reach the message broker at ${where} (${describeError(e)})`);
    }
    try {
      const jsm = await jetstreamManager(nc, { timeout: timeoutMs });
      return new Broker(nc, jetstream(nc, { timeout: timeoutMs }), jsm, opts.servers, timeoutMs, () => { attempt = 0; });
    } catch (e) {
      await nc.close().catch(() => {});
      throw new StoreError('unreachable', `the message broker at ${where} has no JetStream (${describeError(e)}): start it with -js`);
    }
  }

  private async watchStatus(): Promise<void> {
    for await (const s of this.nc.status()) {
      if (s.type === 'disconnect') this.up = false;
      else if (s.type === 'reconnect') {
        this.up = true;
        this.resetBackoff();
        for (const fn of this.reconnected) fn();
      }
    }
  }

  /** Calls `fn` after every reconnect; returns what stops that. */
  onReconnect(fn: () => void): () => void {
    this.reconnected.add(fn);
    return () => this.reconnected.delete(fn);
  }

  /** Why calls fail at once now, or null while the connection is up. */
  get problem(): string | null {
    if (this.closed) return 'the store is closed';
    if (!this.up || this.nc.isClosed()) return `the message broker at ${this.servers.join(',')} is unreachable (reconnecting)`;
    return null;
  }

  /**
   * Runs one call to the broker, bounded by the timeout; its failure (or the connection being down) is a StoreError
   * of `kind` saying that `what` could not be done.
   */
  call<T>(what: string, kind: StoreFailure, fn: () => Promise<T>): Promise<T> {
    const problem = this.problem;
    if (problem) return Promise.reject(new StoreError(kind, `cannot ${what}: ${problem}`));
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new StoreError(kind, `cannot ${what}: the message broker did not answer within ${this.timeoutMs / 1000} s`)), this.timeoutMs);
      timer.unref();
      let p: Promise<T>;
      try { p = fn(); } catch (e) { p = Promise.reject(e); }
      p.then((v) => { clearTimeout(timer); resolve(v); }, (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof StoreError ? e : new StoreError(kind, `cannot ${what}: ${describeError(e)}`));
      });
    });
  }

  /**
   * Publishes `payloads` to `subject` back to back and resolves with the stream sequence each was stored at (in
   * order: the broker stores one connection's messages in the order it sent them). One subscription takes every
   * acknowledgement and one timer bounds the whole batch, instead of a request, a reply subscription and a timer per
   * message as `js.publish` makes. Rejects when any is refused or not acknowledged within the timeout (the ones
   * before it may be kept: JetStream 2.9 has no atomic batch).
   */
  publishAll(subject: string, stream: string, payloads: readonly Uint8Array[]): Promise<number[]> {
    if (!this.ackInbox) {
      this.ackInbox = createInbox();
      this.ackSub = this.nc.subscribe(`${this.ackInbox}.*`, { callback: (_err, msg) => this.acked(msg) });
    }
    const tokens: string[] = [];
    const all = Promise.all(payloads.map((p) => new Promise<number>((resolve, reject) => {
      const token = (this.ackToken++).toString(36);
      tokens.push(token);
      this.acks.set(token, { resolve, reject, stream });
      this.nc.publish(subject, p, { reply: `${this.ackInbox}.${token}` });
    })));
    const timer = setTimeout(() => {
      const e = new Error(`no acknowledgement within ${this.timeoutMs / 1000} s`);
      for (const t of tokens) { this.acks.get(t)?.reject(e); this.acks.delete(t); }
    }, this.timeoutMs);
    timer.unref();
    return all.finally(() => clearTimeout(timer));
  }

  private acked(msg: Msg): void {
    const token = msg.subject.slice(this.ackInbox!.length + 1);
    const waiting = this.acks.get(token);
    if (!waiting) return;
    this.acks.delete(token);
    if (msg.headers?.hasError) { waiting.reject(new Error(`JetStream did not take it (${msg.headers.code} ${msg.headers.description})`)); return; }
    try {
      const ack = msg.json<{ stream?: string; seq?: number; error?: { code?: number; err_code?: number; description?: string } }>();
      if (ack.error) waiting.reject(new Error(`${ack.error.description ?? 'refused'} (JetStream error ${ack.error.err_code ?? ack.error.code})`));
      else if (ack.stream !== waiting.stream || typeof ack.seq !== 'number') waiting.reject(new Error(`acknowledged by the stream ${ack.stream}, not ${waiting.stream}`));
      else waiting.resolve(ack.seq);
    } catch (e) { waiting.reject(new Error(`an acknowledgement that cannot be read (${(e as Error).message})`)); }
  }

  /** Drains the connection (bounded by the timeout), then closes it. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.reconnected.clear();
    this.ackSub?.unsubscribe();
    const gone = new Error('the store is closed');
    for (const w of this.acks.values()) w.reject(gone);
    this.acks.clear();
    if (this.nc.isClosed()) return;
    const timer = new Promise<void>((r) => setTimeout(r, this.timeoutMs).unref());
    await Promise.race([this.up ? this.nc.drain().catch(() => {}) : Promise.resolve(), timer]);
    await this.nc.close().catch(() => {});
  }
}
