// Model-based tests of the session machine (machines/session.machine.ts).
// Paths come from xstate/graph over the machine itself with parameterised events (hello with a good / bad version /
// invalid / taken name, each chat frame, bad lines, keepalive and idle ticks, socket close, shutdown, the hello
// deadline). Every edge of the model graph runs against the pure machine with a recording port and invariants.
// A covering subset also runs against a real MessengerServer (port 0, its own WarpClock, one per path) over raw TCP
// sockets: each model event is a real stimulus - frames and bad lines written by alice (the user), `socket.closed`
// by destroying her socket, `shutdown` by `server.stop()`, a `tick` by moving the clock until the server's own
// session timer has ticked her session at the deadline the tick stands for. After each step: the real session's
// state equals the path's, and the frames alice and bob (a peer online) received equal what the pure run of the same
// path sent (time passing may add keepalive pings before what it is about).
// Accounts: the real server keeps a real SQLite store (a temporary folder per path) with the accounts carol, dave,
// frank (whose failed logins are over the limit) and gus (whose kept messages are at the limit), all with the
// password "right". What the runtime answers itself (`login.checked` after scrypt, `account.saved`, the hub's answer
// to a name claim, `name.claimed`) is held at a gate until the path's step for it comes, then let through: the real
// answer must be the one the path says (for a password check or a change, the step before sends the password that
// gives it; for a claim lost to another session, a racer connection really claims the name first). Three server configurations run:
// passwords over plain TCP allowed (most paths), not allowed, and closed registration.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { createActor, type Actor, type AnyActorRef, type AnyStateMachine, type EventObject } from 'xstate';
import type { ClientFrame, ServerFrame } from '../../machines/frames.js';
import { nameKey } from '../../machines/nickname.js';
import { sessionMachine, type AccountsPort, type HubPort, type SessionConfig, type SessionContext, type SessionEvent, type SessionPort, type WelcomeHead } from '../../machines/session.machine.js';
import { TIMING } from '../../machines/timing.js';
import { WarpClock } from '../../runtime/clock.js';
import { makeLogger } from '../../runtime/logger.js';
import { MessengerServer } from '../../runtime/server.js';
import { hashPassword, type PasswordHash } from '../../runtime/password-hash.js';
import { SqliteStore } from '../../runtime/store/sqlite/sqlite-store.js';
import { LIMITS } from '../../machines/limits.js';
import { nextUdpPorts } from '../helpers/ports.js';
import { inspector } from './coverage.js';
import { coveringPaths, edgePaths, stateText, transitionsOf, type ModelPath, type Snap } from './paths.js';
import { frameTag, until, Wire } from './wire.js';

const CFG: SessionConfig = {
  // a tiny refill rate keeps the model's token count and the real one equal however long a path takes
  limits: { maxLine: 65536, maxText: 4000, ratePerSec: 0.001, burst: 3, idleMs: 60000 },
  helloTimeoutMs: 10000,
  pingEveryMs: 20000,
  // one more than the burst: in the handshake, refusals spend tokens, so the rate limit is reachable before a flood
  floodAfter: 4,
  registration: 'open',
  allowInsecureAuth: true,
};
/** Registered in the model (and in each real server's store). */
const REGISTERED = new Set(['carol', 'dave', 'frank', 'gus']);
const machine = sessionMachine as AnyStateMachine;

/** What the session does to the world, as alice (the user) and bob (a peer online) would see it on the wire. */
class ModelPort implements SessionPort {
  readonly secure = false;
  // nothing here records into what a guard reads (xstate/graph runs actions while it explores)
  readonly accounts: AccountsPort = {
    isRegistered: (n) => REGISTERED.has(nameKey(n)),
    verify: () => {}, register: () => {}, change: () => {},
    blocked: (n) => nameKey(n) === 'frank',
    failed: () => {}, succeeded: () => {},
    takeKept: () => [],
    keptCount: (n) => (nameKey(n) === 'gus' ? LIMITS.offlinePerRecipient : 0),
    keep: () => { this.alice.push('message'); },
  };
  alice: string[] = [];
  bob: string[] = [];
  closes = 0;
  ends = 0;
  leaves = 0;
  joined: string | null = null;
  readonly hub: HubPort = {
    // the real runtime asks the hub; the answer is the path's `name.claimed` step
    claim: () => true,
    release: () => {},
    join: (name) => { this.joined = name; this.bob.push('joined'); },
    leave: () => { this.leaves++; this.bob.push('left'); },
    // bob only: the session's `register` calls join() inside an assign, which xstate/graph runs while it explores,
    // so anything join() records must not feed back into a guard
    isTaken: (n) => nameKey(n) === 'bob',
    sayAll: () => { this.alice.push('message'); this.bob.push('message'); },
    tell: (_from, to) => { if (nameKey(to) !== 'bob') return false; this.bob.push('message'); this.alice.push('message'); return true; },
    names: () => ['bob', ...(this.joined ? [this.joined] : [])],
    history: () => [{ from: 'bob', text: 'hi', ts: 0 }],
    historyPage: () => [{ from: 'bob', text: 'hi', ts: 0 }],
  };
  claim(): void {}
  write(): void {}
  send(f: ServerFrame): void { this.alice.push(frameTag(f as unknown as Record<string, unknown>)); }
  welcome(head: WelcomeHead): void { this.send({ ...head, online: this.hub.names() }); }
  close(): void { this.closes++; }
  listFiles(): void { this.alice.push('files'); }
  transfer(f: Extract<ClientFrame, { type: 'get' | 'consent' | 'stop' }>): void { this.alice.push(f.type === 'get' ? 'error:no-such-file' : 'error:no-such-transfer'); }
  ended(): void { this.ends++; }
}

type LabelledEvent = SessionEvent & { label: string; tick?: 'idle' | 'ping' | 'hello' };
const ctxOf = (s: Snap) => s.context as SessionContext;
const clock = (c: SessionContext) => Math.max(c.lastHeard, c.lastPing, c.bucket.at);
const frame = (label: string, f: ClientFrame, now: number): LabelledEvent => ({ type: 'frame', frame: f, now, label });
const checked = (account: boolean, ok: boolean, now: number): LabelledEvent =>
  ({ type: 'login.checked', account, ok, now, label: `login.checked(${account ? 'account' : 'no account'}, ${ok ? 'right' : 'wrong'})` });
/** Events the runtime makes itself: the real run lets them through its gate instead of causing them. */
const fromRuntime = (e: EventObject) => e.type === 'login.checked' || e.type === 'account.saved' || e.type === 'name.claimed';

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
    frame('history', { type: 'history', limit: 10 }, now),
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
    frame('hello(carol, password)', { type: 'hello', v: 1, name: 'carol', password: 'right' }, now),
    frame('hello(erin, password)', { type: 'hello', v: 1, name: 'erin', password: 'right' }, now),
    frame('hello(frank, password; blocked)', { type: 'hello', v: 1, name: 'frank', password: 'right' }, now),
    frame('hello(carol, no password)', { type: 'hello', v: 1, name: 'carol' }, now),
    frame('tell(carol, offline)', { type: 'tell', to: 'carol', text: 'later' }, now),
    frame('tell(gus, mailbox full)', { type: 'tell', to: 'gus', text: 'later' }, now),
    frame('register', { type: 'register', password: 'right' }, now),
    frame('register(empty)', { type: 'register', password: '' }, now),
    frame('password', { type: 'password', old: 'right', new: 'right' }, now),
  ];
  // what the runtime answers, as it can answer in this state
  if (s.matches('authenticating')) {
    if (c.pending === 'carol') list.push(checked(true, true, now), checked(true, false, now));
    else list.push(checked(false, false, now));
  }
  if (s.matches('claiming')) {
    list.push({ type: 'name.claimed', ok: true, now, label: 'name.claimed(granted)' });
    list.push({ type: 'name.claimed', ok: false, now, label: 'name.claimed(taken first by another session)' });
  }
  if (c.accountOp === 'register') list.push({ type: 'account.saved', op: 'register', outcome: 'ok', label: 'account.saved(register ok)' });
  if (c.accountOp === 'password') {
    list.push({ type: 'account.saved', op: 'password', outcome: 'ok', label: 'account.saved(password ok)' });
    list.push({ type: 'account.saved', op: 'password', outcome: 'wrong', label: 'account.saved(old password wrong)' });
  }
  return list;
}

const serializeState = (s: Snap) => {
  const c = ctxOf(s);
  // which name alice has once online changes nothing the model can do next: only whether she has one
  return JSON.stringify([s.value, c.name !== null, c.pending, c.account, c.accountOp, Math.floor(c.bucket.tokens), c.refusedInARow]);
};

const pureInput = () => ({ port: new ModelPort(), cfg: CFG, now: 0 });

/** Invariants that hold in every state of every path (pure runs). */
function checkInvariants(s: Snap, port: ModelPort): void {
  const c = ctxOf(s);
  const where = `in ${stateText(s)}`;
  expect(c.refusedInARow, `refused in a row ${where}`).to.be.at.most(CFG.floodAfter);
  expect(c.bucket.tokens, `tokens ${where}`).to.be.within(0, CFG.limits.burst);
  if (s.matches('handshake')) expect([c.name, c.pending], `no name ${where}`).to.deep.equal([null, null]);
  if (s.matches('authenticating') || s.matches('claiming')) expect([c.name, c.pending !== null], `a name being checked ${where}`).to.deep.equal([null, true]);
  if (s.matches('chatting')) {
    expect(c.name, `a name ${where}`).to.be.oneOf(['alice', 'carol', 'erin']);
    expect(c.account, `an account only after a login with one or a registration ${where}`).to.equal(c.name === 'carol' || (port.alice.includes('registered')));
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

function runPure(p: ModelPath, cfg: SessionConfig = CFG): void {
  const port = new ModelPort();
  const actor = createActor(machine, { input: { port, cfg, now: 0 }, inspect: inspector('session', 'model') });
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

/** The server configurations the model runs in: most paths with passwords allowed over plain TCP (the real runs
 *  are plain TCP), and what only the others can show. */
const VARIANTS = [
  { name: 'passwords over plain TCP allowed', cfg: CFG },
  { name: 'passwords over plain TCP refused', cfg: { ...CFG, allowInsecureAuth: false } },
  { name: 'closed registration', cfg: { ...CFG, registration: 'closed' as const } },
].map((v) => {
  const input = () => ({ port: new ModelPort(), cfg: v.cfg, now: 0 });
  const paths = edgePaths({ machine, input, events, serializeState });
  return { ...v, input, paths };
});
const all = VARIANTS[0]!.paths;
const covering = coveringPaths(all, (p) => transitionsOf(machine, pureInput, p));

/** What the real runtime can be made to do from outside, in the state a step starts from. Time passing in `closing`
 *  is not: the runtime cuts off a peer that does not close after its close grace (Connection.close, not the
 *  machine), so a tick there is not the no-op the model says; `closing` ignores ticks anyway. */
const deliverable = (from: Snap, e: EventObject) => !(e.type === 'tick' && from.matches('closing'));
const initial = createActor(machine, { input: pureInput() }).getSnapshot();
// shortest first within each configuration, each path kept that takes a transition no kept path (of any
// configuration before) took
const takenKeys = new Set<string>();
const runtimePaths = VARIANTS.flatMap((v) => {
  const kept = coveringPaths(
    v.paths.filter((p) => p.steps.every((s, i) => deliverable(i ? p.steps[i - 1].state : initial, s.event))),
    (p) => { const keys = transitionsOf(machine, v.input, p); return new Set([...keys].filter((k) => !takenKeys.has(k))); },
  );
  for (const p of kept) for (const k of transitionsOf(machine, v.input, p)) takenKeys.add(k);
  return kept.map((p) => ({ ...p, variant: v }));
});

const CHEAP = { N: 1 << 10, r: 8, p: 1 };

/** What alice really sends for a model frame: for a password check or a change, the password that makes the
 *  runtime answer what the path's next step says (all registered passwords are "right"). */
function realFrame(f: ClientFrame, next: LabelledEvent | undefined): ClientFrame {
  if (f.type === 'hello' && f.password !== undefined && next?.type === 'login.checked' && next.account && !next.ok) return { ...f, password: 'wrong' };
  if (f.type === 'password' && next?.type === 'account.saved' && next.outcome === 'wrong') return { ...f, old: 'not it' };
  return f;
}

describe('model: session machine', function () {
  this.timeout(30000);

  describe(`pure machine, every edge of the model graph (${all.length} paths)`, () => {
    for (const v of VARIANTS) {
      it(`holds its invariants on every path (${v.name}: ${v.paths.length} paths)`, function () {
        // thousands of short runs: a loaded machine (2 cores shared by several test runs) needs longer than usual
        this.timeout(120000);
        for (const p of v.paths) {
          try { runPure(p, v.cfg); } catch (e) { (e as Error).message = `${v.name}: ${p.name}: ${(e as Error).message}`; throw e; }
        }
      });
    }
    for (const p of covering) it(`pure: ${p.name}`, () => runPure(p));
  });

  describe(`real MessengerServer over TCP, time on a WarpClock (${runtimePaths.length} covering paths)`, () => {
    const log = makeLogger({ quiet: true });
    let dir = '';
    let right: PasswordHash;
    let nth = 0;
    before(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-session-'));
      fs.writeFileSync(path.join(dir, 'shared.txt'), 'shared\n');
      right = await hashPassword('right', CHEAP);
    });
    /** A fresh store for one path: the model's accounts, gus's kept messages at the limit. */
    const seededStore = () => {
      const store = SqliteStore.open(path.join(dir, `data-${++nth}`));
      for (const name of REGISTERED) store.accounts.add(name, { name, ...right, created: 0 });
      for (let i = 0; i < LIMITS.offlinePerRecipient; i++) store.offline.put('gus', { from: 'bob', to: 'gus', text: `m${i}`, ts: i });
      return store;
    };
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    for (const p of runtimePaths) {
      it(`real: the server's session goes ${p.name}`, async () => {
        const clock = new WarpClock();
        const actors = new Map<string, AnyActorRef>();
        const lastTick = new Map<string, number>();
        const handled = new Map<string, number>();
        const cfg = p.variant.cfg;
        const server = new MessengerServer({
          store: seededStore(), scryptCost: CHEAP,
          host: '127.0.0.1', port: 0, filesDir: dir, maxPerAddress: 0, maxConnections: 1000, maxOutboxBytes: 1 << 20,
          // plain TCP: one of the server configurations refuses passwords over a connection without TLS
          tickMs: TIMING.sessionTickMs, log, clock, session: cfg,
          transfers: { host: '127.0.0.1', ports: await nextUdpPorts(2), halfway: 0.5, chunk: 60000, cc: 'bbr', silentMs: 3000, maxPerSession: 4 },
          inspect: (id) => {
            if (!id.startsWith('session-')) return undefined;
            const cov = inspector('session', 'runtime');
            return (ev) => {
              actors.set(id, ev.actorRef as AnyActorRef);
              if (ev.type === '@xstate.event' && ev.actorRef === actors.get(id)) {
                const e = ev.event as SessionEvent;
                if (e.type === 'tick') lastTick.set(id, e.now);
                if (e.type === 'frame' || e.type === 'bad') handled.set(id, (handled.get(id) ?? 0) + 1);
              }
              cov(ev);
            };
          },
        });
        await server.start();
        // frank has failed too often lately
        for (let i = 0; i < LIMITS.loginFailures; i++) server.accounts!.limiter.failed(['name:frank'], clock.now());
        const held: Array<() => void> = [];
        const gate = () => new Promise<void>((resolve) => held.push(resolve));
        // the gate, once bob is online: the runtime's answers (scrypt done, account written) wait here for their step
        const holdAnswers = () => {
          const accounts = server.accounts!;
          const [verify, register, change] = [accounts.verify.bind(accounts), accounts.register.bind(accounts), accounts.change.bind(accounts)];
          accounts.verify = async (n, pw) => { await gate(); return verify(n, pw); };
          accounts.register = async (n, pw) => { await gate(); return register(n, pw); };
          accounts.change = async (n, o, pw) => { await gate(); return change(n, o, pw); };
          const hub: HubPort = server.hub;
          const claim = hub.claim.bind(hub);
          hub.claim = (n) => (racing ? claim(n) : gate().then(() => claim(n)));
        };
        /** A racer's claims go straight through: it takes alice's name while her claim waits at the gate. */
        let racing = false;
        /** The racer's `joined` and `left`: bob sees them, the model (which knows only alice) does not. */
        const racerFrames = new Set<object>();
        const race = async (name: string) => {
          racing = true;
          const racer = await Wire.connect(server.port, '127.0.0.1', false, false);
          try {
            const seen = bob.frames.length;
            racer.send({ type: 'hello', v: 1, name, ...(REGISTERED.has(nameKey(name)) ? { password: 'right' } : {}) });
            expect(await until(() => racer.frames.some((f) => f.type === 'welcome')), `the racer takes ${name}: ${JSON.stringify(racer.frames)}`).to.equal(true);
            expect(await until(() => bob.frames.length > seen)).to.equal(true);
            for (const f of bob.frames.slice(seen)) racerFrames.add(f);
            release();
            await until(() => alice.frames.some((f, i) => i >= aliceBefore && f.type === 'error'));
            const before = bob.frames.length;
            racer.send({ type: 'bye' });
            expect(await until(() => !server.hub.isTaken(name) && bob.frames.length > before), 'the racer left').to.equal(true);
            for (const f of bob.frames.slice(before)) racerFrames.add(f);
          } finally { racer.destroy(); racing = false; }
        };
        let aliceBefore = 0;
        const release = () => { for (const r of held.splice(0)) r(); };
        const stops: Array<Promise<void>> = [];
        const sessionOf = (w: Wire): [string, Actor<typeof sessionMachine>] | undefined => {
          for (const [id, a] of actors) {
            const conn = (a.getSnapshot().context as SessionContext).port as unknown as { remote: string };
            if (conn.remote === `127.0.0.1:${w.localPort}`) return [id, a as Actor<typeof sessionMachine>];
          }
          return undefined;
        };
        // bob: a peer online before alice, who answers keepalive pings (time passes by minutes on some paths)
        const bob = await Wire.connect(server.port, '127.0.0.1', false, false);
        // on a closed server bob has an account (the model's hub knows him as online only: nothing else asks)
        if (cfg.registration === 'closed') {
          server.accounts!.store.accounts.add('bob', { name: 'bob', ...right, created: 0 });
          bob.send({ type: 'hello', v: 1, name: 'bob', password: 'right' });
        } else bob.send({ type: 'hello', v: 1, name: 'bob' });
        expect(await until(() => bob.frames.some((f) => f.type === 'welcome')), `bob is welcomed: ${JSON.stringify(bob.frames)}`).to.equal(true);
        bob.send({ type: 'say', text: 'hi' }); // the history every welcome is followed by
        expect(await until(() => bob.frames.some((f) => f.type === 'message')), 'bob hears himself').to.equal(true);
        const bobSession = sessionOf(bob)![1];
        holdAnswers();
        let bobPongs = 0;
        const bobKeepsUp = async () => {
          const c = () => bobSession.getSnapshot().context;
          if (bobSession.getSnapshot().status !== 'active' || c().lastPing <= c().lastHeard) return;
          await until(() => bob.frames.filter((f) => f.type === 'ping').length > bobPongs);
          for (const n = bob.frames.filter((f) => f.type === 'ping').length; bobPongs < n; bobPongs++) bob.send({ type: 'pong' });
          await until(() => c().lastHeard >= c().lastPing);
        };
        const bobFrom = bob.frames.length;
        const bobTags = () => bob.frames.slice(bobFrom).filter((f) => !racerFrames.has(f)).map(frameTag).filter((t) => t !== 'ping' && t !== 'bye');

        // alice: the user the path is about; half-open, so the server's end of the socket does not close hers
        const alice = await Wire.connect(server.port, '127.0.0.1', true, false);
        // the server tells TLS from plain by a connection's first byte and hosts the session then: a blank line (a
        // keepalive the session never sees) starts it without an event
        alice.write('\n');
        let found: [string, Actor<typeof sessionMachine>] | undefined;
        expect(await until(() => (found = sessionOf(alice)) !== undefined), 'the server hosts a session for the socket').to.equal(true);
        const [aliceId, real] = found!;
        const port = new ModelPort();
        const pure = createActor(machine, { input: { port, cfg, now: 0 } });
        pure.start();
        const value = () => JSON.stringify(real.getSnapshot().value);

        /** Lets the server's own session timer run until it has ticked alice's session at `target` or later (or the
         *  session left its state on a tick before that), moving the clock one handshake-check period at a time. */
        const passTime = async (kind: 'hello' | 'idle' | 'ping') => {
          const c = real.getSnapshot().context;
          const target = kind === 'hello' ? c.openedAt + c.cfg.helloTimeoutMs
            : kind === 'idle' ? c.lastHeard + c.cfg.limits.idleMs + 1 : Math.max(c.lastHeard, c.lastPing) + c.cfg.pingEveryMs;
          const was = value();
          for (let i = 0; i < 200 && (lastTick.get(aliceId) ?? -Infinity) < target && value() === was; i++) {
            clock.advance(1000);
            await bobKeepsUp();
          }
        };

        try {
          for (const [i, step] of p.steps.entries()) {
            const ev = step.event as LabelledEvent;
            const next = p.steps[i + 1]?.event as LabelledEvent | undefined;
            const aliceFrom = alice.frames.length;
            const twinAlice = port.alice.length;
            const handledBefore = handled.get(aliceId) ?? 0;
            aliceBefore = aliceFrom;
            if (ev.type === 'frame') alice.send(realFrame(ev.frame, next));
            else if (ev.type === 'name.claimed' && !ev.ok) await race(real.getSnapshot().context.pending!);
            else if (fromRuntime(ev)) release();
            else if (ev.type === 'bad') alice.write('this is not JSON\n');
            else if (ev.type === 'socket.closed') alice.destroy();
            else if (ev.type === 'shutdown') stops.push(server.stop(ev.reason));
            else if (ev.type === 'tick') await passTime(ev.tick!);
            pure.send(ev);
            const want = pure.getSnapshot();
            const wantAlice = port.alice.slice(twinAlice);
            const wantBob = port.bob.slice(0);
            const got = () => alice.tags().slice(aliceFrom);
            const closing = want.matches('closing');
            const settled = await until(() => value() === JSON.stringify(want.value)
              && ((ev.type !== 'frame' && ev.type !== 'bad') || (handled.get(aliceId) ?? 0) > handledBefore)
              && got().filter((t) => t !== 'ping').length >= wantAlice.filter((t) => t !== 'ping').length
              && (stops.length > 0 || bobTags().length >= wantBob.length)
              && (!closing || alice.ended));
            const msg = `after ${ev.label} (model: ${stateText(want)}, server: ${stateText(real.getSnapshot())})`;
            expect(stateText(real.getSnapshot()), `the real session's state ${msg}`).to.equal(stateText(want));
            // time passing (a tick) may bring keepalive pings before what it is about; nothing else differs
            if (ev.type === 'tick') {
              expect(got().filter((t) => t !== 'ping'), `alice's frames ${msg}`).to.deep.equal(wantAlice.filter((t) => t !== 'ping'));
              expect(got().filter((t) => t === 'ping').length, `pings ${msg}`).to.be.at.least(wantAlice.filter((t) => t === 'ping').length);
            } else expect(got(), `alice's frames ${msg}`).to.deep.equal(wantAlice);
            // once the server is stopping bob is told bye too, and stops hearing about alice
            if (!stops.length) expect(bobTags(), `bob's frames ${msg}`).to.deep.equal(wantBob);
            expect(settled, `settled ${msg}`).to.equal(true);
            if (closing) {
              expect(alice.frames.at(-1)?.type, 'bye is the last frame').to.equal('bye');
              expect(alice.ended, 'the server ended the connection').to.equal(true);
            }
          }
        } finally {
          release();
          pure.stop();
          alice.destroy();
          bob.destroy();
          if (!stops.length) stops.push(server.stop());
          let done = false;
          void Promise.all(stops).then(() => { done = true; });
          // the server waits for its clients on the clock (shutdown grace): move it until the server has stopped
          await until(() => { if (!done) clock.advance(TIMING.shutdownGraceMs); return done; });
          clock.dispose();
        }
        // the sockets' 'close' events (what ends the session) may come a few turns after the server has stopped
        await until(() => real.getSnapshot().status === 'done', 5000);
        expect(real.getSnapshot().status, 'the session ended').to.equal('done');
      });
    }
  });
});
