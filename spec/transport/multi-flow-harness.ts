// Several transfers (SenderCore + ReceiverCore pairs) through one simulated bottleneck, in virtual time: one shared
// drop-tail queue on the data direction, a clean ACK path per flow. Flows may start at different times. Each flow's
// acknowledged bytes are sampled every `sampleMs`, for per-window rates and Jain's index.
import type { CongestionControlName } from '../../machines/transport/api.js';
import type { CongestionController } from '../../machines/transport/congestion/controller.js';
import { DATA_OVERHEAD_BYTES, decodePacket, encodeAck } from '../../machines/transport/packet-codec.js';
import { ReceiverCore } from '../../machines/transport/receiver-core.js';
import { SenderCore } from '../../machines/transport/sender-core.js';
import { SharedPath } from '../../machines/transport/shared-path.js';
import { EventQueue, Link, type LinkConfig, mulberry32 } from './sim-network.js';

export interface FlowSpec {
  cc: CongestionControlName;
  controller?: (maxDatagram: number) => CongestionController;
  startAt?: number;
  size: number;
  /** Flows with the same key share one congestion state (one client's downloads: SharedPath). */
  path?: string;
}

export interface MultiResult {
  /** Per flow: [time ms, bytes acknowledged] every sampleMs, from its start to its end. */
  samples: Array<Array<[number, number]>>;
  completedAt: Array<number | null>;
  senders: SenderCore[];
  forward: Link;
}

const TOKEN = Buffer.alloc(8, 7);

export function runFlows(flows: FlowSpec[], cfg: { forward: LinkConfig; ackDelayMs: number; chunk?: number; seed?: number; untilMs: number; sampleMs?: number; tickMs?: number }): MultiResult {
  const chunk = cfg.chunk ?? 1200;
  const maxDatagram = chunk + DATA_OVERHEAD_BYTES;
  const sim = new EventQueue();
  const rng = mulberry32(cfg.seed ?? 1);
  const fwd = new Link(sim, cfg.forward, rng);
  const sampleMs = cfg.sampleMs ?? 100;
  const tick = cfg.tickMs ?? 1;
  const paths = new Map<string, SharedPath>();
  /** Each path's members' pumps: an ACK for one gives all of them a turn, as the runtime's scheduler does. */
  const pumps = new Map<string, Array<() => void>>();
  const res: MultiResult = { samples: flows.map(() => []), completedAt: flows.map(() => null), senders: [], forward: fwd };
  flows.forEach((f, i) => {
    const start = f.startAt ?? 0;
    let path: SharedPath | undefined;
    if (f.path !== undefined) {
      path = paths.get(f.path) ?? new SharedPath(f.cc, maxDatagram, start);
      paths.set(f.path, path);
    }
    const sender = new SenderCore({ size: f.size, chunk, startOffset: 0, holdAt: null, cc: f.cc, controller: f.controller?.(maxDatagram), path, now: start, initialCredit: 1 << 30, maxDatagram });
    const receiver = new ReceiverCore({ size: f.size, startOffset: 0, window: 1 << 30, now: start });
    const rev = new Link(sim, { delayMs: cfg.ackDelayMs }, rng);
    res.senders.push(sender);
    let gen = 0;
    let ackTimerAt: number | null = null;
    const done = () => res.completedAt[i] !== null;
    const pump = () => {
      if (done()) return;
      for (const p of sender.poll(sim.now, 64)) fwd.send(p.len + DATA_OVERHEAD_BYTES, () => onData(p.pn, p.offset, p.len));
      const next = sender.nextWakeup(sim.now);
      const g = ++gen;
      if (next === null) return;
      sim.schedule(Math.max(Math.ceil(next / tick) * tick, sim.now), () => { if (g === gen) { sender.onTimer(sim.now); pump(); } });
    };
    const sendAck = () => {
      ackTimerAt = null;
      const wire = encodeAck({ transferId: 1, token: TOKEN, pn: 0 }, receiver.makeAck(sim.now));
      rev.send(wire.length, () => {
        const pkt = decodePacket(wire);
        if (pkt.type !== 'ack') throw new Error('expected an ACK');
        sender.onAck(pkt.ack, sim.now);
        if (sender.complete && !done()) res.completedAt[i] = sim.now;
        if (f.path !== undefined) for (const p of pumps.get(f.path)!) p(); else pump();
      });
    };
    const onData = (pn: number, offset: number, len: number) => {
      receiver.onData(pn, offset, len, sim.now);
      if (receiver.ackDue(sim.now)) { sendAck(); return; }
      const d = receiver.ackDeadline();
      if (d !== null && d !== ackTimerAt) { ackTimerAt = d; sim.schedule(d, () => { if (receiver.ackDue(sim.now)) sendAck(); }); }
    };
    const sample = () => {
      res.samples[i]!.push([sim.now, sender.ackedBytes]);
      if (!done()) sim.schedule(sim.now + sampleMs, sample);
    };
    sim.schedule(start, () => {
      if (f.path !== undefined) pumps.set(f.path, [...(pumps.get(f.path) ?? []), pump]);
      sample();
      pump();
    });
  });
  sim.run({ until: cfg.untilMs, stop: () => res.completedAt.every((c) => c !== null) });
  return res;
}

/** Each flow's rate (bytes/s) between two virtual times (all flows running). */
export function ratesBetween(r: MultiResult, from: number, to: number): number[] {
  const at = (s: Array<[number, number]>, t: number) => {
    let b = 0;
    for (const [ts, v] of s) { if (ts > t) break; b = v; }
    return b;
  };
  return r.samples.map((s) => ((at(s, to) - at(s, from)) * 1000) / (to - from));
}

export function jain(xs: readonly number[]): number {
  let s = 0, s2 = 0;
  for (const x of xs) { s += x; s2 += x * x; }
  return s2 === 0 ? 1 : (s * s) / (xs.length * s2);
}
