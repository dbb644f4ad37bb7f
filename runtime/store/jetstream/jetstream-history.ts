// The history of messages to all in a JetStream stream with one subject: one stream message per line, its id the
// stream sequence (so every node sees one order), the retention applied by the broker itself (max messages, max
// age). Pages are read backwards with a short-lived ordered consumer over the wanted range of sequences.
import { DeliverPolicy, DiscardPolicy, RetentionPolicy, StorageType, type StreamConfig } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { ChatLine } from '../../../machines/frames.js';
import type { Following, HistoryStore, Retention, StoredLine } from '../port.js';
import { isNotFound, type Broker } from './broker.js';
import { StreamFollower } from './stream-follower.js';

/** A line as kept in the stream (its id is the message's sequence). */
interface WireLine { from: string; text: string; ts: number }

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeLine(l: ChatLine): Uint8Array {
  return encoder.encode(JSON.stringify({ from: l.from, text: l.text, ts: l.ts } satisfies WireLine));
}

export function decodeLine(seq: number, data: Uint8Array): StoredLine {
  const w = JSON.parse(decoder.decode(data)) as WireLine;
  return { id: seq, from: String(w.from), text: String(w.text), ts: Number(w.ts) };
}

/** The stream's limits for a retention rule (at least one message: 0 is "no limit" to JetStream). */
function limits(rule: Retention): Pick<StreamConfig, 'max_msgs' | 'max_age' | 'duplicate_window'> {
  // the duplicate window (unused: appends are not retried) may not be longer than the age limit
  const age = rule.maxAgeMs ? nanos(rule.maxAgeMs) : 0;
  return { max_msgs: Math.max(1, rule.maxCount), max_age: age, duplicate_window: age ? Math.min(age, nanos(120_000)) : nanos(120_000) };
}

export class JetStreamHistory implements HistoryStore {
  /** The retention the stream was last set to. */
  private rule: Retention;

  constructor(private readonly broker: Broker, readonly stream: string, readonly subject: string, rule: Retention) {
    this.rule = { ...rule };
  }

  /** Creates the stream, or brings an existing one's retention to `rule`. */
  static async ensure(broker: Broker, stream: string, subject: string, rule: Retention): Promise<JetStreamHistory> {
    const config: Partial<StreamConfig> & { name: string } = {
      name: stream, subjects: [subject], retention: RetentionPolicy.Limits, storage: StorageType.File,
      discard: DiscardPolicy.Old, num_replicas: 1, ...limits(rule),
    };
    await broker.call('open the history stream', 'unreachable', async () => {
      try {
        const info = await broker.jsm.streams.info(stream);
        const want = limits(rule);
        if (info.config.max_msgs !== want.max_msgs || info.config.max_age !== want.max_age) await broker.jsm.streams.update(stream, { ...info.config, ...want });
      } catch (e) {
        if (!isNotFound(e)) throw e;
        // two nodes may create it at once: the same config is accepted twice
        await broker.jsm.streams.add(config);
      }
    });
    return new JetStreamHistory(broker, stream, subject, rule);
  }

  append(lines: readonly ChatLine[]): StoredLine[] | Promise<StoredLine[]> {
    if (!lines.length) return [];
    const payloads = lines.map(encodeLine);
    return this.broker.call('keep messages', 'write', async () => {
      const seqs = await this.broker.publishAll(this.subject, this.stream, payloads);
      return seqs.map((seq, i) => ({ id: seq, from: lines[i]!.from, text: lines[i]!.text, ts: lines[i]!.ts }));
    });
  }

  page(limit: number, before?: number): StoredLine[] | Promise<StoredLine[]> {
    if (limit <= 0) return [];
    return this.broker.call('read the history', 'unreachable', async () => {
      const { state } = await this.broker.jsm.streams.info(this.stream);
      if (!state.messages) return [];
      let hi = Math.min(before ?? Number.MAX_SAFE_INTEGER, state.last_seq + 1); // exclusive
      let out: StoredLine[] = [];
      // normally one range; more only when messages inside it were deleted
      while (out.length < limit && hi > state.first_seq) {
        const lo = Math.max(state.first_seq, hi - (limit - out.length));
        out = (await this.range(lo, hi)).concat(out);
        hi = lo;
      }
      return out.slice(-limit);
    });
  }

  /** The lines with lo <= id < hi that are still kept. */
  private async range(lo: number, hi: number): Promise<StoredLine[]> {
    const consumer = await this.broker.js.consumers.get(this.stream, {
      filter_subjects: this.subject, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: lo, inactive_threshold: nanos(this.broker.timeoutMs),
    });
    const out: StoredLine[] = [];
    try {
      const messages = await consumer.fetch({ max_messages: hi - lo, expires: this.broker.timeoutMs });
      for await (const m of messages) {
        if (m.seq >= hi) break;
        out.push(decodeLine(m.seq, m.data));
        if (m.seq === hi - 1 || m.info.pending === 0) break;
      }
    } finally {
      // it would go by itself after the inactive threshold; many pages at once should not pile them up
      consumer.delete().catch(() => {});
    }
    return out;
  }

  /** The broker applies the retention itself: this only brings the stream's limits to `rule` when it changed. */
  prune(rule: Retention, _now?: number, _chunk?: number): number | Promise<number> {
    if (rule.maxCount === this.rule.maxCount && rule.maxAgeMs === this.rule.maxAgeMs) return 0;
    return this.broker.call('apply the retention', 'write', async () => {
      const info = await this.broker.jsm.streams.info(this.stream);
      await this.broker.jsm.streams.update(this.stream, { ...info.config, ...limits(rule) });
      this.rule = { ...rule };
      return 0;
    });
  }

  count(): Promise<number> {
    return this.broker.call('count the history', 'unreachable', async () => (await this.broker.jsm.streams.info(this.stream)).state.messages);
  }

  follow(afterId: number, onLine: (line: StoredLine) => void, onGap?: (problem: string) => void): Following {
    const follower = new StreamFollower(this.broker, {
      stream: this.stream, subject: this.subject, from: afterId + 1,
      onMessage: (m) => {
        let line: StoredLine;
        try { line = decodeLine(m.seq, m.data); } catch { onGap?.(`message ${m.seq} of the history is not a chat line: skipped`); return; }
        onLine(line);
      },
      onGap: (from, to) => onGap?.(`messages ${from} to ${to - 1} were dropped by the retention before they could be delivered`),
    });
    return { stop: () => follower.stop() };
  }
}
