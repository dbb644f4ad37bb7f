// Model-based tests of the client machine (machines/client.machine.ts).
// Pure: every edge of the model graph (xstate/graph, with and without reconnecting, and with two servers given: the
// attempts then take turns between them, the backoff doubles per round) against the machine with a
// recording ClientPort and invariants in every state. Real: a covering subset of those paths, each against a real
// ClientRuntime (runtime/client-runtime.ts, its own WarpClock) and a TCP server scripted by the test (the peer):
// `socket.open` is the server accepting, `socket.closed` the server dropping the socket or refusing the connection,
// frames are written by the server, `connect` / `rename` / `quit` are the runtime's own start() / rename() / quit(),
// and the delays (handshake deadline, backoff, close grace) are the clock moved by that much. After each step: the
// runtime's client state equals the path's, the events it emitted are what the pure run of the same path told its
// port, and the server received the hellos and byes the pure run sent.
import net from 'node:net';
import tls from 'node:tls';
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { createActor, type AnyStateMachine, type EventObject } from 'xstate';
import { clientMachine, DEFAULT_CLIENT_TIMING, retryWaitMs, type ClientContext, type ClientPort, type ClientTiming } from '../../machines/client.machine.js';
import type { ClientEvent } from '../../machines/client-events.js';
import { ClientRuntime } from '../../runtime/client-runtime.js';
import { WarpClock } from '../../runtime/clock.js';
import { DEFAULT_SESSION_CONFIG } from '../../machines/session.machine.js';
import { inspector } from './coverage.js';
import { coveringPaths, edgePaths, stateText, transitionsOf, type ModelPath, type Snap } from './paths.js';
import { until, type Frame } from './wire.js';
import { TEST_IDENTITY } from '../helpers/tls.js';
import { KnownHosts } from '../../runtime/tls/known-hosts.js';

const machine = clientMachine as AnyStateMachine;
/** The machine's durations in these runs: the defaults, with a backoff long enough that real time never fires it
 *  between two steps (the WarpClock also runs at real speed). */
const TIMING_IN: ClientTiming = { ...DEFAULT_CLIENT_TIMING, backoffBaseMs: 4000, maxBackoffMs: 8000, backoffJitter: 0 };

class ModelPort implements ClientPort {
  calls: string[] = [];
  opened = 0;
  closedCalls = 0;
  lostArgs: Array<{ attempt: number; inMs: number }> = [];
  open(): void { this.opened++; this.calls.push('open'); }
  send(f: { type: string; name?: string }): void { this.calls.push(f.type === 'hello' ? `send:hello:${f.name}` : `send:${f.type}`); }
  end(): void { this.calls.push('end'); }
  online(): void { this.calls.push('online'); }
  refused(code: string): void { this.calls.push(`refused:${code}`); }
  lost(_r: string, _w: boolean, attempt: number, inMs: number): void { this.lostArgs.push({ attempt, inMs }); this.calls.push('lost'); }
  closed(): void { this.closedCalls++; this.calls.push('closed'); }
}

const welcome = { type: 'welcome', v: 1, name: 'ann', server: 'messenger', limits: DEFAULT_SESSION_CONFIG.limits, online: ['ann'] };
const EVENTS: Array<EventObject & { label: string }> = [
  { type: 'connect', label: 'connect' },
  { type: 'socket.open', label: 'socket open' },
  { type: 'socket.closed', reason: 'connection closed by the server', label: 'socket closed' } as EventObject & { label: string },
  { type: 'frame', frame: welcome, label: 'welcome' } as EventObject & { label: string },
  { type: 'frame', frame: { type: 'error', code: 'name-taken', message: 'taken' }, label: 'error(name-taken)' } as EventObject & { label: string },
  { type: 'frame', frame: { type: 'error', code: 'too-many-connections', message: 'full' }, label: 'error(too-many-connections)' } as EventObject & { label: string },
  { type: 'frame', frame: { type: 'error', code: 'rate-limited', message: 'slow down' }, label: 'error(rate-limited)' } as EventObject & { label: string },
  { type: 'frame', frame: { type: 'bye', reason: 'server-shutdown' }, label: 'bye' } as EventObject & { label: string },
  { type: 'rename', name: 'ann2', label: 'rename' } as EventObject & { label: string },
  { type: 'quit', label: 'quit' },
];

const ctxOf = (s: Snap) => s.context as ClientContext;
const serializeState = (s: Snap) => {
  const c = ctxOf(s);
  return JSON.stringify([s.value, Math.min(c.attempts, 2), c.everOnline, c.toldBye, c.name, s.matches('refused') ? c.reason : '']);
};

function checkInvariants(s: Snap, port: ModelPort): void {
  const c = ctxOf(s);
  const where = `in ${stateText(s)}`;
  if (s.matches('closed')) expect(port.closedCalls, `told closed once ${where}`).to.equal(1);
  else expect(port.closedCalls, `not closed ${where}`).to.equal(0);
  if (s.matches('online')) expect(port.calls.at(-1) === 'online' || port.calls.includes('online'), `told online ${where}`).to.equal(true);
  if (s.matches('waiting')) {
    const last = port.lostArgs.at(-1)!;
    expect(last.attempt, `attempt counted ${where}`).to.equal(c.attempts);
    expect(last.inMs, `backoff bounded ${where}`).to.be.at.most(c.timing.maxBackoffMs).and.equal(retryWaitMs(c.attempts, c.hostCount, c.timing, 0));
    expect(c.reconnect, 'only waits when reconnecting').to.equal(true);
  }
  if (s.matches('handshaking')) expect(port.calls.at(-1), `said hello ${where}`).to.equal(`send:hello:${c.name}`);
  if (s.matches('connecting')) expect(port.calls.at(-1), `opened a socket ${where}`).to.equal('open');
  // a bye is final with one server; with several, a shutdown's bye sends the client to another
  if (c.toldBye && c.hostCount === 1) expect(s.matches('waiting'), 'never reconnects after the server said bye').to.equal(false);
  if (c.toldBye && s.matches('waiting') && c.attempts === 1) expect(c.reason, 'only a shutdown is followed by reconnecting').to.equal('server-shutdown');
}

function runPure(p: ModelPath, reconnect: boolean, servers: number): void {
  const port = new ModelPort();
  const actor = createActor(machine, { input: { port, name: 'ann', reconnect, timing: TIMING_IN, servers }, inspect: inspector('client', 'model') });
  actor.start();
  for (const step of p.steps) {
    actor.send(step.event);
    expect(actor.getSnapshot().value, p.name).to.deep.equal(step.state.value);
    checkInvariants(actor.getSnapshot(), port);
  }
  actor.stop();
}

const variants = ([[true, 1], [false, 1], [true, 2]] as const).map(([reconnect, servers]) => {
  const input = () => ({ port: new ModelPort(), name: 'ann', reconnect, timing: TIMING_IN, servers });
  const all = edgePaths({ machine, input, events: () => EVENTS, serializeState });
  const keys = (p: ModelPath) => transitionsOf(machine, input, p);
  const initial = createActor(machine, { input: input() }).getSnapshot();
  const runtime = coveringPaths(all.filter((p) => p.steps.every((s, i) => deliverable(i ? p.steps[i - 1].state : initial, s.event))), keys);
  return { reconnect, servers, label: `reconnect ${reconnect}${servers > 1 ? `, ${servers} servers` : ''}`, all, covering: coveringPaths(all, keys), runtime };
});

describe('model: client machine', function () {
  this.timeout(30000);
  for (const v of variants) {
    describe(`pure machine, ${v.label}: every edge of the model graph (${v.all.length} paths)`, () => {
      it('holds its invariants on every path', () => {
        for (const p of v.all) {
          try { runPure(p, v.reconnect, v.servers); } catch (e) { (e as Error).message = `${p.name}: ${(e as Error).message}`; throw e; }
        }
      });
      for (const p of v.covering) it(`pure: ${p.name}`, () => runPure(p, v.reconnect, v.servers));
    });
  }

  for (const v of variants) {
    describe(`real ClientRuntime against a scripted TCP server, time on a WarpClock, ${v.label} (${v.runtime.length} covering paths)`, () => {
      let dir = '';
      before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-client-')); });
      after(() => fs.rmSync(dir, { recursive: true, force: true }));
      for (const p of v.runtime) it(`real: the runtime's client goes ${p.name}`, () => runReal(p, v.reconnect, v.servers, dir));
    });
  }
});

/** The peer of the client under test: a TCP listener the test scripts (accept or refuse connections, write frames,
 *  drop sockets). Half-open: the client ending its side does not end the server's. */
class ScriptedServer {
  readonly conns: Array<{ socket: net.Socket; frames: Frame[]; ended: boolean }> = [];
  port = 0;
  private listener: net.Server | null = null;

  async listen(): Promise<void> {
    if (this.listener) return;
    const l = tls.createServer({ allowHalfOpen: true, noDelay: true, cert: TEST_IDENTITY.cert, key: TEST_IDENTITY.key, minVersion: 'TLSv1.3' }, (socket) => {
      const c = { socket, frames: [] as Frame[], ended: false };
      this.conns.push(c);
      let buf = '';
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => {
        buf += d;
        for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) { c.frames.push(JSON.parse(buf.slice(0, nl)) as Frame); buf = buf.slice(nl + 1); }
      });
      socket.on('end', () => { c.ended = true; });
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve, reject) => { l.once('error', reject); l.listen(this.port, '127.0.0.1', () => resolve()); });
    this.port = (l.address() as net.AddressInfo).port;
    this.listener = l;
  }

  /** Stops listening: the next connection attempt is refused (ECONNREFUSED). */
  async refuse(): Promise<void> {
    const l = this.listener;
    this.listener = null;
    l?.close();
    await new Promise((r) => setImmediate(r));
  }

  get current() { return this.conns.filter((c) => !c.socket.destroyed).at(-1); }
  /** What the client sent, every connection in turn: `hello:NAME` or the frame type. */
  received(): string[] { return this.conns.flatMap((c) => c.frames.map((f) => (f.type === 'hello' ? `hello:${String(f.name)}` : String(f.type)))); }
  write(frame: unknown): void { this.current?.socket.write(JSON.stringify(frame) + '\n'); }
  drop(): void { this.current?.socket.destroy(); }
  close(): void { void this.refuse(); for (const c of this.conns) c.socket.destroy(); }
}

/** What the real runtime can be made to do from outside, in the state a step starts from: `connect` is `start()`
 *  (once); `socket.open` is the scripted server accepting the connection being made; frames and dropped sockets
 *  need a connection; rename, quit and time passing are always there. */
function deliverable(from: Snap, e: EventObject): boolean {
  const has = (...states: string[]) => states.some((x) => from.matches(x));
  if (e.type === 'connect') return has('disconnected');
  if (e.type === 'socket.open') return has('connecting');
  if (e.type === 'socket.closed') return has('connecting', 'handshaking', 'refused', 'online', 'closing');
  if (e.type === 'frame') return has('handshaking', 'refused', 'online', 'closing');
  return true;
}

/** What a user of the runtime sees for what the client machine told its port, as ClientEvents (type and the
 *  fields that matter). */
function expectedEvents(calls: string[], lost: Array<{ attempt: number; inMs: number }>, name: string): string[] {
  const out: string[] = [];
  let l = 0;
  for (const c of calls) {
    if (c === 'online') out.push(`connected:${name}`);
    else if (c.startsWith('refused:')) out.push(`error:${c.slice('refused:'.length)}`);
    else if (c === 'lost') { const x = lost[l++]; out.push(`reconnecting:${x.attempt}:${x.inMs}`); }
    else if (c === 'closed') out.push('disconnected');
  }
  return out;
}
const eventTag = (e: ClientEvent): string =>
  e.type === 'connected' ? `connected:${e.name}` : e.type === 'error' ? `error:${e.code}` : e.type === 'reconnecting' ? `reconnecting:${e.attempt}:${e.inMs}` : e.type;

async function runReal(p: ModelPath, reconnect: boolean, servers: number, dir: string): Promise<void> {
  const clock = new WarpClock();
  const server = new ScriptedServer();
  await server.listen();
  // a returning user: the scripted server's certificate is already known (a first use would add a `trusted` event)
  const knownHosts = KnownHosts.in(path.join(dir, 'home'));
  knownHosts.set(`127.0.0.1:${server.port}`, TEST_IDENTITY.fingerprint);
  const rt = new ClientRuntime({
    host: '127.0.0.1', port: server.port, name: 'ann', downloadsDir: dir, yes: false, reconnect, timing: TIMING_IN, clock, tls: { knownHosts },
    // two servers: the same scripted one twice (the attempts take turns between the entries of the list)
    servers: Array.from({ length: servers }, () => ({ host: '127.0.0.1', port: server.port })),
    inspect: (id) => (id === 'client' ? inspector('client', 'runtime') : undefined),
  });
  const events: ClientEvent[] = [];
  rt.on('event', (e) => events.push(e));
  const port = new ModelPort();
  const pure = createActor(machine, { input: { port, name: 'ann', reconnect, timing: TIMING_IN, servers } });
  pure.start();
  const real = () => rt.actor.getSnapshot();
  try {
    for (let i = 0; i < p.steps.length; i++) {
      const ev = p.steps[i].event as EventObject & { label?: string; frame?: Frame; name?: string };
      // a step into `connecting` makes a connection attempt: the scripted server is listening for it iff the path
      // has it accepted next, and refuses it otherwise
      if (p.steps[i].state.matches('connecting')) {
        if (p.steps[i + 1]?.event.type === 'socket.open') await server.listen(); else await server.refuse();
      }
      const eventsFrom = events.length;
      const twinCalls = port.calls.length;
      const twinLost = port.lostArgs.length;
      const stimulusRefused = ev.type === 'socket.closed' && real().matches('connecting');
      if (ev.type === 'connect') rt.start();
      else if (ev.type === 'socket.open') { /* the listener accepts the connection under way */ }
      else if (ev.type === 'socket.closed') { if (!stimulusRefused) server.drop(); /* else: the server refused the connection */ }
      else if (ev.type === 'frame') {
        const f = ev.frame!;
        // a server welcomes the name it was greeted with
        const hello = server.current?.frames.filter((x) => x.type === 'hello').at(-1);
        server.write(f.type === 'welcome' ? { ...f, name: hello?.name ?? f.name } : f);
      } else if (ev.type === 'rename') rt.rename(ev.name!);
      else if (ev.type === 'quit') void rt.quit();
      else if (ev.type.startsWith('xstate.after.')) {
        const c = real().context;
        const delay = ev.type.split('.')[2];
        clock.advance(delay === 'backoff' ? c.waitMs : delay === 'handshakeDeadline' ? c.timing.handshakeTimeoutMs : c.timing.closeGraceMs);
      } else throw new Error(`no stimulus for ${ev.type}`);
      // the reason the runtime gives for a socket that closed: a refused connection says so
      pure.send(ev.type === 'socket.closed' && stimulusRefused
        ? { ...ev, reason: `cannot reach 127.0.0.1:${server.port} (ECONNREFUSED): is the server running?` } : ev);
      const want = pure.getSnapshot();
      const calls = port.calls.slice(twinCalls);
      const wantEvents = expectedEvents(calls, port.lostArgs.slice(twinLost), (want.context as ClientContext).name);
      // an error frame that is not a refusal here is shown to the user as it is (a refusal is reported once)
      const f = ev.frame;
      if (f?.type === 'error' && f.re !== 'hello' && !calls.some((c) => c.startsWith('refused:')) && !want.matches('refused')) wantEvents.push(`error:${String(f.code)}`);
      const wantSent = port.calls.filter((c) => c.startsWith('send:')).map((c) => c.slice('send:'.length));
      const gotEvents = () => events.slice(eventsFrom).map(eventTag);
      const closing = want.matches('closing');
      const settled = await until(() => stateText(real()) === stateText(want) && gotEvents().length >= wantEvents.length
        && server.received().length >= wantSent.length && (!closing || server.current?.ended === true));
      const msg = `after ${ev.label ?? ev.type} (model: ${stateText(want)}, runtime: ${stateText(real())})`;
      expect(stateText(real()), `the runtime's client state ${msg}`).to.equal(stateText(want));
      expect(gotEvents(), `events the runtime emitted ${msg}`).to.deep.equal(wantEvents);
      expect(server.received(), `frames the server received ${msg}`).to.deep.equal(wantSent);
      expect(settled, `settled ${msg}`).to.equal(true);
      if (closing) expect(server.current?.ended, `the client ended its socket ${msg}`).to.equal(true);
      if (want.matches('closed')) {
        expect(await rt.whenClosed(), 'whenClosed gives the reason').to.equal((want.context as ClientContext).reason);
        expect(events.filter((e) => e.type === 'disconnected'), 'one disconnected event').to.have.length(1);
      }
    }
  } finally {
    pure.stop();
    if (real().status === 'active') {
      void rt.quit();
      clock.advance(TIMING_IN.closeGraceMs);
    }
    server.close();
    clock.dispose();
  }
}
