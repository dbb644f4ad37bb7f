// Model-based runs of the receiver machine (machines/receiver.machine.ts) against the REAL client runtime.
//
// Paths come from xstate/graph (spec/model/paths.ts): every edge of the receiver's model graph, for autoYes off and
// on, kept when each of its steps has a real stimulus (below), then, shortest first, the ones that take a transition
// no earlier kept path took. Each runs a real `ClientRuntime` (its real Downloads and receiver actor, real UDP and
// TCP sockets, real files in a temp downloads folder) on a WarpClock, facing a SCRIPTED SERVER written here: a raw
// TCP server speaking the NDJSON protocol (docs/PROTOCOL.md) and a raw UDP socket that sends DATA datagrams built
// with the real packet codec and reads the client's HELLO / ACK / CLOSE. The scripted server is the peer, not the
// thing under test: it sends exactly what the path says and nothing else.
//
// Model event -> real stimulus:
//   data                       a DATA datagram (the next 4 KiB of the file) from the scripted UDP socket
//   tick(...)                  clock.advance(...) until the runtime's own download tick passes the guard's time
//   after connectTimeout/...   clock.advance(the delay): the actor's own delayed transition, on the injected clock
//   ask/complete/server.*      the `ask`, `complete`, `stopped`, `error` frame on TCP
//   answer / stop              rt.command('/yes' | '/no' | '/stop')
//   lost                       the scripted server destroys the TCP connection
//   io.error                   the downloads folder is a 1 MiB tmpfs filled to the last page, then a DATA datagram:
//                              its write fails with ENOSPC
//   verified / mismatch        nothing: the runtime hashes what arrived; the offer names the SHA-256 of the bytes
//                              sent (verified) or of other bytes (mismatch)
// A path whose step leaves `verifying` (stop, lost, server frames) sends that stimulus together with `complete`
// (same TCP write; the socket destroyed right after it; /stop as the actor enters verifying): hashing a few KiB
// takes less than one event-loop round trip.
//
// After every step: the real actor took the model's transitions for that step and the state right after that event
// is the model's; what the runtime emitted and put on the wire matches what the model's IO port recorded (consent
// and stop frames, consent / stopped / finished / error events exactly; HELLOs and progress at least as often: real
// time passes too). At the end: one ending, and the files it promises (the finished file's bytes, or the partial
// file and its metadata).
import crypto from 'node:crypto';
import dgram from 'node:dgram';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { createActor, type AnyActorRef, type AnyStateMachine, type AnyTransitionDefinition, type EventObject, type InspectionEvent } from 'xstate';
import type { ClientEvent } from '../../machines/client-events.js';
import { receiverMachine, type ReceiverContext } from '../../machines/receiver.machine.js';
import { TIMING } from '../../machines/timing.js';
import { DATA_HEADER_BYTES, DATA_OVERHEAD_BYTES, decodePacket, sealPacket, writeDataHeader, type Packet } from '../../machines/transport/packet-codec.js';
import { ClientRuntime } from '../../runtime/client-runtime.js';
import { WarpClock } from '../../runtime/clock.js';
import { PARTIAL_DIR } from '../../runtime/download-files.js';
import { transitionKeyOf } from '../../scripts/charts/walk.js';
import { inspector } from './coverage.js';
import { coveringPaths, edgePaths, stateText, transitionsOf, type ModelPath, type Snap } from './paths.js';
import { until, type Frame } from './wire.js';
import { ReceiverLog, receiverEvents, type Ev } from './receiver-model.js';


/** Payload bytes per DATA datagram: one page, so that each one needs a fresh page of the (full) disk. */
const CHUNK = 4096;
const FILE = 'f.bin';
const TRANSFER_ID = 7;

// ------------------------------------------------------------------------------------------------ the model

type Stimulus = 'datagram' | 'advance' | 'frame' | 'command' | 'destroy' | 'disk-full' | 'vanish' | 'none';

/** Mounting the tiny tmpfs for a full disk takes root; without it, the I/O error comes from the vanished file only. */
const ROOT = process.getuid?.() === 0;

/** The real stimulus for `label` in model state `state`, or null when the outside world cannot cause it there. */
function stimulusOf(state: string, ev: EventObject & { label?: string }): Stimulus | null {
  const flowing = ['connecting', 'receiving', 'resuming'].includes(state);
  const active = flowing || state === 'awaitingConsent' || state === 'stopping' || state === 'verifying';
  if (ev.type.startsWith('xstate.after.')) return 'advance';
  switch (ev.label) {
    case 'data': case 'complete': return flowing ? (ev.label === 'data' ? 'datagram' : 'frame') : null;
    case 'ask': return state === 'receiving' || state === 'resuming' ? 'frame' : null;
    // each tick where its guard belongs: in resuming a 30 s tick would meet the 15 s connect deadline first
    case 'tick(hello due)': return state === 'connecting' || state === 'resuming' ? 'advance' : null;
    case 'tick(never connected)': return state === 'connecting' ? 'advance' : null;
    case 'tick(server silent)': case 'tick(progress due)': return state === 'receiving' ? 'advance' : null;
    case 'answer(yes)': case 'answer(no)': return state === 'awaitingConsent' ? 'command' : null;
    case 'verified': case 'mismatch': return state === 'verifying' ? 'none' : null;
    case 'server stopped': case 'server error': return active ? 'frame' : null;
    case 'stop': return active ? 'command' : null;
    case 'lost': return active ? 'destroy' : null;
    // a write fails when a datagram arrives on a full disk; in verifying nothing is written any more, but the hash
    // fails when the partial file is gone
    case 'io error': return state === 'verifying' ? 'vanish' : active && ROOT ? 'disk-full' : null;
    default: return null;
  }
}

interface Variant { autoYes: boolean; input: () => { io: ReceiverLog; now: number; autoYes: boolean } }
interface Planned { variant: Variant; path: ModelPath }

const variants: Variant[] = [false, true].map((autoYes) => ({ autoYes, input: () => ({ io: new ReceiverLog(), now: 0, autoYes }) }));

/** The stimulus of each step. */
function stimuli(p: ModelPath): Array<Stimulus | null> {
  const src = sources(p);
  return p.steps.map((s, i) => stimulusOf(src[i]!, s.event));
}

/** Source state of each step (the state before it). */
function sources(p: ModelPath): string[] {
  return p.steps.map((_, i) => (i === 0 ? 'connecting' : stateText(p.steps[i - 1]!.state)));
}

const realizable = (p: ModelPath) => {
  const src = sources(p);
  return p.steps.every((s, i) => stimulusOf(src[i]!, s.event) !== null);
};

const planned: Planned[] = (() => {
  const all: Planned[] = [];
  for (const v of variants) {
    const paths = edgePaths({ machine: receiverMachine as AnyStateMachine, input: v.input, events: receiverEvents, serializeState: (s) => JSON.stringify(s.value) });
    for (const path of paths) if (realizable(path)) all.push({ variant: v, path });
  }
  // autoYes off first: its paths are the ones a person takes; autoYes on adds the answer given at once
  const keys = new Map<Planned, Set<string>>(all.map((p) => [p, transitionsOf(receiverMachine as AnyStateMachine, p.variant.input, p.path)]));
  const covering = coveringPaths(all.map((p) => p.path), (x) => keys.get(all.find((p) => p.path === x)!)!).map((x) => all.find((p) => p.path === x)!);
  // the hash failing is an I/O error of its own (another code path than a failed write): run it too
  const vanish = all.find((p) => p.path.name === 'complete -> verifying, io error -> failed');
  return vanish && !covering.includes(vanish) ? [...covering, vanish] : covering;
})();

/** Per step, the transitions the pure machine takes and the IO calls recorded so far. */
function modelRun(p: Planned): Array<{ keys: string[]; calls: string[]; state: Snap }> {
  const inp = p.variant.input();
  let keys: string[] = [];
  const actor = createActor(receiverMachine, {
    input: inp,
    inspect: (ev: InspectionEvent) => {
      if (ev.type === '@xstate.microstep') for (const t of ev._transitions as AnyTransitionDefinition[]) keys.push(transitionKeyOf(t));
    },
  });
  actor.start();
  const out = [];
  for (const s of p.path.steps) {
    keys = [];
    actor.send(s.event as never);
    out.push({ keys, calls: inp.io.calls.slice(), state: actor.getSnapshot() as Snap });
  }
  actor.stop();
  return out;
}

/** What the scripted server sends: how many DATA datagrams, the file, and the SHA-256 its offer names. */
function planFile(p: ModelPath): { content: Buffer; sha256: string } {
  const firstComplete = p.steps.findIndex((s) => s.event.type === 'complete');
  const dataBefore = (end: number) => p.steps.slice(0, end).filter((s) => s.event.type === 'data' || s.event.type === 'io.error').length;
  // a completed path sends the whole file in its data steps; any other path never reaches the end of it
  const chunks = firstComplete >= 0 ? dataBefore(firstComplete) : dataBefore(p.steps.length) + 2;
  const content = crypto.randomBytes(chunks * CHUNK);
  const mismatch = p.steps.some((s) => s.event.type === 'mismatch');
  const hashed = mismatch ? Buffer.concat([content, Buffer.from('not what was sent')]) : content;
  return { content, sha256: crypto.createHash('sha256').update(hashed).digest('hex') };
}

// ------------------------------------------------------------------------------------------------ the scripted server

/** The peer: NDJSON over TCP and the UDP datagrams of one download, exactly as the test says. */
class ScriptedServer {
  // plain NDJSON and CRC datagrams: the receiver's paths do not depend on the seal (spec/transfer/aead.spec.ts runs
  // downloads sealed with keys from a TLS session)
  readonly tcp = net.createServer();
  readonly udp = dgram.createSocket('udp4');
  conn: net.Socket | null = null;
  /** Frames the client sent, in order. */
  readonly frames: Frame[] = [];
  /** Datagrams the client sent, decoded. */
  readonly datagrams: Packet[] = [];
  client: { address: string; port: number } | null = null;
  offer: ((get: Frame) => Frame) | null = null;
  private pn = 0;

  async start(): Promise<void> {
    this.tcp.on('connection', (s) => {
      this.conn = s;
      s.setNoDelay(true);
      let buf = '';
      s.setEncoding('utf8');
      s.on('error', () => {});
      s.on('data', (d: string) => {
        buf += d;
        for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
          const f = JSON.parse(buf.slice(0, nl)) as Frame;
          buf = buf.slice(nl + 1);
          this.frames.push(f);
          this.onFrame(f);
        }
      });
    });
    this.udp.on('message', (m, r) => {
      const p = decodePacket(m);
      this.datagrams.push(p);
      if (p.type === 'hello') this.client = { address: r.address, port: r.port };
    });
    await new Promise<void>((r) => this.tcp.listen(0, '127.0.0.1', r));
    await new Promise<void>((r) => this.udp.bind(0, '127.0.0.1', r));
  }

  get port(): number { return (this.tcp.address() as net.AddressInfo).port; }
  get udpPort(): number { return this.udp.address().port; }

  private onFrame(f: Frame): void {
    if (f.type === 'hello') this.send({ type: 'welcome', v: 1, name: f.name, server: 'messenger', limits: { maxLine: 65536, maxText: 4000, ratePerSec: 20, burst: 40, idleMs: 60000 }, online: [f.name] });
    else if (f.type === 'get' && this.offer) this.send(this.offer(f));
    else if (f.type === 'bye') { this.send({ type: 'bye', reason: 'quit' }); this.conn?.end(); }
  }

  send(...frames: object[]): void { this.conn?.write(frames.map((f) => JSON.stringify(f) + '\n').join('')); }

  /** One DATA datagram, built as the server's transport builds it (header in place, payload after it, CRC). */
  sendData(token: Buffer, offset: number, payload: Buffer): void {
    const buf = Buffer.alloc(DATA_OVERHEAD_BYTES + payload.length);
    writeDataHeader(buf, { transferId: TRANSFER_ID, token, pn: this.pn++ }, offset, payload.length);
    payload.copy(buf, DATA_HEADER_BYTES);
    const len = sealPacket(buf, DATA_HEADER_BYTES + payload.length);
    this.udp.send(buf.subarray(0, len), this.client!.port, this.client!.address);
  }

  count(type: Packet['type']): number { return this.datagrams.filter((d) => d.type === type).length; }
  sent(type: string): Frame[] { return this.frames.filter((f) => f.type === type); }

  async close(): Promise<void> {
    this.conn?.destroy();
    this.udp.close();
    await new Promise<void>((r) => this.tcp.close(() => r()));
  }
}

// ------------------------------------------------------------------------------------------------ a tiny full disk

/** A 1 MiB tmpfs (mounted here, as root) for the paths whose disk fills up; null when it cannot be mounted. */
function mountTinyDisk(): string | null {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recv-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    fs.rmSync(dir, { recursive: true, force: true });
    return null;
  }
}

/** Writes a filler file until the disk refuses a single byte more. */
function fillDisk(dir: string): void {
  const fd = fs.openSync(path.join(dir, 'filler'), 'w');
  const block = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) {
      try { fs.writeSync(fd, block); } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOSPC') break;
        throw e;
      }
    }
  } finally { fs.closeSync(fd); }
}

// ------------------------------------------------------------------------------------------------ the runs

interface Macrostep { event: string; keys: string[]; state: string }

/** A real ClientRuntime on a WarpClock, online with a scripted server, one download of `content` offered under
 *  `sha256`; the download actor's macrosteps (event, transitions taken, resulting state) are logged. */
class Harness {
  readonly server = new ScriptedServer();
  readonly clock = new WarpClock();
  readonly token = crypto.randomBytes(8);
  readonly log: Macrostep[] = [];
  readonly events: ClientEvent[] = [];
  rt!: ClientRuntime;
  readonly part: string;
  private ref: AnyActorRef | null = null;

  constructor(readonly dir: string, readonly content: Buffer, readonly sha256: string, readonly autoYes: boolean) {
    this.part = path.join(dir, PARTIAL_DIR, `${FILE}.part`);
  }

  get actor(): AnyActorRef { return this.ref!; }

  /** Online, /get sent, the offer taken, the first HELLO in. */
  async open(): Promise<void> {
    await this.server.start();
    const cov = inspector('receiver', 'runtime');
    let pending: string[] = [];
    this.rt = new ClientRuntime({
      host: '127.0.0.1', port: this.server.port, name: 'alice', downloadsDir: this.dir, yes: this.autoYes, reconnect: false, clock: this.clock, tls: false,
      inspect: (id) => (id.startsWith('download-') ? (ev: InspectionEvent) => {
        cov(ev);
        this.ref = ev.actorRef as AnyActorRef;
        if (ev.type === '@xstate.microstep') for (const t of ev._transitions as AnyTransitionDefinition[]) pending.push(transitionKeyOf(t));
        if (ev.type === '@xstate.snapshot') { this.log.push({ event: ev.event.type, keys: pending, state: stateText(ev.snapshot as Snap) }); pending = []; }
      } : undefined),
    });
    this.rt.on('event', (e) => this.events.push(e));
    this.server.offer = (get) => ({
      type: 'offer', id: TRANSFER_ID, file: FILE, size: this.content.length, sha256: this.sha256, port: this.server.udpPort,
      token: this.token.toString('hex'), offset: 0, chunk: CHUNK, halfway: 0, resumed: false, ref: get.ref,
    });
    this.rt.start();
    expect(await until(() => this.rt.isOnline), 'online with the scripted server').to.equal(true);
    this.rt.command(`/get ${FILE}`);
    expect(await until(() => this.ref !== null && this.server.client !== null), 'the download started and said HELLO on UDP').to.equal(true);
    const hello = this.server.datagrams.find((d) => d.type === 'hello')!;
    expect([hello.transferId, hello.token.equals(this.token)], "HELLO carries the offer's id and token").to.deep.equal([TRANSFER_ID, true]);
  }

  /** This download's events of one type. */
  of<T extends ClientEvent['type']>(type: T): Array<Extract<ClientEvent, { type: T }>> {
    return this.events.filter((e) => e.type === type && (e as { id?: number }).id === TRANSFER_ID) as Array<Extract<ClientEvent, { type: T }>>;
  }

  async close(): Promise<void> {
    if (this.rt) {
      this.rt.removeAllListeners();
      await Promise.race([this.rt.quit(), until(() => false, 2000)]);
    }
    this.clock.dispose();
    await this.server.close();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

describe(`model: receiver paths against the real client runtime and a scripted server (${planned.length} paths)`, function () {
  this.timeout(20000);
  let tiny: string | null = null;
  let tmp = '';

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'recv-model-'));
    if (ROOT) tiny = mountTinyDisk();
  });
  after(() => {
    if (tiny) {
      try { execFileSync('umount', [tiny], { stdio: 'ignore' }); } catch { /* busy: left for the OS */ }
      fs.rmSync(tiny, { recursive: true, force: true });
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('every transition of the receiver is on a path the outside world can drive', () => {
    const taken = new Set<string>();
    for (const p of planned) for (const k of transitionsOf(receiverMachine as AnyStateMachine, p.variant.input, p.path)) taken.add(k);
    const all = new Set<string>();
    for (const v of variants) {
      for (const p of edgePaths({ machine: receiverMachine as AnyStateMachine, input: v.input, events: receiverEvents, serializeState: (s) => JSON.stringify(s.value) })) {
        for (const k of transitionsOf(receiverMachine as AnyStateMachine, v.input, p)) all.add(k);
      }
    }
    expect([...all].filter((k) => !taken.has(k)), 'transitions only unrealizable paths take').to.deep.equal([]);
  });

  for (const p of planned) {
    const diskFull = stimuli(p.path).includes('disk-full');
    it(`runtime (autoYes ${p.variant.autoYes}): ${p.path.name}`, async function () {
      if (diskFull && !tiny) this.skip(); // root, but no tmpfs could be mounted
      const model = modelRun(p);
      const { content, sha256 } = planFile(p.path);
      const h = new Harness(fs.mkdtempSync(path.join(diskFull ? tiny! : tmp, 'dl-')), content, sha256, p.variant.autoYes);
      const { server, clock, log, token, part } = h;
      let sentBytes = 0;
      /** The `received` of each ask frame sent. */
      const asked: number[] = [];
      let cursor = 0;
      let onVerifying: (() => void) | null = null;

      try {
        await h.open();
        h.actor.subscribe((s) => {
          if (onVerifying && (s as Snap).matches('verifying')) { const f = onVerifying; onVerifying = null; f(); }
        });
        const ctx = () => h.actor.getSnapshot().context as ReceiverContext;
        const src = sources(p.path);
        let preApplied = false;

        for (let i = 0; i < p.path.steps.length; i++) {
          const step = p.path.steps[i]!;
          const ev = step.event as Ev;
          const want = model[i]!;
          const label = ev.label ?? ev.type;
          const next = p.path.steps[i + 1]?.event as Ev | undefined;
          const stim = stimulusOf(src[i]!, ev)!;
          // ---- the stimulus
          if (preApplied) preApplied = false;
          else if (stim === 'datagram' || stim === 'disk-full') {
            if (stim === 'disk-full') fillDisk(tiny!);
            server.sendData(token, sentBytes, content.subarray(sentBytes, sentBytes + CHUNK));
            sentBytes += CHUNK;
          } else if (stim === 'advance') {
            cursor = log.length;
            if (ev.type === 'tick') {
              const at = (receiverEvents(h.actor.getSnapshot() as Snap).find((e) => e.label === label) as Ev & { now: number }).now;
              clock.advance(Math.max(0, at - clock.now()) + TIMING.downloadTickMs);
            } else {
              const c = ctx();
              clock.advance((ev.type.includes('connectTimeout') ? c.connectTimeoutMs : c.stopGraceMs) + 1);
            }
          } else if (stim === 'command') {
            h.rt.command(ev.type === 'stop' ? '/stop' : `/${(ev as Ev & { answer: string }).answer}`);
          } else if (stim === 'destroy') server.conn!.destroy();
          else if (stim === 'frame') {
            const frame = frameOf(ev, content, sentBytes, sha256);
            if (ev.type === 'ask') asked.push(sentBytes);
            const after = next && src[i + 1] === 'verifying' ? stimulusOf('verifying', next) : null;
            // the step after complete leaves verifying: it goes with complete, while the runtime still hashes
            if (ev.type === 'complete' && after && after !== 'none') {
              preApplied = true;
              if (after === 'frame') server.send(frame, frameOf(next!, content, sentBytes, sha256));
              else if (after === 'destroy') { server.send(frame); server.conn!.destroy(); }
              else if (after === 'vanish') { fs.rmSync(part); server.send(frame); }
              else { onVerifying = () => h.rt.command('/stop'); server.send(frame); }
            } else server.send(frame);
          }
          // ---- the real actor took the step's transitions, and is where the model is
          const msg = `after ${label} (step ${i + 1}, model: ${stateText(want.state)}; actor: ${JSON.stringify(log.slice(cursor))})`;
          let at = -1;
          const found = await until(() => {
            at = log.findIndex((m, j) => j >= cursor && m.event === ev.type && want.keys.every((k) => m.keys.includes(k)));
            return at >= 0;
          });
          expect(found, `the actor took ${want.keys.join(', ')} ${msg}`).to.equal(true);
          expect(log[at]!.state, `state ${msg}`).to.equal(stateText(want.state));
          cursor = at + 1;
          // ---- what the runtime emitted and sent matches the model's IO calls so far (checked after the next step
          // when that one went out with this one)
          if (!preApplied) await checkEffects(want.calls, want.state.matches('verifying'), msg);
        }
        // ---- the ending and its files
        const end = model.at(-1)!.state;
        if (end.matches('verifying')) {
          // the runtime finishes the hash by itself: the step taken in verifying did not change the outcome
          expect(await until(() => h.actor.getSnapshot().status === 'done'), 'the hash finished').to.equal(true);
          expect(h.actor.getSnapshot().value, 'the outcome stands').to.equal(p.path.steps.some((s) => s.event.type === 'mismatch') ? 'failed' : 'finished');
        }
        const final = h.actor.getSnapshot();
        if (final.status === 'done') {
          expect(await until(() => h.of('finished').length + h.of('stopped').length + h.of('error').length === 1), 'one ending reported').to.equal(true);
          if (final.value === 'finished') {
            const fin = h.of('finished')[0]!;
            expect(fs.readFileSync(fin.path).equals(content), 'the finished file holds the bytes sent').to.equal(true);
            expect(fs.existsSync(part), 'no partial file left').to.equal(false);
          } else {
            // (unless the path removed it: the hash of a vanished file is its I/O error)
            if (!stimuli(p.path).includes('vanish')) expect(fs.existsSync(part), 'the partial file is kept').to.equal(true);
            const meta = JSON.parse(fs.readFileSync(`${part}.json`, 'utf8')) as { received: number; sha256: string };
            expect(meta.sha256, 'its metadata names the offered file').to.equal(sha256);
            if (final.value !== 'failed') expect(meta.received, 'its metadata holds what the stopped event says').to.equal(h.of('stopped')[0]!.received);
          }
        }
      } finally {
        await h.close();
        if (diskFull) fs.rmSync(path.join(tiny!, 'filler'), { force: true });
      }

      async function checkEffects(calls: string[], verifying: boolean, msg: string): Promise<void> {
        const n = (prefix: string) => calls.filter((c) => c.startsWith(prefix)).length;
        const consents = calls.filter((c) => c.startsWith('consent:')).map((c) => c.slice(8));
        const kept = calls.filter((c) => c.startsWith('keepPartial:')).map((c) => c.slice(12));
        const failed = calls.filter((c) => c.startsWith('fail:')).map((c) => c.slice(5));
        const ok = () => server.count('hello') >= n('hello') && h.of('progress').length >= n('progress')
          && server.sent('consent').length === consents.length && server.sent('stop').length === n('stop')
          && h.of('consent').length === n('asked')
          && (verifying || (h.of('stopped').length === kept.length && h.of('error').length === failed.length && h.of('finished').length === n('finish')));
        await until(ok);
        expect(server.count('hello'), `HELLOs ${msg}`).to.be.at.least(n('hello'));
        expect(h.of('progress').length, `progress events ${msg}`).to.be.at.least(n('progress'));
        expect(server.sent('consent').map((f) => f.answer), `consent frames ${msg}`).to.deep.equal(consents);
        expect(server.sent('consent').every((f) => f.id === TRANSFER_ID), 'consent frames name the download').to.equal(true);
        expect(server.sent('stop').map((f) => f.id), `stop frames ${msg}`).to.deep.equal(Array(n('stop')).fill(TRANSFER_ID));
        expect(h.of('consent').map((e) => e.received), `consent events ${msg}`).to.deep.equal(asked.slice(0, n('asked')));
        if (verifying) return;
        expect(h.of('stopped').map((e) => e.reason), `stopped events ${msg}`).to.deep.equal(kept);
        expect(h.of('error').map((e) => e.code), `error events ${msg}`).to.deep.equal(failed);
        expect(h.of('finished').length, `finished events ${msg}`).to.equal(n('finish'));
      }
    });
  }

  // found by the full-disk runs: a write the disk takes only part of returns a short count, not an error
  it('a DATA datagram the disk holds only part of fails the download with io-error, and no ACK claims its bytes', async function () {
    if (!tiny) this.skip();
    const content = crypto.randomBytes(4 * CHUNK);
    const h = new Harness(fs.mkdtempSync(path.join(tiny!, 'dl-')), content, crypto.createHash('sha256').update(content).digest('hex'), false);
    const filler = path.join(tiny!, 'filler');
    try {
      await h.open();
      fillDisk(tiny!);
      fs.truncateSync(filler, fs.statSync(filler).size - CHUNK); // one page free
      h.server.sendData(h.token, 0, content.subarray(0, 3 * CHUNK));
      expect(await until(() => h.actor.getSnapshot().status === 'done'), 'the download ended').to.equal(true);
      expect(h.actor.getSnapshot().value, 'the download failed').to.equal('failed');
      expect(h.of('error').map((e) => e.code), 'error events').to.deep.equal(['io-error']);
      const acked = h.server.datagrams.flatMap((d) => (d.type === 'ack' ? [d.ack.contiguous] : []));
      expect(acked.filter((c) => c > CHUNK), 'ACKs claiming bytes past the one page on disk').to.deep.equal([]);
    } finally {
      await h.close();
      fs.rmSync(filler, { force: true });
    }
  });
});

/** The TCP frame for a model event, as the server would send it for this download. */
function frameOf(ev: Ev, content: Buffer, received: number, sha256: string): Frame {
  const e = ev as Ev & { reason?: string; code?: string; message?: string };
  const size = content.length;
  switch (ev.type) {
    case 'ask': return { type: 'ask', id: TRANSFER_ID, file: FILE, received, size };
    case 'complete': return size ? { type: 'complete', id: TRANSFER_ID, file: FILE, size, sha256, lastByte: content[size - 1] } : { type: 'complete', id: TRANSFER_ID, file: FILE, size, sha256 };
    case 'server.stopped': return { type: 'stopped', id: TRANSFER_ID, file: FILE, received, reason: e.reason! };
    case 'server.error': return { type: 'error', code: e.code!, message: e.message!, id: TRANSFER_ID, file: FILE };
    default: throw new Error(`no frame for ${ev.type}`);
  }
}
