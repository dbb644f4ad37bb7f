// What the broker itself spends, measured apart from our nodes, for docs/SCALING.md's arithmetic: nats-server CPU
// per message kept in a JetStream stream (append + ack) and per copy delivered to each ordered consumer following it
// (what the history costs per node), and per core-NATS message delivered to each subscriber (what presence and
// heartbeats cost per node). Each consumer or subscriber has a connection of its own, as a node has.
import { jetstream, jetstreamManager, DeliverPolicy, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { cpuSeconds } from '../chat/servers.js';

export interface BrokerCosts {
  /** CPU-us per message appended (64 acks outstanding) with k ordered consumers following, for each k measured. */
  streamUsPerMsg: Map<number, number>;
  /** The same with one append in flight at a time (each waits for the ack of the one before), as a node appends now. */
  serialUsPerMsg: Map<number, number>;
  /** CPU-us per core message published with k subscribers, for each k measured. */
  coreUsPerMsg: Map<number, number>;
}

const payload = new Uint8Array(200).fill(120); // about a stored chat line (~260 B with headers)

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`broker costs: ${what} did not finish within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Measures with `messages` messages per step; the stream is `${prefix}_PROBE` (deleted at the end). */
export async function brokerCosts(url: string, pid: number, prefix: string, messages: number, counts: readonly number[]): Promise<BrokerCosts> {
  const maxK = Math.max(...counts);
  const pub = await connect({ servers: url, name: 'bench-probe-pub' });
  const subs: NatsConnection[] = [];
  for (let i = 0; i < maxK; i++) subs.push(await connect({ servers: url, name: `bench-probe-${i}` }));
  const jsm = await jetstreamManager(pub);
  const js = jetstream(pub);
  const stream = `${prefix}_PROBE`;
  const subject = `${prefix}.probe`;
  const out: BrokerCosts = { streamUsPerMsg: new Map(), serialUsPerMsg: new Map(), coreUsPerMsg: new Map() };
  try {
    await jsm.streams.add({ name: stream, subjects: [subject], retention: RetentionPolicy.Limits, storage: StorageType.File, num_replicas: 1, max_msgs: 100_000 });
    for (const k of counts) {
      // k nodes following the stream, as the history follower does (ordered consumers from the next message)
      let got = 0;
      const following = [];
      for (let i = 0; i < k; i++) {
        const c = await jetstream(subs[i]!).consumers.get(stream, { filter_subjects: subject, deliver_policy: DeliverPolicy.New });
        following.push(await c.consume({ max_messages: 512, callback: () => { got++; } }));
      }
      await new Promise((r) => setTimeout(r, 300));
      const c0 = cpuSeconds(pid);
      // appends pipelined, 64 acks outstanding (the cheapest the broker can be asked to keep them)
      for (let sent = 0; sent < messages; sent += 64) {
        const n = Math.min(64, messages - sent);
        await Promise.all(Array.from({ length: n }, () => js.publish(subject, payload)));
      }
      await until(() => got >= k * messages, 60_000, `delivering ${messages} stream messages to ${k} consumers`);
      out.streamUsPerMsg.set(k, ((cpuSeconds(pid) - c0) / messages) * 1e6);
      // one append in flight (a quarter as many: each is a round trip)
      const serial = Math.max(1, Math.floor(messages / 4));
      got = 0;
      const c1 = cpuSeconds(pid);
      for (let i = 0; i < serial; i++) await js.publish(subject, payload);
      await until(() => got >= k * serial, 60_000, `delivering ${serial} serial stream messages to ${k} consumers`);
      out.serialUsPerMsg.set(k, ((cpuSeconds(pid) - c1) / serial) * 1e6);
      for (const f of following) f.stop();
    }
    for (const k of counts) {
      if (k === 0) continue;
      let got = 0;
      const core = `${prefix}.core`;
      const ss = subs.slice(0, k).map((nc) => nc.subscribe(core, { callback: () => { got++; } }));
      await Promise.all(subs.slice(0, k).map((nc) => nc.flush()));
      // ten times as many: a core message costs the broker about a microsecond, and /proc counts in 10 ms ticks
      const many = messages * 10;
      const c0 = cpuSeconds(pid);
      for (let i = 0; i < many; i++) {
        pub.publish(core, payload);
        if (i % 256 === 255) await pub.flush();
      }
      await pub.flush();
      await until(() => got >= k * many, 60_000, `delivering ${many} core messages to ${k} subscribers`);
      out.coreUsPerMsg.set(k, ((cpuSeconds(pid) - c0) / many) * 1e6);
      for (const s of ss) s.unsubscribe();
    }
  } finally {
    await jsm.streams.delete(stream).catch(() => false);
    for (const nc of [pub, ...subs]) await nc.close().catch(() => undefined);
  }
  return out;
}

/** Least-squares line y = a + b k through the measured points. */
export function fitLine(points: Map<number, number>): { a: number; b: number } {
  const xs = [...points.keys()], ys = [...points.values()];
  const n = xs.length;
  const mx = xs.reduce((s, x) => s + x, 0) / n, my = ys.reduce((s, y) => s + y, 0) / n;
  const sxx = xs.reduce((s, x) => s + (x - mx) ** 2, 0);
  const b = sxx ? xs.reduce((s, x, i) => s + (x - mx) * (ys[i]! - my), 0) / sxx : 0;
  return { a: my - b * mx, b };
}
