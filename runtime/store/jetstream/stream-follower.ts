// Follows a JetStream stream with an ordered consumer: every message from a starting sequence on, in the stream's
// order, each once. The client's ordered consumer recreates itself when it sees a gap or misses heartbeats; on top
// of it this keeps its own cursor (the next stream sequence it wants) and, when the consumer ends (the broker
// restarted, the connection was closed for a while), makes a new one from that cursor after a growing wait, so an
// outage loses nothing and repeats nothing.
import { DeliverPolicy, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import { TIMING } from '../../../machines/timing.js';
import type { Broker } from './broker.js';

export interface FollowerOptions {
  stream: string;
  /** The subject (or wildcard) to follow in the stream. */
  subject: string;
  /**
   * The stream sequence to start at; 'last-per-subject' starts with the newest message of every subject (a KV
   * bucket's current values), then follows every change.
   */
  from: number | 'last-per-subject';
  onMessage(m: JsMsg): void;
  /**
   * Messages from `from` to `to` - 1 were gone before they could be delivered (a single-subject stream only: with
   * 'last-per-subject' or a wildcard, skipped sequences are normal and this is not called; nor when starting at 1,
   * the oldest kept).
   */
  onGap?(from: number, to: number): void;
  /** Once: everything the stream held when following began has been delivered. */
  onCaughtUp?(): void;
  /** Something went wrong and is being retried (for logs). */
  onTrouble?(problem: string): void;
}

export class StreamFollower {
  /** The next stream sequence wanted (0 until the first message with 'last-per-subject'). */
  private next: number;
  private stopped = false;
  private caughtUp = false;
  private delivered = false;
  private current: ConsumerMessages | null = null;
  private wake: (() => void) | null = null;
  private readonly stopReconnect: () => void;

  constructor(private readonly broker: Broker, private readonly opts: FollowerOptions) {
    this.next = opts.from === 'last-per-subject' ? 0 : Math.max(1, opts.from);
    // after a reconnect, retry at once instead of waiting out the backoff
    this.stopReconnect = broker.onReconnect(() => this.wake?.());
    void this.run();
  }

  /** The next stream sequence this follower will deliver. */
  get cursor(): number { return this.next; }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.stopReconnect();
    this.wake?.();
    this.current?.stop();
  }

  private markCaughtUp(): void {
    if (this.caughtUp) return;
    this.caughtUp = true;
    this.opts.onCaughtUp?.();
  }

  private take(m: JsMsg): void {
    if (this.stopped || m.seq < this.next) return;
    // starting at 1 means from the oldest kept, whatever that is now
    const gaps = this.opts.from !== 'last-per-subject' && !/[*>]/.test(this.opts.subject) && (this.delivered || this.opts.from > 1);
    if (gaps && m.seq > this.next) this.opts.onGap?.(this.next, m.seq);
    this.next = m.seq + 1;
    this.delivered = true;
    this.opts.onMessage(m);
    if (m.info.pending === 0) this.markCaughtUp();
  }

  private async run(): Promise<void> {
    let fails = 0;
    // a closed store ends every follower still running
    while (!this.stopped && !this.broker.closed) {
      try {
        const { state } = await this.broker.call('follow the store', 'unreachable', () => this.broker.jsm.streams.info(this.opts.stream));
        if (state.messages === 0 || (this.next > 0 && this.next > state.last_seq)) this.markCaughtUp();
        const from = this.next > 0
          ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: this.next }
          : { deliver_policy: DeliverPolicy.LastPerSubject };
        const consumer = await this.broker.call('follow the store', 'unreachable',
          () => this.broker.js.consumers.get(this.opts.stream, { filter_subjects: this.opts.subject, ...from }));
        if (this.stopped) break;
        const messages = await this.broker.call('follow the store', 'unreachable',
          () => consumer.consume({
            max_messages: 512, idle_heartbeat: TIMING.followHeartbeatMs, expires: TIMING.followHeartbeatMs * 10, callback: (m) => this.take(m),
          }));
        this.current = messages;
        fails = 0;
        // the client recreates its ordered consumer after a broker restart but can then stall on what it thinks is
        // still pending: start afresh from our own cursor instead
        let recreated = false;
        void (async () => {
          for await (const st of messages.status()) {
            if (st.type === 'ordered_consumer_recreated') { recreated = true; messages.stop(); break; }
          }
        })().catch(() => {});
        await messages.closed();
        this.current = null;
        if (recreated && !this.stopped) continue;
        if (!this.stopped) this.opts.onTrouble?.('the consumer ended; following again');
      } catch (e) {
        this.current = null;
        if (this.stopped) break;
        this.opts.onTrouble?.((e as Error).message);
      }
      if (this.stopped || this.broker.closed) break;
      const wait = Math.min(TIMING.brokerBackoffMaxMs, TIMING.brokerBackoffBaseMs * 2 ** Math.min(fails++, 16));
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => { this.wake = null; resolve(); }, wait);
        this.wake = () => { clearTimeout(t); this.wake = null; resolve(); };
      });
    }
  }
}
