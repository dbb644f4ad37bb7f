// Private messages kept for offline registered nicknames, in a JetStream key-value bucket: one key per nickname (the
// hex of its nameKey) holding its whole mailbox, a JSON list of at most LIMITS.offlinePerRecipient messages, each
// with an id of its own.
//
// Why a key per mailbox and not a stream with a subject per nickname: the mailbox's cap must hold across nodes, and a
// revision-checked read-modify-write of one key gives that exactly (two nodes adding the 100th message at once: one
// write is refused and retried on the new value, and then finds the mailbox full); and a bucket's watch carries
// deletes to every node's replica, so a mailbox emptied at a login on one node is empty on all of them, which a
// stream purge would not tell the other nodes. The price: a mailbox is one value, under the broker's largest
// message (1 MB by default), so a mailbox of long messages is full before 100 (the writer gets a StoreError).
//
// `count` and `take` read the replica. `take` removes the messages from the replica at once (and hides them from
// what the stream says until the broker agrees), then from the broker by their ids, revision-checked and retried
// (also after a reconnect) until it succeeds: a message is delivered at least once, twice only if this node stops
// before the broker removed it.
import { LIMITS } from '../../../machines/limits.js';
import type { ChatLine } from '../../../machines/frames.js';
import { StoreError, type OfflineStore } from '../port.js';
import { isWrongRevision, type Broker } from './broker.js';
import { hexKey, KvReplica } from './kv-replica.js';

/** One kept message, with the id that lets a take remove exactly it. */
export interface KeptLine { id: string; from: string; to: string; text: string; ts: number }

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function decodeMailbox(data: Uint8Array): KeptLine[] {
  const v = JSON.parse(decoder.decode(data)) as unknown;
  if (!Array.isArray(v)) throw new Error('not a mailbox');
  return v as KeptLine[];
}

const ATTEMPTS = 8;

export class JetStreamOffline implements OfflineStore {
  /** Ids taken here, per bucket key, not yet removed from the broker. */
  private readonly taken = new Map<string, Set<string>>();
  /** One write at a time per mailbox on this node (so one sender's messages keep their order). */
  private readonly queues = new Map<string, Promise<unknown>>();
  private seq = 0;
  private readonly idPrefix = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  private readonly stopReconnect: () => void;
  private retryTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(private readonly broker: Broker, readonly replica: KvReplica<KeptLine[]>) {
    this.stopReconnect = broker.onReconnect(() => this.retryRemovals());
  }

  /** The messages of a mailbox that are not taken here. */
  private visible(k: string): KeptLine[] {
    const all = this.replica.get(k) ?? [];
    const gone = this.taken.get(k);
    return gone?.size ? all.filter((l) => !gone.has(l.id)) : all;
  }

  /** Runs `fn` after every earlier write to the same mailbox on this node. */
  private queued<T>(k: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.queues.get(k) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => {});
    this.queues.set(k, tail);
    void tail.then(() => { if (this.queues.get(k) === tail) this.queues.delete(k); });
    return run;
  }

  /**
   * Reads the mailbox (the replica's copy first, the broker's after a conflict), lets `change` make the new list
   * (dropping what was taken here), and writes it only if nobody wrote in between; retried on a conflict.
   */
  private async modify(k: string, change: (lines: KeptLine[]) => KeptLine[] | null): Promise<void> {
    let known = this.replica.entries.get(k);
    for (let i = 0; i < ATTEMPTS; i++) {
      const current = known?.value ?? [];
      // the ids taken here so far: the write below removes them all from the broker's copy
      const gone = new Set(this.taken.get(k) ?? []);
      const next = change(gone.size ? current.filter((l) => !gone.has(l.id)) : current);
      if (next === null) return;
      try {
        let rev: number;
        if (next.length) {
          const data = encoder.encode(JSON.stringify(next));
          rev = known && known.rev > 0 ? await this.replica.kv.update(k, data, known.rev) : await this.replica.kv.create(k, data);
        } else {
          if (!known || known.value === null) { this.forget(k, gone); return; }
          await this.replica.kv.delete(k, { previousSeq: known.rev });
          rev = known.rev + 1;
        }
        this.replica.apply(k, rev, next.length ? next : null);
        this.forget(k, gone);
        return;
      } catch (e) {
        if (!isWrongRevision(e)) throw e;
        const entry = await this.replica.kv.get(k);
        known = entry ? { rev: entry.revision, value: entry.operation === 'PUT' ? decodeMailbox(entry.value) : null } : undefined;
      }
    }
    throw new Error(`the mailbox changed ${ATTEMPTS} times while it was being written`);
  }

  /** Ids taken here that are now gone from the broker's copy need no hiding any more. */
  private forget(k: string, removed: ReadonlySet<string>): void {
    const taken = this.taken.get(k);
    if (!taken) return;
    for (const id of removed) taken.delete(id);
    if (!taken.size) this.taken.delete(k);
  }

  put(key: string, line: ChatLine & { to: string }): Promise<void> {
    const k = hexKey(key);
    const kept: KeptLine = { id: `${this.idPrefix}-${(this.seq++).toString(36)}`, from: line.from, to: line.to, text: line.text, ts: line.ts };
    return this.queued(k, () => this.broker.call('keep the message', 'write', () => this.modify(k, (lines) => {
      if (lines.length >= LIMITS.offlinePerRecipient) throw new StoreError('write', `the mailbox of ${line.to} is full (${LIMITS.offlinePerRecipient} messages)`);
      const next = [...lines, kept];
      const max = this.broker.nc.info?.max_payload ?? 1024 * 1024;
      if (Buffer.byteLength(JSON.stringify(next)) > max - 4096) throw new StoreError('write', `the mailbox of ${line.to} is full (${Math.round(max / 1024)} KB)`);
      return next;
    })));
  }

  count(key: string): number { return this.visible(hexKey(key)).length; }

  take(key: string, maxBytes: number): ChatLine[] {
    const k = hexKey(key);
    const out: ChatLine[] = [];
    let bytes = 0;
    const ids: string[] = [];
    for (const l of this.visible(k)) {
      const line: ChatLine = { from: l.from, to: l.to, text: l.text, ts: l.ts };
      bytes += Buffer.byteLength(JSON.stringify(line)) + 1;
      if (out.length && bytes > maxBytes) break;
      out.push(line);
      ids.push(l.id);
    }
    if (!ids.length) return out;
    let gone = this.taken.get(k);
    if (!gone) this.taken.set(k, gone = new Set());
    for (const id of ids) gone.add(id);
    this.remove(k);
    return out;
  }

  /** Removes what was taken here from the broker's copy of the mailbox (again later if the broker is away). */
  private remove(k: string): void {
    void this.queued(k, () => this.broker.call('remove delivered messages', 'write', () => this.modify(k, (lines) => lines)))
      .catch(() => this.scheduleRetry());
  }

  private scheduleRetry(): void {
    if (this.retryTimer || this.closed) return;
    this.retryTimer = setTimeout(() => { this.retryTimer = null; this.retryRemovals(); }, this.broker.timeoutMs);
    this.retryTimer.unref();
  }

  private retryRemovals(): void {
    if (this.closed) return;
    for (const k of this.taken.keys()) this.remove(k);
  }

  /** Removes a mailbox (its account is removed). */
  async purge(key: string): Promise<void> {
    const k = hexKey(key);
    await this.queued(k, async () => {
      await this.replica.kv.purge(k);
      const known = this.replica.entries.get(k);
      this.replica.apply(k, (known?.rev ?? 0) + 1, null);
      this.taken.delete(k);
    });
  }

  /** Waits (bounded) for the removals under way, then stops retrying. */
  async close(): Promise<void> {
    const pending = [...this.queues.values()];
    await Promise.race([Promise.all(pending), new Promise((r) => setTimeout(r, this.broker.timeoutMs).unref())]);
    this.closed = true;
    this.stopReconnect();
    if (this.retryTimer) clearTimeout(this.retryTimer);
  }
}
