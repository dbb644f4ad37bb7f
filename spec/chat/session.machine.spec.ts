// machines/session.machine.ts driven directly: a recording fake stands in for its neighbours (the socket side of
// SessionPort and the hub), time comes from the `now` of its events (the hello deadline too, checked on `tick`).
import { expect } from 'chai';
import { createActor } from 'xstate';
import type { ChatLine, ClientFrame, ServerFrame } from '../../machines/frames.js';
import { LIMITS } from '../../machines/limits.js';
const DEFAULT_HISTORY_PAGE = LIMITS.historyPageDefault;
const MAX_HISTORY_PAGE = LIMITS.historyPageMax;
import { nameKey } from '../../machines/nickname.js';
import { DEFAULT_SESSION_CONFIG, sessionMachine, type AccountsPort, type HubPort, type Member, type SessionConfig, type SessionPort, type WelcomeHead } from '../../machines/session.machine.js';

class FakeHub implements HubPort {
  readonly members = new Map<string, { name: string; member: Member }>();
  readonly calls: unknown[][] = [];
  lines: ChatLine[] = [];
  readonly claims = new Set<string>();
  /** When set, claims are answered by the test (a claim in flight), not at once. */
  hold = false;
  claim(name: string): boolean {
    this.calls.push(['claim', name]);
    if (this.members.has(nameKey(name)) || this.claims.has(nameKey(name))) return false;
    this.claims.add(nameKey(name));
    return true;
  }
  release(name: string): void { this.calls.push(['release', name]); this.claims.delete(nameKey(name)); }
  join(name: string, member: Member): void {
    this.calls.push(['join', name]);
    this.members.set(nameKey(name), { name, member });
  }
  leave(name: string, reason: string): void { this.calls.push(['leave', name, reason]); this.members.delete(nameKey(name)); this.claims.delete(nameKey(name)); }
  isTaken(name: string): boolean { return this.members.has(nameKey(name)) || this.claims.has(nameKey(name)); }
  sayAll(from: string, text: string, ts: number): void { this.calls.push(['sayAll', from, text, ts]); }
  tell(from: string, to: string, text: string, ts: number): boolean { this.calls.push(['tell', from, to, text, ts]); return this.isTaken(to); }
  names(): string[] { return [...this.members.values()].map((m) => m.name); }
  history(): ChatLine[] { return this.lines; }
  pages: [number, number | undefined][] = [];
  readable = true;
  historyPage(limit: number, before?: number): ChatLine[] | null {
    this.pages.push([limit, before]);
    return this.readable ? this.lines.filter((l) => before === undefined || (l.id ?? 0) < before).slice(-limit) : null;
  }
}

class FakePort implements SessionPort {
  readonly secure = false;
  // no accounts: accounts/ has their own specs (spec/accounts, spec/model/session.model.spec.ts)
  readonly accounts: AccountsPort = {
    isRegistered: () => false, verify: () => {}, register: () => {}, change: () => {}, blocked: () => false,
    failed: () => {}, succeeded: () => {}, takeKept: () => [], keptCount: () => 0, keep: () => {},
  };
  readonly sent: ServerFrame[] = [];
  readonly closes: string[] = [];
  readonly ends: [string | null, string][] = [];
  readonly transfers: [ClientFrame, string][] = [];
  listed = 0;
  /** The session's actor, set once it is created: the port answers its claims with `name.claimed`. */
  actor: { send(e: { type: 'name.claimed'; ok: boolean; now: number }): void } | null = null;
  constructor(readonly hub: FakeHub) {}
  claim(name: string): void {
    if (this.hub.hold) { this.hub.calls.push(['claim held', name]); return; }
    const ok = this.hub.claim(name);
    this.actor?.send({ type: 'name.claimed', ok, now: 0 });
  }
  write(_line: Buffer): void {}
  send(frame: ServerFrame): void { this.sent.push(frame); }
  welcome(head: WelcomeHead): void { this.sent.push({ ...head, online: this.hub.names() }); }
  close(reason: string): void { this.closes.push(reason); }
  listFiles(): void { this.listed++; }
  transfer(frame: Extract<ClientFrame, { type: 'get' | 'consent' | 'stop' }>, name: string): void { this.transfers.push([frame, name]); }
  ended(name: string | null, reason: string): void { this.ends.push([name, reason]); }
}

function setup(cfg: Partial<Omit<SessionConfig, 'limits'>> & { limits?: Partial<SessionConfig['limits']> } = {}) {
  const hub = new FakeHub();
  const port = new FakePort(hub);
  const full: SessionConfig = { ...DEFAULT_SESSION_CONFIG, ...cfg, limits: { ...DEFAULT_SESSION_CONFIG.limits, ...cfg.limits } };
  const actor = createActor(sessionMachine, { input: { port, cfg: full, now: 0 } });
  port.actor = actor;
  actor.start();
  const frame = (f: ClientFrame, now = 0) => actor.send({ type: 'frame', frame: f, now });
  const state = () => String(actor.getSnapshot().value);
  const last = () => port.sent[port.sent.length - 1];
  const hello = (name = 'alice', now = 0) => frame({ type: 'hello', v: 1, name }, now);
  return { hub, port, actor, frame, state, last, hello, cfg: full };
}

describe('session machine', () => {
  describe('handshake', () => {
    it('welcomes a valid hello: registers the name, sends welcome with limits and who is online', () => {
      const t = setup();
      t.hub.members.set('bob', { name: 'bob', member: { write() {} } });
      t.hello('alice');
      expect(t.state()).to.equal('chatting');
      expect(t.hub.calls).to.deep.include(['join', 'alice']);
      expect(t.port.sent).to.deep.equal([{ type: 'welcome', v: 1, name: 'alice', server: 'messenger', limits: t.cfg.limits, online: ['bob', 'alice'] }]);
      expect(t.actor.getSnapshot().context.name).to.equal('alice');
    });

    it('sends the history right after the welcome when there is any', () => {
      const t = setup();
      t.hub.lines = [{ from: 'bob', text: 'earlier', ts: 5 }];
      t.hello();
      expect(t.port.sent.map((f) => f.type)).to.deep.equal(['welcome', 'history']);
      expect(t.port.sent[1]).to.deep.equal({ type: 'history', messages: [{ from: 'bob', text: 'earlier', ts: 5 }] });
    });

    it('registers the NFC form of the name', () => {
      const t = setup();
      t.hello('Zoe\u0308');
      expect(t.actor.getSnapshot().context.name).to.equal('Zoë');
    });

    it('refuses a wrong version, an invalid name and a taken one (case-insensitively) and stays in handshake', () => {
      const t = setup();
      t.hub.members.set('bob', { name: 'Bob', member: { write() {} } });
      t.frame({ type: 'hello', v: 2, name: 'alice' });
      expect(t.last()).to.include({ type: 'error', code: 'bad-version', re: 'hello' });
      t.hello('no good');
      expect(t.last()).to.include({ type: 'error', code: 'invalid-name', re: 'hello' });
      t.hello('BOB');
      expect(t.last()).to.include({ type: 'error', code: 'name-taken', re: 'hello' });
      expect(t.state()).to.equal('handshake');
      expect(t.hub.calls.filter((c) => c[0] === 'join')).to.deep.equal([]);
      t.hello('alice');
      expect(t.state()).to.equal('chatting');
    });

    it('answers anything but hello with handshake-required (naming the frame type)', () => {
      const t = setup();
      t.frame({ type: 'say', text: 'x' });
      expect(t.last()).to.include({ type: 'error', code: 'handshake-required', re: 'say' });
      t.frame({ type: 'who' });
      expect(t.last()).to.include({ type: 'error', code: 'handshake-required', re: 'who' });
      expect(t.state()).to.equal('handshake');
      t.frame({ type: 'bye' }); // leaving before hello closes at once
      expect(t.state()).to.equal('closing');
      expect(t.hub.calls).to.deep.equal([]);
    });

    it('answers a bad line (codec error) with its code', () => {
      const t = setup();
      t.actor.send({ type: 'bad', code: 'bad-json', message: 'nope', now: 0 });
      expect(t.last()).to.deep.equal({ type: 'error', code: 'bad-json', message: 'nope' });
      expect(t.state()).to.equal('handshake');
    });

    it('closes at the hello deadline: bye hello-timeout, close; ends without a leave when the socket closes', () => {
      const t = setup({ helloTimeoutMs: 1000 });
      t.actor.send({ type: 'tick', now: 999 });
      expect(t.state()).to.equal('handshake');
      t.actor.send({ type: 'tick', now: 1000 });
      expect(t.state()).to.equal('closing');
      expect(t.last()).to.deep.equal({ type: 'bye', reason: 'hello-timeout' });
      expect(t.port.closes).to.deep.equal(['hello-timeout']);
      t.actor.send({ type: 'socket.closed', reason: 'quit' });
      expect(t.actor.getSnapshot().status).to.equal('done');
      expect(t.port.ends).to.deep.equal([[null, 'hello-timeout']]);
      expect(t.hub.calls.filter((c) => c[0] === 'leave')).to.deep.equal([]);
    });

    it('a welcome cancels the hello deadline', () => {
      const t = setup({ helloTimeoutMs: 1000 });
      t.hello();
      t.actor.send({ type: 'tick', now: 5000 });
      expect(t.state()).to.equal('chatting');
      expect(t.port.closes).to.deep.equal([]);
    });
  });

  describe('claiming the name (atomic across a cluster, so answered later)', () => {
    it('waits in claiming for the answer: other frames get handshake-required, a grant welcomes', () => {
      const t = setup();
      t.hub.hold = true;
      t.hello('alice');
      expect(t.state()).to.equal('claiming');
      expect(t.hub.calls).to.deep.include(['claim held', 'alice']);
      t.frame({ type: 'say', text: 'too early' });
      expect(t.last()).to.include({ type: 'error', code: 'handshake-required', re: 'say' });
      expect(t.hub.calls.some((c) => c[0] === 'sayAll')).to.equal(false);
      t.actor.send({ type: 'name.claimed', ok: true, now: 0 });
      expect(t.state()).to.equal('chatting');
      expect(t.hub.calls).to.deep.include(['join', 'alice']);
      expect(t.last()).to.include({ type: 'welcome', name: 'alice' });
    });

    it('a claim lost to another session (on any server) answers name-taken and goes back to the handshake', () => {
      const t = setup();
      t.hub.hold = true;
      t.hello('alice');
      t.actor.send({ type: 'name.claimed', ok: false, now: 0 });
      expect(t.state()).to.equal('handshake');
      expect(t.last()).to.include({ type: 'error', code: 'name-taken', re: 'hello' });
      expect(t.actor.getSnapshot().context.pending).to.equal(null);
      expect(t.hub.calls.some((c) => c[0] === 'join')).to.equal(false);
      // and a second hello with a free name goes through
      t.hub.hold = false;
      t.hello('alicia');
      expect(t.state()).to.equal('chatting');
    });

    it('the hello deadline still holds while claiming; a socket closed while claiming ends without a leave', () => {
      const t = setup({ helloTimeoutMs: 1000 });
      t.hub.hold = true;
      t.hello('alice', 10);
      t.actor.send({ type: 'tick', now: 999 });
      expect(t.state()).to.equal('claiming');
      t.actor.send({ type: 'tick', now: 1000 });
      expect(t.state()).to.equal('closing');
      expect(t.port.sent.at(-1)).to.deep.equal({ type: 'bye', reason: 'hello-timeout' });
      t.actor.send({ type: 'socket.closed', reason: 'gone' });
      expect(t.port.ends).to.deep.equal([[null, 'hello-timeout']]);
      expect(t.hub.calls.some((c) => c[0] === 'leave')).to.equal(false);
    });

    it('bye while claiming closes with reason quit', () => {
      const t = setup();
      t.hub.hold = true;
      t.hello('alice');
      t.frame({ type: 'bye' });
      expect(t.state()).to.equal('closing');
      expect(t.port.sent.at(-1)).to.deep.equal({ type: 'bye', reason: 'quit' });
    });
  });

  describe('chatting', () => {
    it('routes say to the hub with the sender name and the time', () => {
      const t = setup();
      t.hello();
      t.frame({ type: 'say', text: 'hi all' }, 42);
      expect(t.hub.calls).to.deep.include(['sayAll', 'alice', 'hi all', 42]);
    });

    it('routes tell to an online recipient; answers an unknown one with unknown-user', () => {
      const t = setup();
      t.hub.members.set('bob', { name: 'bob', member: { write() {} } });
      t.hello();
      t.frame({ type: 'tell', to: 'BOB', text: 'psst' }, 7);
      expect(t.hub.calls).to.deep.include(['tell', 'alice', 'BOB', 'psst', 7]);
      const n = t.port.sent.length;
      t.frame({ type: 'tell', to: 'carol', text: 'hey' });
      expect(t.port.sent.slice(n)).to.have.length(1);
      expect(t.last()).to.include({ type: 'error', code: 'unknown-user', re: 'tell' });
      expect(t.hub.calls.filter((c) => c[0] === 'tell')).to.have.length(1);
    });

    it('answers who with online names, files through the port, and hands transfer frames on with the name', () => {
      const t = setup();
      t.hello();
      t.frame({ type: 'who' });
      expect(t.last()).to.deep.equal({ type: 'online', names: ['alice'] });
      t.frame({ type: 'files' });
      expect(t.port.listed).to.equal(1);
      const get: ClientFrame = { type: 'get', file: 'a.txt' };
      t.frame(get);
      t.frame({ type: 'consent', id: 1, answer: 'yes' });
      t.frame({ type: 'stop', id: 1 });
      expect(t.port.transfers).to.deep.equal([[get, 'alice'], [{ type: 'consent', id: 1, answer: 'yes' }, 'alice'], [{ type: 'stop', id: 1 }, 'alice']]);
    });

    it('answers a history request with a page of older lines, its limit capped at MAX_HISTORY_PAGE', () => {
      const t = setup();
      t.hub.lines = [{ id: 1, from: 'bob', text: 'a', ts: 1 }, { id: 2, from: 'bob', text: 'b', ts: 2 }];
      t.hello();
      t.frame({ type: 'history', before: 2 });
      expect(t.last()).to.deep.equal({ type: 'history', messages: [{ id: 1, from: 'bob', text: 'a', ts: 1 }], older: true });
      t.frame({ type: 'history', limit: 100000 });
      expect(t.hub.pages).to.deep.equal([[DEFAULT_HISTORY_PAGE, 2], [MAX_HISTORY_PAGE, undefined]]);
      t.hub.readable = false;
      t.frame({ type: 'history' });
      expect(t.last()).to.include({ type: 'error', code: 'store-unavailable', re: 'history' });
    });

    it('answers ping with pong (echoing t); a pong gets no answer; a second hello gets already-online', () => {
      const t = setup();
      t.hello();
      t.frame({ type: 'ping', t: 99 });
      expect(t.last()).to.deep.equal({ type: 'pong', t: 99 });
      t.frame({ type: 'ping' });
      expect(t.last()).to.deep.equal({ type: 'pong' });
      const n = t.port.sent.length;
      t.frame({ type: 'pong', t: 1 });
      expect(t.port.sent.length).to.equal(n);
      t.hello('other');
      expect(t.last()).to.include({ type: 'error', code: 'already-online', re: 'hello' });
      expect(t.actor.getSnapshot().context.name).to.equal('alice');
    });

    it('answers bad lines with their code and stays', () => {
      const t = setup();
      t.hello();
      t.actor.send({ type: 'bad', code: 'line-too-long', message: 'too long', now: 1 });
      expect(t.last()).to.deep.equal({ type: 'error', code: 'line-too-long', message: 'too long' });
      expect(t.state()).to.equal('chatting');
    });

    it('bye: says bye (quit), closes, and leaves the hub with reason quit once the socket has closed', () => {
      const t = setup();
      t.hello();
      t.frame({ type: 'bye' });
      expect(t.state()).to.equal('closing');
      expect(t.last()).to.deep.equal({ type: 'bye', reason: 'quit' });
      expect(t.port.closes).to.deep.equal(['quit']);
      // frames after bye are ignored
      const n = t.port.sent.length;
      t.frame({ type: 'say', text: 'late' });
      t.frame({ type: 'who' });
      expect(t.port.sent.length).to.equal(n);
      expect(t.hub.calls.filter((c) => c[0] === 'sayAll')).to.deep.equal([]);
      t.actor.send({ type: 'socket.closed', reason: 'quit' });
      expect(t.hub.calls).to.deep.include(['leave', 'alice', 'quit']);
      expect(t.port.ends).to.deep.equal([['alice', 'quit']]);
      expect(t.actor.getSnapshot().status).to.equal('done');
    });

    it('a vanished socket leaves the hub with the reason it closed for (gone, slow-reader)', () => {
      for (const reason of ['gone', 'slow-reader']) {
        const t = setup();
        t.hello();
        t.actor.send({ type: 'socket.closed', reason });
        expect(t.hub.calls).to.deep.include(['leave', 'alice', reason]);
        expect(t.port.ends).to.deep.equal([['alice', reason]]);
        expect(t.port.sent.filter((f) => f.type === 'bye')).to.deep.equal([]);
      }
    });

    it('shutdown: says bye with the reason and closes; a second shutdown changes nothing', () => {
      const t = setup();
      t.hello();
      t.actor.send({ type: 'shutdown', reason: 'server-shutdown' });
      t.actor.send({ type: 'shutdown', reason: 'again' });
      expect(t.port.sent.filter((f) => f.type === 'bye')).to.deep.equal([{ type: 'bye', reason: 'server-shutdown' }]);
      expect(t.port.closes).to.deep.equal(['server-shutdown']);
      t.actor.send({ type: 'socket.closed', reason: 'quit' });
      expect(t.hub.calls).to.deep.include(['leave', 'alice', 'server-shutdown']);
    });
  });

  describe('rate limit and flood', () => {
    it('spends a token per frame; beyond the burst answers rate-limited without acting; refills with time', () => {
      const t = setup({ limits: { ratePerSec: 2, burst: 3 } });
      t.hello('alice', 0); // token 1
      t.frame({ type: 'say', text: 'a' }, 0);
      t.frame({ type: 'say', text: 'b' }, 0);
      t.frame({ type: 'say', text: 'c' }, 0);
      expect(t.hub.calls.filter((c) => c[0] === 'sayAll').map((c) => c[2])).to.deep.equal(['a', 'b']);
      expect(t.last()).to.include({ type: 'error', code: 'rate-limited', re: 'say' });
      t.frame({ type: 'say', text: 'd' }, 500); // one token back after 500 ms at 2/s
      expect(t.hub.calls.filter((c) => c[0] === 'sayAll').map((c) => c[2])).to.deep.equal(['a', 'b', 'd']);
    });

    it('rate-limits in the handshake too', () => {
      const t = setup({ limits: { ratePerSec: 1, burst: 2 } });
      t.frame({ type: 'who' }, 0);
      t.frame({ type: 'who' }, 0);
      t.hello('alice', 0);
      expect(t.last()).to.include({ type: 'error', code: 'rate-limited' });
      expect(t.state()).to.equal('handshake');
      t.hello('alice', 1000);
      expect(t.state()).to.equal('chatting');
    });

    it('closes with bye flood after floodAfter refused frames in a row, and leaves with reason flood', () => {
      const t = setup({ floodAfter: 3 });
      t.hello();
      for (let i = 0; i < 3; i++) t.actor.send({ type: 'bad', code: 'bad-json', message: 'x', now: 0 });
      expect(t.state()).to.equal('chatting');
      t.actor.send({ type: 'bad', code: 'bad-json', message: 'x', now: 0 });
      expect(t.state()).to.equal('closing');
      expect(t.last()).to.deep.equal({ type: 'bye', reason: 'flood' });
      t.actor.send({ type: 'socket.closed', reason: 'quit' });
      expect(t.hub.calls).to.deep.include(['leave', 'alice', 'flood']);
    });

    it('an accepted frame resets the refused count; rate-limited frames count as refused', () => {
      const t = setup({ floodAfter: 3, limits: { ratePerSec: 1, burst: 2 } });
      t.hello('alice', 0);
      t.actor.send({ type: 'bad', code: 'bad-json', message: 'x', now: 0 });
      t.actor.send({ type: 'bad', code: 'bad-json', message: 'x', now: 0 });
      t.frame({ type: 'who' }, 0); // accepted: resets
      t.actor.send({ type: 'bad', code: 'bad-json', message: 'x', now: 0 });
      t.actor.send({ type: 'bad', code: 'bad-json', message: 'x', now: 0 });
      expect(t.state()).to.equal('chatting');
      t.frame({ type: 'who' }, 0); // out of tokens: refused, third in a row
      t.frame({ type: 'who' }, 0);
      expect(t.state()).to.equal('closing');
      expect(t.last()).to.deep.equal({ type: 'bye', reason: 'flood' });
    });
  });

  describe('keepalive ticks', () => {
    it('pings after pingEveryMs of silence, once per period, and closes after idleMs (bye idle-timeout)', () => {
      const t = setup({ pingEveryMs: 100, limits: { idleMs: 350 } });
      t.hello('alice', 0);
      const pings = () => t.port.sent.filter((f) => f.type === 'ping').length;
      t.actor.send({ type: 'tick', now: 50 });
      expect(pings()).to.equal(0);
      t.actor.send({ type: 'tick', now: 100 });
      expect(pings()).to.equal(1);
      t.actor.send({ type: 'tick', now: 150 });
      expect(pings()).to.equal(1);
      t.actor.send({ type: 'tick', now: 200 });
      expect(pings()).to.equal(2);
      t.actor.send({ type: 'tick', now: 350 });
      expect(t.state()).to.equal('chatting');
      t.actor.send({ type: 'tick', now: 351 });
      expect(t.state()).to.equal('closing');
      expect(t.last()).to.deep.equal({ type: 'bye', reason: 'idle-timeout' });
      t.actor.send({ type: 'socket.closed', reason: 'quit' });
      expect(t.hub.calls).to.deep.include(['leave', 'alice', 'idle-timeout']);
    });

    it('any frame heard (a pong too) postpones both the ping and the idle timeout', () => {
      const t = setup({ pingEveryMs: 100, limits: { idleMs: 300 } });
      t.hello('alice', 0);
      for (let now = 90; now < 2000; now += 90) {
        t.frame({ type: 'pong' }, now);
        t.actor.send({ type: 'tick', now: now + 1 });
      }
      expect(t.state()).to.equal('chatting');
      expect(t.port.sent.filter((f) => f.type === 'ping')).to.deep.equal([]);
    });

    it('in the handshake a tick checks only the hello deadline: no ping, no idle timeout before it', () => {
      const t = setup({ pingEveryMs: 10, helloTimeoutMs: 100000, limits: { idleMs: 10 } });
      t.actor.send({ type: 'tick', now: 99999 });
      expect(t.state()).to.equal('handshake');
      expect(t.port.sent).to.deep.equal([]);
      t.actor.send({ type: 'tick', now: 100000 });
      expect(t.last()).to.deep.equal({ type: 'bye', reason: 'hello-timeout' });
    });
  });
});
