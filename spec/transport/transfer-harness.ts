// Drives a SenderCore and a ReceiverCore against each other over the simulated network, the way the runtime
// will: poll the sender on its wakeups, deliver DATA to the receiver, send ACKs when due (through the real
// ACK codec), and check the transport's invariants at every send.
import type { CongestionControlName } from '../../machines/transport/api.js';
import { DATA_OVERHEAD_BYTES, decodePacket, encodeAck } from '../../machines/transport/packet-codec.js';
import { ReceiverCore } from '../../machines/transport/receiver-core.js';
import { SenderCore, type OutgoingPacket } from '../../machines/transport/sender-core.js';
import { EventQueue, Link, type LinkConfig, mulberry32 } from './sim-network.js';

export interface TransferConfig {
  size: number;
  cc: CongestionControlName;
  forward: LinkConfig;
  reverse: LinkConfig;
  seed?: number;
  chunk?: number;
  startOffset?: number;
  /** Receiver window (bytes beyond its contiguous prefix it will accept). */
  window?: number;
  holdAt?: number | null;
  /** The "user" answers yes this long after the sender reached the hold point. */
  consentDelayMs?: number;
  /** Round timer wakeups up to this grid (the runtime's ~1 ms tick); 0 = exact. */
  tickMs?: number;
  /** Packets per poll. */
  batch?: number;
  deadlineMs?: number;
}

export interface TransferResult {
  /** Virtual time at which the sender saw every byte acknowledged, or null if it never did. */
  completedAt: number | null;
  /** When the sender had half the file acknowledged (for steady-state goodput). */
  halfAt: number | null;
  heldCompleteAt: number | null;
  violations: string[];
  sender: SenderCore;
  receiver: ReceiverCore;
  forward: Link;
  reverse: Link;
  events: number;
  /** Largest bytes-in-flight / cwnd ratio seen after a send that was not a probe. */
  maxWindowUse: number;
}

const TOKEN = Buffer.alloc(8, 7);

export function runTransfer(cfg: TransferConfig): TransferResult {
  const chunk = cfg.chunk ?? 1200;
  const maxDatagram = chunk + DATA_OVERHEAD_BYTES;
  const window = cfg.window ?? 1 << 20;
  const startOffset = cfg.startOffset ?? 0;
  const holdAt = cfg.holdAt ?? null;
  const tick = cfg.tickMs ?? 0;
  const batch = cfg.batch ?? 16;
  const sim = new EventQueue();
  const rng = mulberry32(cfg.seed ?? 1);
  const fwd = new Link(sim, cfg.forward, rng);
  const rev = new Link(sim, cfg.reverse, rng);
  const sender = new SenderCore({ size: cfg.size, chunk, startOffset, holdAt, cc: cfg.cc, now: 0, initialCredit: startOffset + window, maxDatagram });
  const receiver = new ReceiverCore({ size: cfg.size, startOffset, window, now: 0 });
  const violations: string[] = [];
  const r: TransferResult = { completedAt: null, halfAt: null, heldCompleteAt: null, violations, sender, receiver, forward: fwd, reverse: rev, events: 0, maxWindowUse: 0 };
  let creditGranted = startOffset + window;
  let allowed = holdAt === null;
  let wakeGen = 0;
  let ackTimerAt: number | null = null;
  let pn = 0;

  const violate = (msg: string): void => { if (violations.length < 20) violations.push(`t=${sim.now.toFixed(3)}: ${msg}`); };

  function check(batchOut: readonly OutgoingPacket[]): void {
    for (const p of batchOut) {
      if (p.pn < pn) violate(`packet number ${p.pn} reused`);
      pn = p.pn + 1;
      if (p.offset + p.len > creditGranted) violate(`sent [${p.offset},${p.offset + p.len}) beyond credit ${creditGranted}`);
      if (!allowed && holdAt !== null && p.offset + p.len > holdAt) violate(`sent [${p.offset},${p.offset + p.len}) past hold ${holdAt} before allowAll`);
      if (p.len <= 0 || p.len > chunk || p.offset < startOffset || p.offset + p.len > cfg.size) violate(`bad segment ${p.offset}+${p.len}`);
    }
    // Probes come first in a batch and may exceed the window (RFC 9002 §7.5); anything after them may not.
    if (batchOut.some((p) => !p.probe)) {
      const s = sender.stats();
      r.maxWindowUse = Math.max(r.maxWindowUse, s.bytesInFlight / s.cwnd);
      if (s.bytesInFlight > s.cwnd) violate(`bytes in flight ${s.bytesInFlight} > cwnd ${s.cwnd}`);
    }
  }

  function pump(): void {
    const out = sender.poll(sim.now, batch);
    check(out);
    for (const p of out) fwd.send(p.len + DATA_OVERHEAD_BYTES, () => onData(p));
    scheduleWakeup();
  }

  function scheduleWakeup(): void {
    const next = sender.nextWakeup(sim.now);
    const gen = ++wakeGen;
    if (next === null) return;
    const at = tick > 0 ? Math.ceil(next / tick) * tick : next;
    sim.schedule(Math.max(at, sim.now), () => {
      if (gen !== wakeGen) return; // superseded by a later schedule
      sender.onTimer(sim.now);
      pump();
    });
  }

  function onData(p: OutgoingPacket): void {
    receiver.onData(p.pn, p.offset, p.len, sim.now);
    if (receiver.ackDue(sim.now)) { sendAck(); return; }
    const deadline = receiver.ackDeadline();
    if (deadline !== null && ackTimerAt !== deadline) {
      ackTimerAt = deadline;
      sim.schedule(deadline, () => { if (receiver.ackDue(sim.now)) sendAck(); });
    }
  }

  function sendAck(): void {
    const ack = receiver.makeAck(sim.now);
    ackTimerAt = null;
    creditGranted = Math.max(creditGranted, ack.maxData);
    const wire = encodeAck({ transferId: 1, token: TOKEN, pn: 0 }, ack);
    rev.send(wire.length, () => {
      const pkt = decodePacket(wire);
      if (pkt.type !== 'ack') throw new Error('expected an ACK');
      sender.onAck(pkt.ack, sim.now);
      afterAck();
      pump();
    });
  }

  function afterAck(): void {
    if (r.halfAt === null && sender.ackedBytes >= cfg.size / 2) r.halfAt = sim.now;
    if (sender.complete && r.completedAt === null) r.completedAt = sim.now;
    if (!allowed && sender.heldComplete && r.heldCompleteAt === null) {
      r.heldCompleteAt = sim.now;
      sim.schedule(sim.now + (cfg.consentDelayMs ?? 50), () => { allowed = true; sender.allowAll(); pump(); });
    }
  }

  sim.schedule(0, pump);
  sim.run({ until: cfg.deadlineMs ?? 120_000, stop: () => r.completedAt !== null });
  r.events = sim.processed;
  return r;
}

/** Goodput in bytes per second between two virtual times. */
export function goodput(bytes: number, fromMs: number, toMs: number): number {
  return (bytes * 1000) / (toMs - fromMs);
}
