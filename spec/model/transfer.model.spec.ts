// Model-based tests of the transfer machines: sender (machines/sender.machine.ts) and receiver
// (machines/receiver.machine.ts).
// 1. Pure paths (xstate/graph): the sender's guards read its transport core, so the model gives it a fake core held
//    in its context whose flags (window full, recovering, halfway held, complete) the generated ticks toggle (the
//    runtime applies ACKs to the core in plain code; the actor reads the flags on its next event); the receiver runs
//    as is. Both with recording IO ports and invariants in every state.
// 2. The real SenderCore (machines/transport/sender-core.ts) under the real sender machine, against an in-memory
//    receiver (the real ReceiverCore) over a lossy, credit-limited link: every poll() result is checked against the
//    congestion window and the receiver credit, the halfway hold, and a finished file's bytes (last byte included).
// 3. End to end: MessengerServer's transfers host and a ClientRuntime's downloads over real UDP (a 16-port pool from the port allocator):
//    finished, declined, stopped, interrupted; each ending gives the UDP port back to the pool. The sender's and the
//    receiver's own runtime runs (their model paths against the real server and client) are in sender.runtime.spec.ts
//    and receiver.runtime.spec.ts.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { createActor, type AnyStateMachine } from 'xstate';
import type { ClientEvent } from '../../machines/client-events.js';
import { receiverMachine } from '../../machines/receiver.machine.js';
import { senderMachine, type SenderIO } from '../../machines/sender.machine.js';
import type { AckInfo, OutgoingData } from '../../machines/transport/api.js';
import { DATA_OVERHEAD_BYTES } from '../../machines/transport/packet-codec.js';
import { ReceiverCore } from '../../machines/transport/receiver-core.js';
import { SenderCore, type OutgoingPacket } from '../../machines/transport/sender-core.js';
import { ClientRuntime } from '../../runtime/client-runtime.js';
import { makeLogger } from '../../runtime/logger.js';
import { MessengerServer } from '../../runtime/server.js';
import { nextUdpPorts } from '../helpers/ports.js';
import { inspector } from './coverage.js';
import { checkSender, senderCovering, senderInput, senderModel, senderPaths, type SenderLog } from './sender-model.js';
import { coveringPaths, edgePaths, stateText, transitionsOf, type ModelPath, type Snap } from './paths.js';
import { ReceiverLog, receiverEvents } from './receiver-model.js';
import { until } from './wire.js';
import { TEST_IDENTITY } from '../helpers/tls.js';

// ------------------------------------------------------------------------------------------------ receiver, pure

const receiverKey = (s: Snap) => JSON.stringify(s.value);

function checkReceiver(s: Snap, io: ReceiverLog): void {
  const where = `in ${stateText(s)}`;
  const count = (p: string) => io.calls.filter((c) => c.startsWith(p)).length;
  const endings = count('finish') + count('keepPartial') + count('fail:');
  if (s.status === 'done') expect(endings, `exactly one ending reported ${where}`).to.equal(1);
  else expect(endings, `no ending yet ${where}`).to.equal(0);
  if (s.matches('finished')) expect(io.calls.slice(-2), 'verified, then finished').to.deep.equal(['verify', 'finish']);
  if (s.matches('stopped') || s.matches('interrupted')) expect(io.calls.at(-1), `kept the partial file ${where}`).to.match(/^keepPartial/);
  if (s.matches('stopping')) expect(io.calls.some((c) => c === 'stop' || c === 'consent:no'), `told the server ${where}`).to.equal(true);
  if (s.matches('awaitingConsent')) expect(io.calls.includes('asked'), `asked the user ${where}`).to.equal(true);
  if (s.matches('verifying')) expect(io.calls.at(-1), `verifying ${where}`).to.equal('verify');
}

function runPure<T extends { calls: string[] }>(m: AnyStateMachine, name: 'sender' | 'receiver', input: () => { io: T }, check: (s: Snap, io: T) => void, p: ModelPath): void {
  const inp = input();
  const actor = createActor(m, { input: inp, inspect: inspector(name, 'model') });
  actor.start();
  check(actor.getSnapshot(), inp.io);
  for (const step of p.steps) {
    actor.send(step.event);
    expect(actor.getSnapshot().value, p.name).to.deep.equal(step.state.value);
    check(actor.getSnapshot(), inp.io);
  }
  actor.stop();
}

const receiverVariants = [false, true].map((autoYes) => {
  const input = () => ({ io: new ReceiverLog(), now: 0, autoYes });
  const all = edgePaths({ machine: receiverMachine as AnyStateMachine, input, events: receiverEvents, serializeState: receiverKey });
  return { autoYes, input, all, covering: coveringPaths(all, (p) => transitionsOf(receiverMachine as AnyStateMachine, input, p)) };
});

// ------------------------------------------------------------------------------------------------ real SenderCore

const flagsOf = (c: SenderCore) => `${c.complete}${c.heldComplete}${c.windowFull}${c.recovering}`;

interface SimResult { outcome: string; bytes: Buffer; states: Set<string>; polls: number }

/** The real sender machine and SenderCore against an in-memory receiver over a link that drops some packets. */
function simulate(o: { size: number; chunk: number; window: number; holdAt: number | null; answer?: 'yes' | 'no'; drop: (pn: number) => boolean; cc?: 'bbr' | 'cubic' | 'newreno' }): SimResult {
  const file = crypto.randomBytes(o.size);
  const got = Buffer.alloc(o.size);
  const maxDatagram = o.chunk + DATA_OVERHEAD_BYTES;
  let now = 0;
  const core = new SenderCore({ size: o.size, chunk: o.chunk, startOffset: 0, holdAt: o.holdAt, cc: o.cc ?? 'bbr', now, initialCredit: o.window, maxDatagram });
  const rc = new ReceiverCore({ size: o.size, startOffset: 0, window: o.window, now });
  const inFlight: Array<{ at: number; p: OutgoingData }> = [];
  const acks: Array<{ at: number; ack: AckInfo }> = [];
  const states = new Set<string>();
  let allowed = o.holdAt === null;
  let polls = 0;
  let pathClosing = false;
  let heardAt: number | undefined;
  const io: SenderIO = {
    transmit: (packets) => {
      for (const p of packets as OutgoingPacket[]) {
        // the invariants: inside the receiver credit, never past the hold point before consent
        expect(p.offset + p.len, `packet ${p.pn} within the receiver credit`).to.be.at.most(core.knownCredit);
        if (!allowed) expect(p.offset + p.len, `packet ${p.pn} before the halfway point`).to.be.at.most(o.holdAt!);
        if (!p.probe) expect(core.bytesInFlight, `bytes in flight within cwnd after packet ${p.pn}`).to.be.at.most(core.cwnd + maxDatagram);
        if (!o.drop(p.pn)) inFlight.push({ at: now + 5, p });
      }
    },
    ask: () => { sender.send({ type: 'consent', answer: o.answer ?? 'yes' }); },
    closePath: () => { pathClosing = true; },
    complete: () => {},
    stopped: () => {},
    failed: () => {},
  };
  const cov = inspector('sender', 'model');
  const sender = createActor(senderMachine, {
    input: { io, core, now, silentMs: 60000, burst: 16 },
    inspect: (ev) => { cov(ev); if (ev.type === '@xstate.snapshot' || ev.type === '@xstate.microstep') states.add(JSON.stringify((ev.snapshot as Snap).value)); },
  });
  const origAllow = core.allowAll.bind(core);
  core.allowAll = () => { allowed = true; origAllow(); };
  sender.start();
  sender.send({ type: 'hello', now });
  for (let i = 0; i < 200000 && sender.getSnapshot().status === 'active'; i++) {
    now += 1;
    if (pathClosing) { pathClosing = false; sender.send({ type: 'path.closed' }); continue; }
    for (const d of inFlight.filter((x) => x.at <= now)) {
      inFlight.splice(inFlight.indexOf(d), 1);
      if (rc.onData(d.p.pn, d.p.offset, d.p.len, now)) file.copy(got, d.p.offset, d.p.offset, d.p.offset + d.p.len);
    }
    if (rc.ackDue(now)) acks.push({ at: now + 5, ack: rc.makeAck(now) });
    // as the runtime does: ACKs applied to the core in plain code, an `acked` only when a flag the guards read moved
    for (const a of acks.filter((x) => x.at <= now)) {
      acks.splice(acks.indexOf(a), 1);
      const before = flagsOf(core);
      core.onAck(a.ack, now);
      heardAt = now;
      if (flagsOf(core) !== before) sender.send({ type: 'acked' });
    }
    sender.send({ type: 'tick', now, heardAt });
    polls++;
  }
  const out = sender.getSnapshot().output as { outcome: string } | undefined;
  sender.stop();
  if (out?.outcome === 'finished') expect(got.equals(file), 'the received bytes are the file').to.equal(true);
  if (out?.outcome === 'finished') expect(got[o.size - 1], "the last byte is the file's").to.equal(file[o.size - 1]);
  return { outcome: out?.outcome ?? 'still running', bytes: got, states, polls };
}

// ------------------------------------------------------------------------------------------------ tests

describe('model: transfer machines', function () {
  this.timeout(30000);

  describe(`sender, pure with a fake core: every edge of the model graph (${senderPaths.length} paths)`, () => {
    it('holds its invariants on every path', () => {
      for (const p of senderPaths) {
        try { runPure(senderModel, 'sender', senderInput as () => { io: SenderLog }, checkSender, p); } catch (e) { (e as Error).message = `${p.name}: ${(e as Error).message}`; throw e; }
      }
    });
    for (const p of senderCovering) it(`pure: ${p.name}`, () => runPure(senderModel, 'sender', senderInput as () => { io: SenderLog }, checkSender, p));
  });

  for (const v of receiverVariants) {
    describe(`receiver, pure, autoYes ${v.autoYes}: every edge of the model graph (${v.all.length} paths)`, () => {
      it('holds its invariants on every path', () => {
        for (const p of v.all) {
          try { runPure(receiverMachine as AnyStateMachine, 'receiver', v.input, checkReceiver, p); } catch (e) { (e as Error).message = `${p.name}: ${(e as Error).message}`; throw e; }
        }
      });
      for (const p of v.covering) it(`pure: ${p.name}`, () => runPure(receiverMachine as AnyStateMachine, 'receiver', v.input, checkReceiver, p));
    });
  }

  describe('sender with the real SenderCore over a simulated lossy, credit-limited link', () => {
    const cases = [
      { name: 'no halfway stop, no loss', size: 300_000, chunk: 1200, window: 1 << 20, holdAt: null, drop: () => false },
      { name: 'halfway stop answered yes, 1 in 9 packets lost', size: 200_000, chunk: 1200, window: 1 << 20, holdAt: 100_000, answer: 'yes' as const, drop: (pn: number) => pn % 9 === 4 },
      { name: 'halfway stop answered no', size: 100_000, chunk: 1200, window: 1 << 20, holdAt: 50_000, answer: 'no' as const, drop: () => false },
      { name: 'receiver credit of 8 packets (window full), cubic, 1 in 7 lost', size: 120_000, chunk: 1000, window: 8000, holdAt: null, drop: (pn: number) => pn % 7 === 3, cc: 'cubic' as const },
      { name: 'burst of losses (recovery), newreno', size: 150_000, chunk: 1200, window: 1 << 20, holdAt: null, drop: (pn: number) => pn >= 20 && pn < 26, cc: 'newreno' as const },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const r = simulate(c);
        expect(r.outcome).to.equal(c.answer === 'no' ? 'stopped' : 'finished');
        if (c.holdAt !== null) expect([...r.states]).to.include('"pausedAwaitingConsent"');
      });
    }
  });

  describe('end to end: transfers host and client downloads over real UDP', () => {
    const log = makeLogger({ quiet: true });
    let server: MessengerServer;
    let filesDir = '';
    let dlDir = '';
    const content = crypto.randomBytes(1_000_000);
    const runtimes: ClientRuntime[] = [];
    const cli = inspector('client', 'runtime');

    before(async () => {
      filesDir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-files-'));
      dlDir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-dl-'));
      fs.writeFileSync(path.join(filesDir, 'big.bin'), content);
      server = new MessengerServer({
        host: '127.0.0.1', port: 0, filesDir, maxPerAddress: 0, maxConnections: 100, maxOutboxBytes: 1 << 20, tickMs: 600000, log, tls: TEST_IDENTITY,
        transfers: { host: '127.0.0.1', ports: await nextUdpPorts(16), halfway: 0.5, chunk: 60000, cc: 'bbr', silentMs: 3000, maxPerSession: 4 },
        // the sender's runtime runs are spec/model/sender.runtime.spec.ts (a scripted client facing the real server)
        inspect: (id) => (id.startsWith('transfer') ? undefined : inspector('session', 'runtime')),
      });
      await server.start();
    });
    afterEach(async () => {
      for (const rt of runtimes.splice(0)) if (rt.state !== 'closed') await Promise.race([rt.quit(), new Promise((r) => setTimeout(r, 2500))]);
      await until(() => server.transfers.active === 0, 3000);
    });
    after(async () => {
      await server?.stop();
      fs.rmSync(filesDir, { recursive: true, force: true });
      fs.rmSync(dlDir, { recursive: true, force: true });
    });

    const online = async (name: string, yes = false) => {
      const dir = fs.mkdtempSync(path.join(dlDir, `${name}-`));
      const events: ClientEvent[] = [];
      const rt = new ClientRuntime({
        host: '127.0.0.1', port: server.port, name, downloadsDir: dir, yes, reconnect: false, tls: { knownHosts: null },
        inspect: (id) => (id.startsWith('download') ? undefined : cli),
      });
      rt.on('event', (e) => events.push(e));
      runtimes.push(rt);
      rt.start();
      expect(await until(() => rt.isOnline, 3000), 'online').to.equal(true);
      const wait = async <T extends ClientEvent['type']>(type: T, ms = 8000) => {
        expect(await until(() => events.some((e) => e.type === type), ms), `${name} saw ${type}: ${JSON.stringify(events.map((e) => e.type))}`).to.equal(true);
        return events.find((e) => e.type === type) as Extract<ClientEvent, { type: T }>;
      };
      return { rt, events, dir, wait };
    };
    const portsFree = async () => {
      expect(await until(() => server.transfers.active === 0 && server.transfers.pool.size > 0, 3000), 'no transfer left').to.equal(true);
      // every port of the pool can be taken again: each ending gave its port back
      const taken: number[] = [];
      for (let p = server.transfers.pool.acquire(Date.now()); p !== null; p = server.transfers.pool.acquire(Date.now())) taken.push(p);
      for (const p of taken) server.transfers.pool.release(p);
      expect(taken.length, 'all 16 ports back in the pool').to.equal(16);
    };

    it('a download paused halfway and answered yes finishes whole, with its last byte', async () => {
      const c = await online('tx-yes');
      c.rt.command('/get big.bin');
      const ask = await c.wait('consent');
      expect(ask.received).to.equal(500_000);
      c.rt.command('/yes');
      const fin = await c.wait('finished');
      expect(fin.lastByte, "the last byte is the file's").to.equal(content[content.length - 1]);
      expect(fs.readFileSync(fin.path).equals(content), 'the file arrived whole').to.equal(true);
      await portsFree();
    });

    it('autoYes: the question is answered at once and the download finishes', async () => {
      const c = await online('tx-auto', true);
      c.rt.command('/get big.bin');
      await c.wait('consent');
      const fin = await c.wait('finished');
      expect(fin.size).to.equal(content.length);
      await portsFree();
    });

    it('a download answered no at halfway stops there, its partial copy kept', async () => {
      const c = await online('tx-no');
      c.rt.command('/get big.bin');
      await c.wait('consent');
      c.rt.command('/no');
      const st = await c.wait('stopped');
      expect(st.received).to.equal(500_000);
      expect(fs.existsSync(st.path), 'the partial file is kept').to.equal(true);
      await portsFree();
    });

    it('a declined download resumes from its partial copy and finishes', async () => {
      const c = await online('tx-resume');
      c.rt.command('/get big.bin');
      await c.wait('consent');
      c.rt.command('/no');
      await c.wait('stopped');
      c.rt.command('/get big.bin');
      const dl = await until(() => c.events.filter((e) => e.type === 'download').length === 2, 3000);
      expect(dl).to.equal(true);
      const second = c.events.filter((e) => e.type === 'download')[1] as Extract<ClientEvent, { type: 'download' }>;
      expect(second.resumed).to.equal(true);
      const fin = await c.wait('finished');
      expect(fs.readFileSync(fin.path).equals(content)).to.equal(true);
      await portsFree();
    });

    it('a stop while the question waits ends the download as stopped', async () => {
      const c = await online('tx-stop');
      c.rt.command('/get big.bin');
      await c.wait('consent');
      c.rt.command('/stop');
      await c.wait('stopped');
      await portsFree();
    });

    it('a client that leaves mid-download keeps its partial copy', async () => {
      const c = await online('tx-quit');
      c.rt.command('/get big.bin');
      await c.wait('consent');
      await c.rt.quit();
      expect(c.events.find((e) => e.type === 'stopped'), 'the partial copy is kept').to.include({ reason: 'client closing' });
      await portsFree();
    });
  });
});

