// Model-based tests of the client machine (machines/client.machine.ts).
// Pure: every edge of the model graph (xstate/graph, with and without reconnecting) against the machine with a
// recording ClientPort and invariants in every state. Real: the ClientRuntime (runtime/client-runtime.ts) against a
// real MessengerServer, a closed port and a TCP listener that never answers, one `it` per path of the model that a
// user can drive from outside; each checks the runtime's state and the events a user sees.
import net from 'node:net';
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { createActor, type AnyStateMachine, type EventObject } from 'xstate';
import { backoffMs, clientMachine, type ClientContext, type ClientPort } from '../../machines/client.machine.js';
import type { ClientEvent } from '../../machines/client-events.js';
import { makeLogger } from '../../runtime/logger.js';
import { ClientRuntime } from '../../runtime/client-runtime.js';
import { MessengerServer } from '../../runtime/server.js';
import { DEFAULT_SESSION_CONFIG, type SessionContext } from '../../machines/session.machine.js';
import { inspector } from './coverage.js';
import { coveringPaths, edgePaths, stateText, transitionsOf, type ModelPath, type Snap } from './paths.js';
import { until, Wire } from './wire.js';

const machine = clientMachine as AnyStateMachine;

class ModelPort implements ClientPort {
  calls: string[] = [];
  opened = 0;
  closedCalls = 0;
  lostArgs: Array<{ attempt: number; inMs: number }> = [];
  open(): void { this.opened++; this.calls.push('open'); }
  send(f: { type: string }): void { this.calls.push(`send:${f.type}`); }
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
    expect(last.inMs, `backoff bounded ${where}`).to.be.at.most(c.timing.maxBackoffMs).and.equal(backoffMs(c.attempts - 1, c.timing));
    expect(c.reconnect, 'only waits when reconnecting').to.equal(true);
  }
  if (s.matches('handshaking')) expect(port.calls.at(-1), `said hello ${where}`).to.equal('send:hello');
  if (s.matches('connecting')) expect(port.calls.at(-1), `opened a socket ${where}`).to.equal('open');
  if (c.toldBye) expect(s.matches('waiting'), 'never reconnects after the server said bye').to.equal(false);
}

function runPure(p: ModelPath, reconnect: boolean): void {
  const port = new ModelPort();
  const actor = createActor(machine, { input: { port, name: 'ann', reconnect, timing: { maxBackoffMs: 1000 } }, inspect: inspector('client', 'model') });
  actor.start();
  for (const step of p.steps) {
    actor.send(step.event);
    expect(actor.getSnapshot().value, p.name).to.deep.equal(step.state.value);
    checkInvariants(actor.getSnapshot(), port);
  }
  actor.stop();
}

const variants = [true, false].map((reconnect) => {
  const input = () => ({ port: new ModelPort(), name: 'ann', reconnect, timing: { maxBackoffMs: 1000 } });
  const all = edgePaths({ machine, input, events: () => EVENTS, serializeState });
  return { reconnect, all, covering: coveringPaths(all, (p) => transitionsOf(machine, input, p)) };
});

describe('model: client machine', function () {
  this.timeout(30000);
  for (const v of variants) {
    describe(`pure machine, reconnect ${v.reconnect}: every edge of the model graph (${v.all.length} paths)`, () => {
      it('holds its invariants on every path', () => {
        for (const p of v.all) {
          try { runPure(p, v.reconnect); } catch (e) { (e as Error).message = `${p.name}: ${(e as Error).message}`; throw e; }
        }
      });
      for (const p of v.covering) it(`pure: ${p.name}`, () => runPure(p, v.reconnect));
    });
  }

  describe('real ClientRuntime over TCP', () => {
    const log = makeLogger({ quiet: true });
    let server: MessengerServer;
    let dir = '';
    const sessions = new Map<string, { getSnapshot(): { context: unknown } }>();
    const runtimes: ClientRuntime[] = [];
    const listeners: net.Server[] = [];

    before(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-client-'));
      server = new MessengerServer({
        host: '127.0.0.1', port: 0, filesDir: dir, maxPerAddress: 0, maxConnections: 1000, maxOutboxBytes: 1 << 20, tickMs: 600000, log,
        transfers: { host: '127.0.0.1', ports: [59900, 59915], halfway: 0.5, chunk: 60000, cc: 'bbr', silentMs: 3000, maxPerSession: 4 },
        inspect: (id) => (ev) => { sessions.set(id, ev.actorRef); },
      });
      await server.start();
    });
    afterEach(async () => {
      for (const rt of runtimes.splice(0)) { if (rt.state !== 'closed') { void rt.quit(); await Promise.race([rt.whenClosed(), new Promise((r) => setTimeout(r, 2500))]); } }
      for (const l of listeners.splice(0)) await new Promise((r) => l.close(r));
    });
    after(async () => {
      await server?.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    const client = (name: string, port: number, reconnect = false) => {
      const events: ClientEvent[] = [];
      const rt = new ClientRuntime({
        host: '127.0.0.1', port, name, downloadsDir: dir, yes: false, reconnect, timing: { maxBackoffMs: 300 },
        inspect: (id) => (id === 'client' ? inspector('client', 'runtime') : undefined),
      });
      rt.on('event', (e) => events.push(e));
      runtimes.push(rt);
      return { rt, events, has: (t: string) => events.some((e) => e.type === t) };
    };
    const expectState = async (rt: ClientRuntime, state: string) => {
      expect(await until(() => rt.state === state, 3000), `client in ${state} (is ${rt.state})`).to.equal(true);
    };
    const dropServerSide = (name: string) => {
      for (const a of sessions.values()) {
        const c = a.getSnapshot().context as SessionContext;
        if (c.name === name) (c.port as unknown as { socket: net.Socket }).socket.destroy();
      }
    };

    it('real: connect -> connecting -> handshaking -> online (welcome), quit -> closing -> closed', async () => {
      const c = client('cm-ann', server.port);
      c.rt.start();
      await expectState(c.rt, 'online');
      expect(c.events.find((e) => e.type === 'connected')).to.include({ name: 'cm-ann' });
      const reason = await c.rt.quit();
      expect(reason).to.equal('quit');
      expect(c.rt.state).to.equal('closed');
      expect(c.has('disconnected')).to.equal(true);
    });

    it('real: handshaking -> refused (name-taken) -> rename -> handshaking -> online', async () => {
      const peer = await Wire.connect(server.port);
      peer.send({ type: 'hello', v: 1, name: 'cm-taken' });
      await until(() => peer.frames.some((f) => f.type === 'welcome'));
      const c = client('cm-taken', server.port);
      c.rt.start();
      await expectState(c.rt, 'refused');
      expect(c.events.find((e) => e.type === 'error')).to.include({ code: 'name-taken' });
      c.rt.rename('cm-other');
      await expectState(c.rt, 'online');
      expect(c.events.find((e) => e.type === 'connected')).to.include({ name: 'cm-other' });
      peer.destroy();
    });

    it('real: refused -> quit -> closing -> closed', async () => {
      const c = client('no spaces', server.port);
      c.rt.start();
      await expectState(c.rt, 'refused');
      expect(c.events.find((e) => e.type === 'error')).to.include({ code: 'invalid-name' });
      await c.rt.quit();
      expect(c.rt.state).to.equal('closed');
    });

    it('real: connecting -> closed when the port is closed (no retry before being online)', async () => {
      const l = net.createServer();
      await new Promise<void>((r) => l.listen(0, '127.0.0.1', () => r()));
      const port = (l.address() as net.AddressInfo).port;
      await new Promise((r) => l.close(r));
      const c = client('cm-nobody', port, true);
      c.rt.start();
      expect(await c.rt.whenClosed()).to.match(/ECONNREFUSED/);
      expect(c.events.at(-1)).to.include({ type: 'disconnected' });
      expect(c.has('reconnecting')).to.equal(false);
    });

    it('real: online -> socket closed -> waiting -> (backoff) connecting -> handshaking -> online again', async () => {
      const c = client('cm-lost', server.port, true);
      c.rt.start();
      await expectState(c.rt, 'online');
      dropServerSide('cm-lost');
      await expectState(c.rt, 'waiting');
      expect(c.events.find((e) => e.type === 'reconnecting')).to.include({ attempt: 1 });
      expect(await until(() => c.events.filter((e) => e.type === 'connected').length === 2, 3000), 'back online').to.equal(true);
      expect(c.rt.state).to.equal('online');
    });

    it('real: waiting -> quit -> closed', async () => {
      const c = client('cm-wait', server.port, true);
      c.rt.start();
      await expectState(c.rt, 'online');
      dropServerSide('cm-wait');
      await expectState(c.rt, 'waiting');
      await c.rt.quit();
      expect(c.rt.state).to.equal('closed');
    });

    it('real: online -> server bye -> socket closed -> closed (no reconnect after a bye)', async () => {
      const c = client('cm-bye', server.port, true);
      c.rt.start();
      await expectState(c.rt, 'online');
      for (const a of sessions.values()) {
        const ctx = a.getSnapshot().context as SessionContext;
        if (ctx.name === 'cm-bye') (a as unknown as { send(e: unknown): void }).send({ type: 'shutdown', reason: 'server-shutdown' });
      }
      expect(await c.rt.whenClosed()).to.equal('server-shutdown');
      expect(c.has('reconnecting')).to.equal(false);
    });

    it('real: waiting -> connecting -> socket closed -> waiting (the server is gone for a while)', async () => {
      // a listener that accepts and drops at once: every reconnect attempt fails after having been online
      const l = net.createServer((s) => s.destroy());
      listeners.push(l);
      const c = client('cm-flaky', server.port, true);
      c.rt.start();
      await expectState(c.rt, 'online');
      // point further attempts at the dropping listener
      await new Promise<void>((r) => l.listen(0, '127.0.0.1', () => r()));
      (c.rt.opts as { port: number }).port = (l.address() as net.AddressInfo).port;
      dropServerSide('cm-flaky');
      expect(await until(() => c.events.filter((e) => e.type === 'reconnecting').length >= 2, 3000), 'retried twice').to.equal(true);
      const attempts = c.events.filter((e): e is Extract<ClientEvent, { type: 'reconnecting' }> => e.type === 'reconnecting').map((e) => e.attempt);
      expect(attempts.slice(0, 2)).to.deep.equal([1, 2]);
    });

    it('real: connecting -> quit -> closed; handshaking -> quit -> closing -> (2 s) closed against a silent server', async function () {
      this.timeout(8000);
      const held: net.Socket[] = [];
      const l = net.createServer({ allowHalfOpen: true }, (s) => { held.push(s); s.on("error", () => {}); }); // accepts, never answers, never closes
      listeners.push(l);
      await new Promise<void>((r) => l.listen(0, '127.0.0.1', () => r()));
      const port = (l.address() as net.AddressInfo).port;
      const a = client('cm-q1', port);
      a.rt.start();
      expect(a.rt.state).to.equal('connecting');
      await a.rt.quit();
      expect(a.rt.state).to.equal('closed');
      const b = client('cm-q2', port);
      b.rt.start();
      await expectState(b.rt, 'handshaking');
      const t0 = Date.now();
      const closed = b.rt.quit();
      expect(b.rt.state).to.equal('closing');
      await closed;
      expect(Date.now() - t0, 'closing waits for its 2 s deadline').to.be.at.least(1900);
      for (const s of held) s.destroy();
    });
  });
});
