// Model-based tests of the session machine (machines/session.machine.ts).
// Paths come from xstate/graph over the machine itself with parameterised events (hello with a good / bad version /
// invalid / taken name, each chat frame, bad lines, keepalive and idle ticks, socket close, shutdown, the hello
// deadline). Every edge of the model graph runs against the pure machine with a recording port and invariants;
// a covering subset also runs against a real MessengerServer over a raw TCP socket speaking NDJSON, where each step
// checks the frames the user (alice) and a peer already online (bob) received, and the real session's state.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { createActor, type Actor, type AnyActorRef, type AnyStateMachine, type EventObject } from 'xstate';
import type { ClientFrame, ServerFrame } from '../../machines/frames.js';
import { nameKey } from '../../machines/nickname.js';
import { sessionMachine, type HubPort, type SessionConfig, type SessionContext, type SessionEvent, type SessionPort } from '../../machines/session.machine.js';
import { makeLogger } from '../../runtime/logger.js';
import { MessengerServer } from '../../runtime/server.js';
import { inspector } from './coverage.js';
import { coveringPaths, edgePaths, stateText, transitionsOf, type ModelPath, type Snap } from './paths.js';
import { frameTag, sleep, until, Wire } from './wire.js';

const CFG: SessionConfig = {
  // a tiny refill rate keeps the model's token count and the real one equal however long a path takes
  limits: { maxLine: 65536, maxText: 4000, ratePerSec: 0.001, burst: 3, idleMs: 60000 },
  helloTimeoutMs: 10000,
  pingEveryMs: 20000,
  // one more than the burst: in the handshake, refusals spend tokens, so the rate limit is reachable before a flood
  floodAfter: 4,
};
const machine = sessionMachine as AnyStateMachine;

/** What the session does to the world, as alice (the user) and bob (a peer online) would see it on the wire. */
class ModelPort implements SessionPort {
  alice: string[] = [];
  bob: string[] = [];
  closes = 0;
  ends = 0;
  leaves = 0;
  joined: string | null = null;
  readonly hub: HubPort = {
    join: (name) => { this.joined = name; this.bob.push('joined'); return true; },
    leave: () => { this.leaves++; this.bob.push('left'); },
    // bob only: the session's `register` calls join() inside an assign, which xstate/graph runs while it explores,
    // so anything join() records must not feed back into a guard
    isTaken: (n) => nameKey(n) === 'bob',
    sayAll: () => { this.alice.push('message'); this.bob.push('message'); },
    tell: (_from, to) => { if (nameKey(to) !== 'bob') return false; this.bob.push('message'); this.alice.push('message'); return true; },
    names: () => ['bob', ...(this.joined ? [this.joined] : [])],
    history: () => [{ from: 'bob', text: 'hi', ts: 0 }],
  };
  write(): void {}
  send(f: ServerFrame): void { this.alice.push(frameTag(f as unknown as Record<string, unknown>)); }
  close(): void { this.closes++; }
  listFiles(): void { this.alice.push('files'); }
  transfer(f: Extract<ClientFrame, { type: 'get' | 'consent' | 'stop' }>): void { this.alice.push(f.type === 'get' ? 'error:no-such-file' : 'error:no-such-transfer'); }
  ended(): void { this.ends++; }
}

type LabelledEvent = SessionEvent & { label: string; tick?: 'idle' | 'ping' | 'hello' };
const ctxOf = (s: Snap) => s.context as SessionContext;
const clock = (c: SessionContext) => Math.max(c.lastHeard, c.lastPing, c.bucket.at);
const frame = (label: string, f: ClientFrame, now: number): LabelledEvent => ({ type: 'frame', frame: f, now, label });

function events(s: Snap): EventObject[] {
  const c = ctxOf(s);
  const now = clock(c);
  const list: LabelledEvent[] = [
    frame('hello', { type: 'hello', v: 1, name: 'alice' }, now),
    frame('hello(v2)', { type: 'hello', v: 2, name: 'alice' }, now),
    frame('hello(invalid name)', { type: 'hello', v: 1, name: 'no spaces allowed' }, now),
    frame('hello(taken name)', { type: 'hello', v: 1, name: 'Bob' }, now),
    frame('say', { type: 'say', text: 'hello all' }, now),
    frame('tell(bob)', { type: 'tell', to: 'bob', text: 'psst' }, now),
    frame('tell(nobody)', { type: 'tell', to: 'nobody', text: 'psst' }, now),
    frame('who', { type: 'who' }, now),
    frame('files', { type: 'files' }, now),
    frame('get(missing)', { type: 'get', file: 'missing.txt' }, now),
    frame('ping', { type: 'ping', t: 7 }, now),
    frame('pong', { type: 'pong' }, now),
    frame('bye', { type: 'bye' }, now),
    { type: 'bad', code: 'bad-json', message: 'a line must hold one JSON object', now, label: 'bad line' },
    { type: 'tick', now: c.openedAt + c.cfg.helloTimeoutMs, label: 'tick(hello deadline)', tick: 'hello' },
    { type: 'tick', now: c.lastHeard + c.cfg.limits.idleMs + 1, label: 'tick(idle)', tick: 'idle' },
    { type: 'tick', now: Math.max(c.lastHeard, c.lastPing) + c.cfg.pingEveryMs, label: 'tick(ping due)', tick: 'ping' },
    { type: 'socket.closed', reason: 'gone', label: 'socket closed' },
    { type: 'shutdown', reason: 'server-shutdown', label: 'shutdown' },
  ];
  return list;
}

const serializeState = (s: Snap) => {
  const c = ctxOf(s);
  return JSON.stringify([s.value, c.name !== null, Math.floor(c.bucket.tokens), c.refusedInARow]);
};

const pureInput = () => ({ port: new ModelPort(), cfg: CFG, now: 0 });

/** Invariants that hold in every state of every path (pure runs). */
function checkInvariants(s: Snap, port: ModelPort): void {
  const c = ctxOf(s);
  const where = `in ${stateText(s)}`;
  expect(c.refusedInARow, `refused in a row ${where}`).to.be.at.most(CFG.floodAfter);
  expect(c.bucket.tokens, `tokens ${where}`).to.be.within(0, CFG.limits.burst);
  if (s.matches('handshake')) expect(c.name, `no name ${where}`).to.equal(null);
  if (s.matches('chatting')) {
    expect(c.name, `a name ${where}`).to.equal('alice');
    const w = port.alice.indexOf('welcome');
    expect(port.alice.slice(w, w + 2), 'welcome, then the history').to.deep.equal(['welcome', 'history']);
    expect(port.bob.indexOf('joined'), 'the peer saw alice join').to.be.at.least(0);
  }
  if (s.matches('closing')) expect(port.closes, `closed the socket once ${where}`).to.equal(1);
  if (s.matches('closing') || (s.matches('closed') && port.closes)) {
    expect(port.closes, `closed the socket once ${where}`).to.equal(1);
    expect(port.alice.lastIndexOf('bye'), `bye is the last frame ${where}`).to.equal(port.alice.length - 1);
  }
  if (!s.matches('closing') && !s.matches('closed')) expect(port.closes, `socket open ${where}`).to.equal(0);
  if (s.matches('closed')) {
    expect(port.ends, 'ended once').to.equal(1);
    expect(port.leaves, 'left iff registered').to.equal(c.name ? 1 : 0);
  } else expect(port.ends, `not ended ${where}`).to.equal(0);
}

function runPure(p: ModelPath): void {
  const port = new ModelPort();
  const actor = createActor(machine, { input: { port, cfg: CFG, now: 0 }, inspect: inspector('session', 'model') });
  actor.start();
  checkInvariants(actor.getSnapshot(), port);
  for (const step of p.steps) {
    actor.send(step.event);
    const snap = actor.getSnapshot();
    expect(snap.value, `after ${(step.event as LabelledEvent).label ?? step.event.type}`).to.deep.equal(step.state.value);
    checkInvariants(snap, port);
  }
  actor.stop();
}

const all = edgePaths({ machine, input: pureInput, events, serializeState });
const covering = coveringPaths(all, (p) => transitionsOf(machine, pureInput, p));

describe('model: session machine', function () {
  this.timeout(30000);

  describe(`pure machine, every edge of the model graph (${all.length} paths)`, () => {
    it('holds its invariants on every path', () => {
      for (const p of all) {
        try { runPure(p); } catch (e) { (e as Error).message = `${p.name}: ${(e as Error).message}`; throw e; }
      }
    });
    for (const p of covering) it(`pure: ${p.name}`, () => runPure(p));
  });

  describe(`real MessengerServer over TCP (${covering.length} covering paths)`, () => {
    const log = makeLogger({ quiet: true });
    const actors = new Map<string, AnyActorRef>();
    let dir = '';
    let fast: MessengerServer; // hello deadline 10 s
    let slowHello: MessengerServer; // hello deadline 400 ms, for the paths that wait it out
    let bob: Wire;
    let run = 0;

    const start = async (helloTimeoutMs: number) => {
      const s = new MessengerServer({
        host: '127.0.0.1', port: 0, filesDir: dir, maxPerAddress: 0, maxConnections: 1000, maxOutboxBytes: 1 << 20,
        tickMs: 600000, log,
        session: { ...CFG, helloTimeoutMs },
        transfers: { host: '127.0.0.1', ports: [59900, 59915], halfway: 0.5, chunk: 60000, cc: 'bbr', silentMs: 3000, maxPerSession: 4 },
        inspect: (id) => {
          const cov = inspector('session', 'runtime');
          return (ev) => { actors.set(id, ev.actorRef as AnyActorRef); cov(ev); };
        },
      });
      await s.start();
      return s;
    };

    before(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-session-'));
      fs.writeFileSync(path.join(dir, 'shared.txt'), 'shared\n');
      fast = await start(10000);
      slowHello = await start(400);
      bob = await Wire.connect(fast.port);
      bob.send({ type: 'hello', v: 1, name: 'bob' });
      await until(() => bob.frames.some((f) => f.type === 'welcome'));
      bob.send({ type: 'say', text: 'hi' }); // the history every welcome is followed by
      await until(() => bob.frames.some((f) => f.type === 'message'));
    });

    after(async () => {
      bob?.destroy();
      await Promise.all([fast?.stop(), slowHello?.stop()]);
      fs.rmSync(dir, { recursive: true, force: true });
    });

    const sessionOf = (w: Wire): Actor<typeof sessionMachine> | undefined => {
      for (const a of actors.values()) {
        const port = (a.getSnapshot().context as SessionContext).port as unknown as { remote: string };
        if (port.remote === `127.0.0.1:${w.localPort}`) return a as Actor<typeof sessionMachine>;
      }
      return undefined;
    };

    for (const p of covering) {
      const usesDeadline = p.steps.some((s) => s.event.type.startsWith('xstate.after.'));
      it(`real: ${p.name}`, async () => {
        const server = usesDeadline ? slowHello : fast;
        const name = `alice${++run}`;
        const bobFrom = bob.frames.length;
        const bobTags = () => bob.frames.slice(bobFrom).map(frameTag);
        const port = new ModelPort();
        const pure = createActor(machine, { input: { port, cfg: CFG, now: 0 } });
        pure.start();
        const alice = await Wire.connect(server.port);
        let real: Actor<typeof sessionMachine> | undefined;
        expect(await until(() => (real = sessionOf(alice)) !== undefined), 'the server hosts a session for the socket').to.equal(true);
        try {
          for (const step of p.steps) {
            const ev = step.event as LabelledEvent;
            const label = ev.label ?? describeAfter(ev.type);
            // act as the user (or the world) would
            if (ev.type === 'frame') {
              const f = ev.frame.type === 'hello' && ev.frame.name === 'alice' ? { ...ev.frame, name } : ev.frame;
              alice.send(f);
            } else if (ev.type === 'bad') alice.write('this is not JSON\n');
            else if (ev.type === 'socket.closed') alice.destroy();
            else if (ev.type === 'tick') {
              // the server's keepalive timer runs every 5 s: deliver the tick it would, at the time it would matter
              const c = real!.getSnapshot().context;
              const now = ev.tick === 'hello' ? c.openedAt + c.cfg.helloTimeoutMs
                : ev.tick === 'idle' ? c.lastHeard + c.cfg.limits.idleMs + 1 : Math.max(c.lastHeard, c.lastPing) + c.cfg.pingEveryMs;
              real!.send({ type: 'tick', now });
            } else if (ev.type === 'shutdown') real!.send({ type: 'shutdown', reason: ev.reason }); // what MessengerServer.stop() sends
            // else: the hello deadline, which the server's own timer fires
            pure.send(ev);
            const want = pure.getSnapshot();
            const closingNow = want.matches('closing');
            const stateOk = () => {
              const got = real!.getSnapshot();
              // in closing the server has ended the socket; the client side closes too, so closed follows by itself
              return JSON.stringify(got.value) === JSON.stringify(want.value) || (closingNow && got.matches('closed'));
            };
            const bobWant = port.bob.slice();
            const settled = await until(() => alice.frames.length >= port.alice.length && bobTags().length >= bobWant.length && stateOk()
              && (!closingNow || alice.closed), usesDeadline ? 3000 : 2000);
            const msg = `after ${label} (model: ${stateText(want)}, server: ${stateText(real!.getSnapshot())})`;
            expect(alice.tags(), `alice's frames ${msg}`).to.deep.equal(port.alice);
            const bobGot = bobTags();
            if (closingNow && real!.getSnapshot().matches('closed') && bobGot.length === bobWant.length + 1) bobGot.pop(); // its 'left'
            expect(bobGot, `bob's frames ${msg}`).to.deep.equal(bobWant);
            expect(settled, `settled ${msg}`).to.equal(true);
            if (port.closes) {
              expect(alice.frames.at(-1)?.type, 'bye is the last frame').to.equal('bye');
              expect(alice.closed, 'the server closed the connection').to.equal(true);
            }
          }
        } finally {
          pure.stop();
          alice.destroy();
          await until(() => real!.getSnapshot().status === 'done', 2000);
          if (port.joined) await until(() => bob.frames.length > bobFrom && bob.frames.at(-1)?.type === 'left', 1000);
          else await sleep(2);
        }
        expect(real!.getSnapshot().status, 'the session ended').to.equal('done');
      });
    }
  });
});

function describeAfter(type: string): string {
  return type.startsWith('xstate.after.') ? `after ${type.split('.')[2]}` : type;
}
