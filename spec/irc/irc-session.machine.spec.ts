// machines/irc/irc-session.machine.ts on its own, sans I/O: lines and ticks go in with their `now`, lines come out
// through a recording port. Registration with an asynchronous claim, the penalty timer and Excess Flood on a clock
// moved by hand, the deadlines, SASL in 400-byte chunks.
import { expect } from 'chai';
import fc from 'fast-check';
import { createActor } from 'xstate';
import { DEFAULT_IRC_CONFIG, ircSessionMachine, type IrcConfig, type IrcPort } from '../../machines/irc/irc-session.machine.js';
import { bodyBytes, parseLine } from '../../machines/irc/message.js';
import { LIMITS } from '../../machines/limits.js';
import type { AccountsPort } from '../../machines/session.machine.js';

interface Rig {
  port: IrcPort;
  lines: string[];
  claims: string[];
  verified: { name: string; password: string }[];
  left: { name: string; reason: string }[];
  joined: string[];
  closed: number;
  online: Set<string>;
}

function rig(registered: string[] = []): Rig {
  const r: Rig = { lines: [], claims: [], verified: [], left: [], joined: [], closed: 0, online: new Set(), port: undefined as never };
  const accounts: AccountsPort = {
    isRegistered: (n) => registered.includes(n.toLowerCase()),
    verify: (name, password) => { r.verified.push({ name, password }); },
    register: () => {}, change: () => {}, blocked: () => false, failed: () => {}, succeeded: () => {},
    takeKept: () => [], keptCount: () => 0, keep: () => {},
  };
  r.port = {
    secure: true, peer: '192.0.2.7', accounts,
    hub: {
      isTaken: (n) => r.online.has(n.toLowerCase()), names: () => [...r.online], history: () => [],
      sayAll: () => {}, tell: () => true, join: (name) => { r.joined.push(name); r.online.add(name.toLowerCase()); }, leave: (name, reason) => { r.left.push({ name, reason }); r.online.delete(name.toLowerCase()); },
    },
    send: (l) => { r.lines.push(l); },
    write: () => {},
    claim: (n) => { r.claims.push(n); },
    person: () => null, historyPage: () => {}, listFiles: () => {}, offerFile: () => {}, dccRequest: () => {},
    close: () => { r.closed++; },
    ended: () => {},
  };
  return r;
}

function start(r: Rig, cfg: Partial<IrcConfig> = {}) {
  const actor = createActor(ircSessionMachine, { input: { port: r.port, cfg: { ...DEFAULT_IRC_CONFIG, ...cfg }, now: 0 } }).start();
  const line = (text: string, now = 0) => {
    const p = parseLine(Buffer.from(text));
    if (!p.ok) throw new Error(p.detail);
    actor.send({ type: 'line', msg: p.message, bytes: Buffer.byteLength(text), now });
  };
  const cmds = () => r.lines.map((l) => l.split(' ')[l.startsWith(':') ? 1 : 0]);
  return { actor, line, cmds };
}

describe('machines/irc/irc-session.machine', () => {
  it('NICK and USER claim the name (the answer may come later); 001 and the JOIN follow a successful claim only', () => {
    const r = rig();
    const { actor, line, cmds } = start(r);
    line('NICK ann');
    line('USER ann 0 * :Ann');
    expect(r.claims).to.deep.equal(['ann']);
    expect(actor.getSnapshot().value).to.equal('claiming');
    line('PING :held');
    expect(cmds()).to.deep.equal([]);
    actor.send({ type: 'claim.result', ok: true });
    expect(actor.getSnapshot().value).to.equal('registered');
    expect(cmds().slice(0, 5)).to.deep.equal(['001', '002', '003', '004', '005']);
    expect(r.lines.some((l) => l === ':ann!ann@messenger JOIN #messenger')).to.equal(true);
    expect(actor.getSnapshot().context).to.include({ name: 'ann', inChannel: true });
    expect(r.joined).to.deep.equal(['ann']);
    // the line held while the claim was made is taken at the next tick
    actor.send({ type: 'tick', now: 10 });
    expect(cmds()).to.include('PONG');
  });

  it('a refused claim is 433 and another NICK claims again', () => {
    const r = rig();
    const { actor, line, cmds } = start(r);
    line('NICK ann');
    line('USER ann 0 * :Ann');
    actor.send({ type: 'claim.result', ok: false });
    expect(cmds()).to.deep.equal(['433']);
    expect(actor.getSnapshot().value).to.equal('registering');
    line('NICK ann2');
    expect(r.claims).to.deep.equal(['ann', 'ann2']);
  });

  it('CAP LS holds registration until CAP END; REQ is all or nothing', () => {
    const r = rig();
    const { actor, line } = start(r);
    line('CAP LS 302');
    line('NICK ann');
    line('USER ann 0 * :Ann');
    line('CAP REQ :server-time nope');
    line('CAP REQ :server-time');
    expect(r.claims).to.deep.equal([]);
    expect(r.lines.slice(1)).to.deep.equal([':messenger CAP ann NAK :server-time nope', ':messenger CAP ann ACK :server-time']);
    line('CAP END');
    expect(r.claims).to.deep.equal(['ann']);
    expect(actor.getSnapshot().context.caps).to.deep.equal(['server-time']);
  });

  it('SASL PLAIN in 400-byte chunks: the password is checked once all have come, and 900/903 follow a right one', () => {
    const r = rig(['ann']);
    const { actor, line, cmds } = start(r);
    const password = 'p'.repeat(500);
    const b64 = Buffer.from(`\0ann\0${password}`).toString('base64');
    line('AUTHENTICATE PLAIN');
    expect(r.lines).to.deep.equal(['AUTHENTICATE +']);
    for (let i = 0; i < b64.length; i += 400) line(`AUTHENTICATE ${b64.slice(i, i + 400)}`);
    if (b64.length % 400 === 0) line('AUTHENTICATE +');
    expect(r.verified).to.deep.equal([{ name: 'ann', password }]);
    line('NICK guest');
    line('USER guest 0 * :g');
    expect(r.claims).to.deep.equal([]); // waits for the answer
    actor.send({ type: 'login.checked', account: true, ok: true, now: 0 });
    expect(cmds()).to.include.members(['900', '903']);
    expect(r.claims).to.deep.equal(['ann']);
    expect(r.lines).to.include(':guest!guest@messenger NICK :ann');
  });

  it('a registered nickname without a login is 433; with a wrong SASL password 904 and no claim', () => {
    const r = rig(['ann']);
    const { actor, line, cmds } = start(r);
    line('AUTHENTICATE PLAIN');
    line(`AUTHENTICATE ${Buffer.from('\0ann\0wrong').toString('base64')}`);
    actor.send({ type: 'login.checked', account: true, ok: false, now: 0 });
    line('NICK ann');
    line('USER ann 0 * :Ann');
    expect(cmds()).to.deep.equal(['AUTHENTICATE', '904', '433']);
    expect(r.claims).to.deep.equal([]);
  });

  it('penalty timer: lines beyond the window wait and are released in order as time passes, none refused', () => {
    const r = rig();
    const { actor, line } = start(r, { penaltyMs: 100, penaltyWindowMs: 300 });
    line('NICK ann'); line('USER ann 0 * :Ann');
    actor.send({ type: 'claim.result', ok: true });
    const base = 1000;
    r.lines.length = 0;
    for (let i = 0; i < 10; i++) line(`PING :p${i}`, base);
    const pongs = () => r.lines.filter((l) => l.includes(' PONG ')).map((l) => l.split(':').pop());
    // the timer was at 200 after registration: lines go while it is at most 300 ahead of now
    expect(pongs()).to.deep.equal(['p0', 'p1', 'p2', 'p3']);
    actor.send({ type: 'tick', now: base + 100 });
    expect(pongs()).to.deep.equal(['p0', 'p1', 'p2', 'p3', 'p4']);
    // a tick long after: the timer has fallen behind now, so a window's worth goes at once and the rest waits again
    actor.send({ type: 'tick', now: base + 1000 });
    expect(pongs()).to.deep.equal(Array.from({ length: 9 }, (_, i) => `p${i}`));
    actor.send({ type: 'tick', now: base + 1100 });
    expect(pongs()).to.deep.equal(Array.from({ length: 10 }, (_, i) => `p${i}`));
    expect(actor.getSnapshot().context.held).to.have.length(0);
  });

  it('Excess Flood: more held bytes than the receive queue closes the connection and the hub is told "flood"', () => {
    const r = rig();
    const { actor, line } = start(r, { penaltyMs: 100, penaltyWindowMs: 300, recvQBytes: 200 });
    line('NICK ann'); line('USER ann 0 * :Ann');
    actor.send({ type: 'claim.result', ok: true });
    for (let i = 0; i < 20; i++) line(`PRIVMSG #messenger :${'x'.repeat(40)}`, 0);
    expect(actor.getSnapshot().value).to.equal('closing');
    expect(r.lines[r.lines.length - 1]).to.equal('ERROR :Closing Link: ann[192.0.2.7] (Excess Flood)');
    expect(r.closed).to.equal(1);
    actor.send({ type: 'socket.closed', reason: 'quit' });
    expect(r.left).to.deep.equal([{ name: 'ann', reason: 'flood' }]);
  });

  it('deadlines: registration, then PING after silence and the close after the idle timeout', () => {
    const late = rig();
    const a = start(late, { registrationTimeoutMs: 1000 });
    a.line('NICK ann');
    a.actor.send({ type: 'tick', now: 999 });
    expect(late.closed).to.equal(0);
    a.actor.send({ type: 'tick', now: 1000 });
    expect(late.lines[late.lines.length - 1]).to.match(/Registration timed out/);

    const idle = rig();
    const b = start(idle, { pingEveryMs: 100, idleMs: 300 });
    b.line('NICK bo'); b.line('USER bo 0 * :Bo');
    b.actor.send({ type: 'claim.result', ok: true });
    b.actor.send({ type: 'tick', now: 100 });
    expect(idle.lines[idle.lines.length - 1]).to.equal('PING :messenger');
    b.line('PONG :messenger', 150);
    b.actor.send({ type: 'tick', now: 400 });
    expect(idle.closed).to.equal(0);
    b.actor.send({ type: 'tick', now: 451 });
    expect(idle.lines[idle.lines.length - 1]).to.match(/Ping timeout: 0 seconds|Ping timeout/);
    expect(idle.closed).to.equal(1);
  });

  it('any sequence of lines, ticks and answers (fuzzed): no fault, every line out within 510 body bytes and without CR or LF', () => {
    const COMMANDS = ['NICK', 'USER', 'PASS', 'CAP', 'AUTHENTICATE', 'PING', 'PONG', 'PRIVMSG', 'NOTICE', 'JOIN', 'PART', 'NAMES', 'WHO',
      'WHOIS', 'WHOWAS', 'MODE', 'TOPIC', 'LIST', 'MOTD', 'LUSERS', 'VERSION', 'ISON', 'USERHOST', 'AWAY', 'QUIT', 'KICK', 'TAGMSG', 'CHATHISTORY', 'ZZZ'];
    const word = fc.oneof(fc.constantFrom('#messenger', '#other', 'files', 'ann', 'bob', '*', '+', 'PLAIN', 'LS', 'REQ', 'END', 'LIST', 'get x', 'list',
      '\x01ACTION hi\x01', '\x01DCC SEND a 1 2 3 4\x01', '0', '302', 'server-time', ''), fc.string({ maxLength: 40 }), fc.string({ minLength: 200, maxLength: 500 }));
    const step = fc.oneof(
      fc.record({ kind: fc.constant('line' as const), command: fc.constantFrom(...COMMANDS), params: fc.array(word, { maxLength: 5 }) }),
      fc.record({ kind: fc.constant('tick' as const), dt: fc.integer({ min: 0, max: 40_000 }) }),
      fc.record({ kind: fc.constant('claim' as const), ok: fc.boolean() }),
      fc.record({ kind: fc.constant('login' as const), ok: fc.boolean() }),
    );
    fc.assert(fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
      const r = rig(['bob']);
      const { actor } = start(r, { penaltyMs: 50, penaltyWindowMs: 200, recvQBytes: 2000 });
      let now = 0;
      for (const st of steps) {
        if (st.kind === 'tick') { now += st.dt; actor.send({ type: 'tick', now }); continue; }
        if (st.kind === 'claim') { actor.send({ type: 'claim.result', ok: st.ok }); continue; }
        if (st.kind === 'login') { actor.send({ type: 'login.checked', account: true, ok: st.ok, now }); continue; }
        const text = [st.command, ...st.params.map((p, i) => (i === st.params.length - 1 ? `:${p}` : p.replace(/[\s:]/g, '') || 'x'))].join(' ');
        const p = parseLine(Buffer.from(text.replace(/[\r\n\0]/g, ' ')));
        if (p.ok) actor.send({ type: 'line', msg: p.message, bytes: text.length, now });
      }
      expect(actor.getSnapshot().status).to.not.equal('error');
      for (const l of r.lines) {
        expect(bodyBytes(l), l).to.be.at.most(LIMITS.ircMaxBody);
        expect(/[\r\n]/.test(l), l).to.equal(false);
      }
    }), { numRuns: 300 });
  });
});
