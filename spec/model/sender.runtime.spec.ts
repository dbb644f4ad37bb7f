// The sender's model paths (spec/model/sender-model.ts, xstate/graph) run against the REAL server: a MessengerServer
// on port 0 whose transfers run on a WarpClock, a one-port UDP pool, a real shared file in a temp folder. The peer is
// a scripted client written here: a raw TCP socket speaking NDJSON (hello, get, consent, stop) and a raw UDP socket
// sending HELLO / ACK / CLOSE datagrams made with the real packet codec and reading the DATA datagrams. It decides
// which packets it acknowledges and when; it is the peer, not the thing under test.
//
// Every model event is a real stimulus: `hello` a HELLO datagram; the flag effects ACK datagrams (none while time
// passes fills the congestion window; acknowledging the oldest packets opens it; an ACK that leaves out a packet and
// acknowledges the three after it is a loss by the packet threshold, which starts a recovery; acknowledging packets
// sent after the loss ends it; acknowledging every byte before the halfway point holds; every byte completes); a
// `tick` is `clock.advance` letting the scheduler's own timer run (past `silentMs` for the silent client); `consent`
// the TCP consent frame; `stop` the TCP stop frame (before HELLO) or a CLOSE datagram; `cancel` the TCP connection
// ending (the session's end cancels its downloads), or `server.stop()`; `fail` the shared file truncated under the
// transfer (the read comes back short: `file-changed`); the consent deadline `clock.advance(consentTimeoutMs)`;
// `path.closed` happens by itself after `finishing`.
//
// The WarpClock here stands on a frozen base clock: the server's time moves only when the test advances it. At real
// speed the pacer would release packets on its own between two steps and fill the window by itself.
//
// After each step: the real actor's state equals the model's, and what the peer saw holds the invariants (no DATA
// beyond the credit it granted, nor past the halfway point before it said yes; `ask` at the halfway point; `complete`
// only once every byte is acknowledged, with the file's sha256 and last byte; `stopped` / `error` at those endings;
// the UDP port back in the pool at every ending).
import crypto from 'node:crypto';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { AnyActorRef, EventObject, InspectionEvent } from 'xstate';
import type { SenderContext } from '../../machines/sender.machine.js';
import {
  DATA_OVERHEAD_BYTES, decodePacket, encodeAck, encodeClose, encodeHello, type PacketHeader,
} from '../../machines/transport/packet-codec.js';
import type { SenderCore } from '../../machines/transport/sender-core.js';
import { TIMING } from '../../machines/timing.js';
import { systemClock, WarpClock, type Clock } from '../../runtime/clock.js';
import { makeLogger } from '../../runtime/logger.js';
import { MessengerServer } from '../../runtime/server.js';
import { nextUdpPorts } from '../helpers/ports.js';
import { inspector } from './coverage.js';
import { coveringPaths, describeEvent, edgePaths, stateText, transitionsOf, type ModelPath, type Snap } from './paths.js';
import { flagsIn, senderEvents, senderInput, senderKey, senderModel, SILENT_MS } from './sender-model.js';
import { until, Wire, type Frame } from './wire.js';

const CHUNK = 1000;
const SIZE = 200 * CHUNK;
/** The server asks at floor(SIZE * 0.5). */
const HALFWAY = SIZE / 2;
const CONSENT_MS = 5000;
const MAX_DATAGRAM = CHUNK + DATA_OVERHEAD_BYTES;

/** A clock that stands still: the WarpClock on it moves only by `advance`. */
function frozenBase(): Clock {
  const t = systemClock.now();
  return { now: () => t, setTimeout: systemClock.setTimeout, clearTimeout: systemClock.clearTimeout };
}

const label = (e: EventObject) => describeEvent(e);

/** Paths whose `fail` comes before the HELLO: the server reads the file only while sending, so nothing real fails a
 *  transfer in `offered` (the same root `fail` transition is taken from `sending` by other paths). */
const unrealizable = (p: ModelPath) => p.steps.some((s, i) => label(s.event) === 'fail' && (i === 0 || stateText(p.steps[i - 1]!.state) === 'offered'));

const allPaths = edgePaths({ machine: senderModel, input: senderInput, events: senderEvents, serializeState: senderKey });
const runtimePaths = coveringPaths(allPaths.filter((p) => !unrealizable(p)), (p) => transitionsOf(senderModel, senderInput, p));

interface Received { pn: number; offset: number; len: number; at: number }

/** One run: the server, its clock, the scripted client's two sockets, what it saw. */
class Run {
  readonly clock = new WarpClock(frozenBase());
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sender-rt-'));
  readonly content = crypto.randomBytes(SIZE);
  readonly file = path.join(this.dir, 'f.bin');
  server!: MessengerServer;
  wire!: Wire;
  udp!: dgram.Socket;
  actor: AnyActorRef | null = null;
  /** Every state the actor was in, in order (stateText), and the events it was sent, by type. */
  readonly states: string[] = [];
  readonly events = new Map<string, number>();
  /** The state each event type last left the actor in (the end of its macrostep). */
  readonly after = new Map<string, string>();
  offer!: Frame & { id: number; port: number; token: string; offset: number; halfway: number; sha256: string };
  readonly data: Received[] = [];
  readonly acked = new Set<number>();
  /** Packets the client treats as lost: never acknowledged. */
  readonly dropped = new Set<number>();
  /** The highest credit the client has granted (the server's initial credit until its first ACK). */
  granted = 0;
  consented = false;
  violations: string[] = [];
  private ackPn = 0;

  async start(resume: boolean): Promise<void> {
    fs.writeFileSync(this.file, this.content);
    const cov = inspector('sender', 'runtime');
    this.server = new MessengerServer({
      host: '127.0.0.1', port: 0, filesDir: this.dir, maxPerAddress: 0, maxConnections: 10, maxOutboxBytes: 1 << 20,
      tickMs: TIMING.sessionTickMs, log: makeLogger({ quiet: true }), clock: this.clock,
      transfers: { host: '127.0.0.1', ports: await nextUdpPorts(1), halfway: 0.5, chunk: CHUNK, cc: 'newreno', silentMs: SILENT_MS, consentTimeoutMs: CONSENT_MS, maxPerSession: 4 },
      inspect: (id) => (id.startsWith('transfer-') ? (ev: InspectionEvent) => this.observe(ev, cov) : undefined),
    });
    await this.server.start();
    // plain NDJSON and CRC datagrams (the server runs without TLS): the sender's paths do not depend on the seal
    this.wire = await Wire.connect(this.server.port, '127.0.0.1', false, false);
    this.wire.send({ type: 'hello', v: 1, name: `peer${process.pid % 1000}` });
    await this.frame('welcome');
    this.udp = dgram.createSocket('udp4');
    this.udp.on('message', (m) => this.onDatagram(m));
    await new Promise<void>((r) => this.udp.bind(0, '127.0.0.1', () => r()));
    const sha256 = crypto.createHash('sha256').update(this.content).digest('hex');
    // resumed from the halfway point, the download has no question (the point is behind the offset)
    this.wire.send(resume ? { type: 'get', file: 'f.bin', offset: HALFWAY, sha256 } : { type: 'get', file: 'f.bin' });
    this.offer = await this.frame('offer') as Run['offer'];
    expect(this.offer.sha256).to.equal(sha256);
    expect(this.offer.halfway, 'the halfway point').to.equal(resume ? 0 : HALFWAY);
    expect(await until(() => this.actor !== null, 2000), 'the transfer actor').to.equal(true);
    this.granted = this.offer.offset + 64 * MAX_DATAGRAM;
  }

  private observe(ev: InspectionEvent, cov: (ev: InspectionEvent) => void): void {
    cov(ev);
    this.actor ??= ev.actorRef as AnyActorRef;
    if (ev.type === '@xstate.event' && ev.actorRef === this.actor) this.events.set(ev.event.type, (this.events.get(ev.event.type) ?? 0) + 1);
    if ((ev.type === '@xstate.snapshot' || ev.type === '@xstate.microstep') && ev.actorRef === this.actor) {
      const s = stateText(ev.snapshot as Snap);
      if (this.states.at(-1) !== s) this.states.push(s);
      if (ev.type === '@xstate.snapshot') this.after.set(ev.event.type, s);
    }
  }

  private onDatagram(m: Buffer): void {
    const p = decodePacket(m);
    if (p.type !== 'data') return;
    const end = p.offset + p.payload.length;
    if (end > this.granted) this.violations.push(`DATA ${p.pn} ends at ${end}, beyond the credit ${this.granted}`);
    if (!this.consented && this.offer.halfway > 0 && end > this.offer.halfway) this.violations.push(`DATA ${p.pn} ends at ${end}, past the halfway point before consent`);
    if (!p.payload.equals(this.content.subarray(p.offset, end))) this.violations.push(`DATA ${p.pn} is not the file's bytes`);
    this.data.push({ pn: p.pn, offset: p.offset, len: p.payload.length, at: this.clock.now() });
  }

  // ---------------------------------------------------------------------------------------------- what the client does

  get core(): SenderCore { return (this.actor!.getSnapshot().context as SenderContext).core as SenderCore; }
  get state(): string { return stateText(this.actor!.getSnapshot() as Snap); }
  get done(): boolean { return this.actor!.getSnapshot().status !== 'active'; }
  count(type: string): number { return this.events.get(type) ?? 0; }

  private header(): PacketHeader { return { transferId: this.offer.id, token: Buffer.from(this.offer.token, 'hex'), pn: this.ackPn++ }; }
  private sendUdp(b: Buffer): void { this.udp.send(b, this.offer.port, '127.0.0.1'); }

  async hello(): Promise<void> {
    const n = this.count('hello');
    this.sendUdp(encodeHello(this.header(), this.offer.offset, 64 * MAX_DATAGRAM));
    await this.settled(() => this.count('hello') > n, 'the HELLO reached the sender');
  }

  /** Packets received and neither acknowledged nor dropped, oldest first. */
  outstanding(): Received[] { return this.data.filter((d) => !this.acked.has(d.pn) && !this.dropped.has(d.pn)).sort((a, b) => a.pn - b.pn); }

  /** Acknowledges these packets (with every one acknowledged before: ACK ranges are cumulative). */
  async ack(pns: number[]): Promise<void> {
    for (const pn of pns) this.acked.add(pn);
    const all = [...this.acked].sort((a, b) => b - a);
    const ranges: Array<[number, number]> = [];
    for (const pn of all) {
      const last = ranges.at(-1);
      if (last && last[1] === pn + 1) last[1] = pn; else ranges.push([pn, pn]);
    }
    // contiguous: the bytes held from 0 (the resume offset, then what the acknowledged packets carried)
    const held = this.data.filter((d) => this.acked.has(d.pn)).map((d) => [d.offset, d.offset + d.len] as const).sort((a, b) => a[0] - b[0]);
    let contiguous = this.offer.offset;
    for (const [a, b] of held) if (a <= contiguous) contiguous = Math.max(contiguous, b);
    this.granted = Math.max(this.granted, SIZE);
    const before = this.done ? 0 : this.core.stats().acksReceived;
    this.sendUdp(encodeAck(this.header(), { ranges, ackDelayMs: 0, maxData: SIZE, contiguous }));
    await this.settled(() => this.done || this.core.stats().acksReceived > before, 'the ACK reached the sender');
  }

  /** Moves the server's time forward and lets the turns it caused run. */
  async advance(ms: number): Promise<void> {
    this.clock.advance(ms);
    await this.settled(() => true, '');
  }

  /** Waits (socket I/O, at most 2 s) for `cond`, then for the scheduler turn a packet kicked. */
  async settled(cond: () => boolean, what: string): Promise<void> {
    expect(await until(cond, 2000), what).to.equal(true);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
  }

  async frame(type: string, since = 0): Promise<Frame> {
    const ok = await until(() => this.wire.frames.slice(since).some((f) => f.type === type), 2000);
    expect(ok, `a ${type} frame (saw ${this.wire.tags().join(', ')})`).to.equal(true);
    return this.wire.frames.slice(since).find((f) => f.type === type)!;
  }

  async close(): Promise<void> {
    this.wire?.destroy();
    await this.server?.stop();
    this.clock.advance(TIMING.shutdownGraceMs);
    await new Promise<void>((r) => (this.udp ? this.udp.close(() => r()) : r()));
    this.clock.dispose();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------------------------------------ the stimuli

/** Sends the pacer's packets by letting time pass, a few ms at a time, until the congestion window is full. */
async function fillWindow(r: Run): Promise<void> {
  for (let i = 0; i < 100 && !r.core.windowFull; i++) await r.advance(4);
  expect(r.core.windowFull, 'time passing filled the window').to.equal(true);
}

/** Acknowledges the oldest outstanding packets one at a time until the sender's last poll was not window-limited. */
async function openWindow(r: Run, keepRecovery: boolean): Promise<void> {
  for (let i = 0; i < 200 && r.core.windowFull; i++) {
    const next = r.outstanding()[0];
    if (!next) { await r.advance(1); continue; }
    await r.ack([next.pn]);
    if (keepRecovery) expect(r.core.recovering, 'still recovering').to.equal(true);
  }
  expect(r.core.windowFull, 'ACKs opened the window').to.equal(false);
}

/** Leaves out the oldest outstanding packet and acknowledges the three after it: a loss by the packet threshold. */
async function loss(r: Run): Promise<void> {
  for (let i = 0; i < 100 && r.outstanding().length < 4; i++) await r.advance(4);
  const [lost, ...rest] = r.outstanding();
  r.dropped.add(lost!.pn);
  await r.ack(rest.slice(0, 3).map((d) => d.pn));
  expect(r.core.recovering, 'the loss started a recovery').to.equal(true);
}

/** Acknowledges everything outstanding, letting time pass between ACKs, until `goal` holds. */
async function ackUntil(r: Run, goal: () => boolean, what: string, step = 4): Promise<void> {
  for (let i = 0; i < 1000 && !goal() && !r.done; i++) {
    const out = r.outstanding();
    if (out.length) await r.ack(out.map((d) => d.pn));
    else await r.advance(step);
  }
  expect(goal(), what).to.equal(true);
}

/** Brings the window flag to what the model's next state needs (in sending). */
async function windowTo(r: Run, full: boolean, keepRecovery: boolean): Promise<void> {
  if (full && !r.core.windowFull) await fillWindow(r);
  if (!full && r.core.windowFull) await openWindow(r, keepRecovery);
}

/** One model step, made real. `to` is the model's snapshot after it. */
async function stimulus(r: Run, ev: string, from: string, to: Snap): Promise<void> {
  const target = flagsIn(to);
  const sending = from.startsWith('sending');
  const tick = async () => {
    const n = r.count('tick');
    for (let i = 0; i < 100 && r.count('tick') === n; i++) await r.advance(TIMING.senderHousekeepingMs / 5);
  };
  // while paused, an ACK still reaches the core and kicks a scheduler turn: the model's tick
  const lateAck = async () => {
    const n = r.count('tick');
    await r.ack(r.outstanding().map((d) => d.pn));
    await r.settled(() => r.count('tick') > n, 'the turn the ACK kicked');
  };
  if (r.done) { if (ev.startsWith('tick') || ev.startsWith('ack')) await r.advance(10); return; }
  if (from === 'finishing') return; // the port closes on its own; what reaches `finishing` is armed by the step before
  switch (ev) {
    case 'hello': await r.hello(); break;
    case 'stop':
      if (from === 'offered') r.wire.send({ type: 'stop', id: r.offer.id });
      else r.udp.send(encodeClose({ transferId: r.offer.id, token: Buffer.from(r.offer.token, 'hex'), pn: 1 << 20 }, 0, 'stop'), r.offer.port, '127.0.0.1');
      break;
    case 'cancel': r.wire.destroy(); break;
    case 'consent(yes)': case 'consent(no)': {
      const answer = ev === 'consent(yes)' ? 'yes' : 'no';
      if (from === 'pausedAwaitingConsent' && answer === 'yes') r.consented = true;
      const n = r.count('consent');
      const since = r.wire.frames.length;
      r.wire.send({ type: 'consent', id: r.offer.id, answer });
      if (from !== 'pausedAwaitingConsent') { await r.frame('error', since); break; }
      await r.settled(() => r.count('consent') > n, 'the consent reached the sender');
      // the consent's own macrostep ends in the model's state; the turn it kicks may fill the window at once, so
      // the window is then brought back to the model's flag with ACKs of the oldest packets
      expect(r.after.get('consent'), 'the state the consent left the sender in').to.equal(stateText(to));
      if (answer === 'yes') await windowTo(r, target.windowFull, target.recovering);
      break;
    }
    case 'fail':
      // the file shrinks under the transfer: the next read of it comes back short
      fs.truncateSync(r.file, 0);
      await ackUntil(r, () => r.done, 'a read of the shrunken file failed the transfer', 4);
      break;
    case 'after consentDeadline': r.clock.advance(CONSENT_MS); break;
    case 'tick(client silent)': await r.advance(SILENT_MS + TIMING.senderHousekeepingMs * 2); break;
    case 'tick(window fills)':
      if (sending) await fillWindow(r); else await tick();
      break;
    case 'ack(window opens)':
      if (sending) await openWindow(r, target.recovering); else if (from === 'offered') await tick(); else await lateAck();
      break;
    case 'ack(loss: recovery)':
      if (sending) { await loss(r); await windowTo(r, target.windowFull, true); } else if (from === 'offered') await tick(); else await lateAck();
      break;
    case 'ack(recovered)':
      if (sending) {
        await ackUntil(r, () => !r.core.recovering, 'ACKs of packets sent after the loss ended the recovery');
        await windowTo(r, target.windowFull, false);
      } else if (from === 'offered') await tick(); else await lateAck();
      break;
    case 'ack(halfway acked)':
      if (sending) await ackUntil(r, () => r.core.heldComplete || r.done, 'every byte before the halfway point acknowledged');
      else if (from === 'offered') await tick(); else await lateAck();
      break;
    case 'ack(all acked)':
      if (sending) {
        await ackUntil(r, () => r.done, 'every byte acknowledged');
      } else if (from === 'offered') await tick(); else await lateAck();
      break;
    default: throw new Error(`no stimulus for ${ev}`);
  }
}

// ------------------------------------------------------------------------------------------------ the checks

/** What the peer must have heard at an ending, by the event that led there. */
const LAST_WORD: Record<string, Record<string, unknown>> = {
  stop: { type: 'stopped', reason: 'cancelled by the client' },
  'consent(no)': { type: 'stopped', reason: 'declined' },
  'after consentDeadline': { type: 'stopped', reason: 'consent-timeout' },
  fail: { type: 'error', code: 'file-changed' },
  'tick(client silent)': { type: 'error', code: 'transfer-failed', message: 'download failed: the client went silent' },
};

async function checkEnding(r: Run, state: string, cause: string): Promise<void> {
  expect(r.violations, 'what the client saw').to.deep.equal([]);
  if (!['finished', 'stopped', 'cancelled', 'failed'].includes(state)) return;
  const pool = r.server.transfers.pool;
  expect(await until(() => pool.available === pool.size, 2000), `the UDP port back in the pool (${state})`).to.equal(true);
  expect(r.server.transfers.stats, 'the ending counted').to.include({ [state]: 1 });
  const last = () => r.wire.frames.filter((f) => f.id === r.offer.id && ['complete', 'stopped', 'error'].includes(String(f.type)));
  if (state === 'finished') {
    // every byte acknowledged, as the client itself counts what it acknowledged
    const held = r.data.filter((d) => r.acked.has(d.pn)).sort((a, b) => a.offset - b.offset);
    let contiguous = r.offer.offset;
    for (const d of held) if (d.offset <= contiguous) contiguous = Math.max(contiguous, d.offset + d.len);
    expect(contiguous, 'the client acknowledged every byte').to.equal(SIZE);
    const f = await r.frame('complete');
    expect(f).to.include({ sha256: r.offer.sha256, lastByte: r.content[SIZE - 1], size: SIZE });
  } else if (state === 'cancelled') {
    expect(last(), 'no last word to a client that left').to.deep.equal([]);
  } else {
    const want = LAST_WORD[cause];
    expect(want, `an ending in ${state} after ${cause}`).to.not.equal(undefined);
    const f = await r.frame(String(want!.type));
    expect(f).to.include({ id: r.offer.id, ...want });
    if (state === 'stopped') expect(f.received, 'received: the acknowledged bytes').to.equal(r.core.ackedBytes);
  }
  expect(last().length, 'one last word at most').to.be.at.most(1);
}

async function runPath(p: ModelPath): Promise<void> {
  const r = new Run();
  try {
    const labels = p.steps.map((s) => label(s.event));
    await r.start(!labels.includes('ack(halfway acked)'));
    expect(r.state).to.equal('offered');
    let from = 'offered';
    for (const [i, step] of p.steps.entries()) {
      const ev = labels[i]!;
      const want = stateText(step.state);
      const mark = r.states.length;
      await stimulus(r, ev, from, step.state);
      const where = `step ${i + 1} (${ev}): ${p.name}`;
      if (want === 'finishing' || from === 'finishing') {
        // `finishing` lasts until the socket's close callback: the actor was in it, then (unless the path ends there)
        expect(await until(() => r.states.includes('finishing'), 2000), `${where}: went through finishing`).to.equal(true);
        if (from === 'finishing') expect(await until(() => r.state === 'finished', 2000), `${where}: finished`).to.equal(true);
      } else {
        expect(await until(() => r.state === want, 2000), `${where}: the real sender is in ${r.state} (went through ${r.states.slice(mark).join(' > ')})`).to.equal(true);
      }
      if (want === 'pausedAwaitingConsent' && from !== want) {
        const ask = await r.frame('ask');
        expect(ask).to.include({ id: r.offer.id, received: HALFWAY, size: SIZE });
      }
      await checkEnding(r, r.state, ev);
      from = want;
    }
  } finally {
    await r.close();
  }
}

describe(`model: the sender's covering paths against the real server and a scripted client (${runtimePaths.length} paths)`, function () {
  this.timeout(30000);
  for (const p of runtimePaths) it(`real: ${p.name}`, () => runPath(p));
});
