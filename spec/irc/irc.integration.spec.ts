// The IRC listener over real sockets: raw IRC clients beside raw NDJSON clients on one server. Registration, CAP,
// SASL, the nickname numerics, the one channel, chat both ways, NAMES/WHO/WHOIS, JOIN/PART/QUIT both ways,
// keepalive, the registration deadline, oversize lines, IRC's penalty timer and the flood disconnect, history, TLS.
import { expect } from 'chai';
import { IrcClients, startIrcServer, type IrcClient, type IrcTestServer } from '../helpers/irc.js';
import { delay } from '../helpers/recorder.js';
import { Scope } from '../helpers/scope.js';
import { makeTempDir, removeDir } from '../helpers/tmp.js';
import { SqliteStore } from '../../runtime/store/sqlite/sqlite-store.js';
import type { TestServerOptions } from '../helpers/server.js';
import type { IrcConfig } from '../../machines/irc/irc-session.machine.js';

const CHEAP = { N: 1 << 10, r: 8, p: 1 };
const plain64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

describe('IRC listener: raw IRC clients and NDJSON clients on one server', function () {
  this.timeout(20000);
  let scope: Scope;
  let clients: IrcClients;
  let servers: IrcTestServer[];
  beforeEach(() => { scope = new Scope(); clients = new IrcClients(); servers = []; });
  afterEach(async () => {
    clients.dispose();
    for (const s of servers) await s.stop();
    await scope.dispose();
  });

  async function start(o: TestServerOptions & { irc?: Partial<IrcConfig>; ircTickMs?: number } = {}): Promise<IrcTestServer> {
    const s = await startIrcServer(scope, { plain: true, ...o });
    servers.push(s);
    return s;
  }
  const irc = (s: IrcTestServer, label = 'irc', secure = false): Promise<IrcClient> => clients.connect(s.ircPort, secure, label);
  const ndjson = async (s: IrcTestServer, name: string, secure = false) => {
    const r = await scope.raw(s.srv.port, name, secure);
    await r.hello(name);
    return r;
  };

  describe('registration', () => {
    it('NICK and USER get 001-005, the MOTD, and the JOIN of #messenger with its topic and names (both kinds of client)', async () => {
      const s = await start();
      await ndjson(s, 'bob');
      const c = await irc(s, 'alice');
      await c.register('alice');
      for (const n of ['001', '002', '003', '004', '005', '251', '375', '372', '376', '332', '353', '366']) {
        expect(c.find((l) => l.command === n), n).to.not.equal(undefined);
      }
      expect(c.find((l) => l.command === '001')!.params[0]).to.equal('alice');
      const join = c.find((l) => l.command === 'JOIN')!;
      expect(join.source).to.equal('alice!alice@messenger');
      expect(join.params).to.deep.equal(['#messenger']);
      const names = c.find((l) => l.command === '353')!.params[3]!.split(' ');
      expect(names).to.have.members(['alice', 'bob']);
    });

    it('commands before registration get 451; a second USER 462; PING is answered before and after', async () => {
      const s = await start();
      const c = await irc(s);
      c.send('PRIVMSG #messenger :too early', 'PING :tok1');
      expect((await c.waitCommand('451')).params[0]).to.equal('*');
      expect((await c.waitCommand('PONG')).params).to.deep.equal(['messenger', 'tok1']);
      await c.register('carol');
      const since = c.mark();
      c.send('USER x 0 * :again', 'PING :tok2');
      await c.waitCommand('462', () => true, { since });
      await c.waitCommand('PONG', (l) => l.params[1] === 'tok2', { since });
    });

    it('432 for an invalid nickname and for the file service\'s, 433 for one taken by an NDJSON client (case-insensitively), 431 without one', async () => {
      const s = await start();
      await ndjson(s, 'Dave');
      const c = await irc(s);
      c.send('NICK');
      await c.waitCommand('431');
      c.send('NICK bad[nick]');
      expect((await c.waitCommand('432')).params[1]).to.equal('bad[nick]');
      c.send('NICK files');
      expect((await c.waitCommand('432', (l) => l.params[1] === 'files')).params[2]).to.match(/file service/);
      c.send('NICK dave');
      expect((await c.waitCommand('433')).params[1]).to.equal('dave');
      await c.register('dave2');
    });

    it('a nickname taken between NICK and the end of registration gets 433, and another NICK then registers', async () => {
      const s = await start();
      const c = await irc(s);
      c.send('CAP LS 302', 'NICK erin', 'USER erin 0 * :Erin');
      await c.waitCommand('CAP');
      await ndjson(s, 'erin');
      c.send('CAP END');
      await c.waitCommand('433', (l) => l.params[1] === 'erin');
      c.send('NICK erin_');
      expect((await c.waitCommand('001')).params[0]).to.equal('erin_');
    });

    it('a connection that does not register in time is closed with ERROR', async () => {
      const s = await start({ irc: { registrationTimeoutMs: 300 } });
      const c = await irc(s);
      c.send('NICK slow');
      expect((await c.waitCommand('ERROR', () => true, 3000)).params[0]).to.match(/Registration timed out/);
      await c.waitEnd(3000);
    });
  });

  describe('CAP', () => {
    it('CAP LS 302 lists server-time, message-tags, echo-message, batch and sasl=PLAIN; registration waits for CAP END', async () => {
      const s = await start();
      const c = await irc(s);
      c.send('CAP LS 302', 'NICK frank', 'USER frank 0 * :Frank');
      const ls = await c.waitCommand('CAP', (l) => l.params[1] === 'LS');
      expect(ls.params[2]!.split(' ')).to.include.members(['server-time', 'message-tags', 'echo-message', 'batch', 'sasl=PLAIN']);
      c.send('CAP REQ :server-time bogus-cap');
      expect((await c.waitCommand('CAP', (l) => l.params[1] === 'NAK')).params[2]).to.equal('server-time bogus-cap');
      c.send('CAP REQ :server-time message-tags');
      await c.waitCommand('CAP', (l) => l.params[1] === 'ACK');
      await delay(200);
      expect(c.find((l) => l.command === '001')).to.equal(undefined);
      c.send('CAP LIST');
      expect((await c.waitCommand('CAP', (l) => l.params[1] === 'LIST')).params[2]!.split(' ')).to.have.members(['server-time', 'message-tags']);
      c.send('CAP END');
      await c.waitCommand('001');
      c.send('CAP FOO');
      await c.waitCommand('410');
    });

    it('CAP LS without 302 lists sasl without its value', async () => {
      const s = await start();
      const c = await irc(s);
      c.send('CAP LS');
      const ls = await c.waitCommand('CAP');
      expect(ls.params[2]!.split(' ')).to.include('sasl').and.not.include('sasl=PLAIN');
    });
  });

  describe('SASL PLAIN and registered nicknames', () => {
    let dir: string;
    let store: SqliteStore;
    beforeEach(() => { dir = makeTempDir('messenger-irc-accounts-'); store = SqliteStore.open(dir); });
    afterEach(() => { removeDir(dir); });

    async function startWithAccount(o: TestServerOptions = {}): Promise<IrcTestServer> {
      const s = await startIrcServer(scope, { store, scryptCost: CHEAP, ...o });
      servers.push(s);
      expect(await s.srv.server.accounts!.register('grace', 'correct horse')).to.equal('ok');
      return s;
    }

    async function sasl(c: IrcClient, nick: string, payload: string): Promise<void> {
      c.send('CAP LS 302', `NICK ${nick}`, `USER ${nick} 0 * :x`, 'CAP REQ :sasl');
      await c.waitCommand('CAP', (l) => l.params[1] === 'ACK');
      c.send('AUTHENTICATE PLAIN');
      await c.waitCommand('AUTHENTICATE', (l) => l.params[0] === '+');
      c.send(`AUTHENTICATE ${payload}`);
    }

    it('over TLS: the right password gets 900 and 903, and the client is known by its account\'s name', async () => {
      const s = await startWithAccount();
      const c = await clients.connect(s.ircPort, true, 'grace');
      await sasl(c, 'guest', plain64('\0grace\0correct horse'));
      const logged = await c.waitCommand('900');
      expect(logged.params[2]).to.equal('grace');
      await c.waitCommand('903');
      c.send('CAP END');
      const nick = await c.waitCommand('NICK');
      expect(nick.params[0]).to.equal('grace');
      expect((await c.waitCommand('001')).params[0]).to.equal('grace');
      // WHOIS says the account
      c.send('WHOIS grace');
      expect((await c.waitCommand('330')).params.slice(1, 3)).to.deep.equal(['grace', 'grace']);
    });

    it('a wrong password gets 904 (and stays unregistered), a malformed message 904, an unknown mechanism 908 and 904, AUTHENTICATE * 906', async () => {
      const s = await startWithAccount();
      const c = await clients.connect(s.ircPort, true, 'mallory');
      await sasl(c, 'grace', plain64('\0grace\0wrong'));
      await c.waitCommand('904');
      let since = c.mark();
      c.send('AUTHENTICATE PLAIN');
      await c.waitCommand('AUTHENTICATE', () => true, { since });
      c.send('AUTHENTICATE !!notbase64');
      await c.waitCommand('904', () => true, { since });
      since = c.mark();
      c.send('AUTHENTICATE SCRAM-SHA-256');
      await c.waitCommand('908', () => true, { since });
      await c.waitCommand('904', () => true, { since });
      c.send('AUTHENTICATE PLAIN', 'AUTHENTICATE *');
      await c.waitCommand('906');
      // the registered nickname without a login: 433, and the client may take another
      since = c.mark();
      c.send('CAP END');
      const refused = await c.waitCommand('433', () => true, { since });
      expect(refused.params[2]).to.match(/registered/);
      c.send('NICK notgrace');
      await c.waitCommand('001');
    });

    it('PASS logs in to a registered nickname for clients without SASL; a wrong PASS gets 464 and the close', async () => {
      const s = await startWithAccount();
      const bad = await clients.connect(s.ircPort, true, 'pass-bad');
      bad.send('PASS :nope', 'NICK Grace', 'USER g 0 * :g');
      await bad.waitCommand('464');
      await bad.waitEnd(3000);
      const ok = await clients.connect(s.ircPort, true, 'pass-ok');
      await ok.register('grace', { before: ['PASS :correct horse'] });
    });

    it('on a plain listener SASL is refused with 904 unless the server allows insecure auth', async () => {
      const s = await startWithAccount({ plain: true });
      const c = await irc(s);
      await sasl(c, 'grace', plain64('\0grace\0correct horse'));
      expect((await c.waitCommand('904')).params[1]).to.match(/TLS/);
    });
  });

  describe('the one channel', () => {
    it('a JOIN of another channel gets 403; JOIN #messenger while in it changes nothing', async () => {
      const s = await start();
      const c = await irc(s);
      await c.register('henry');
      const since = c.mark();
      c.send('JOIN #other,#messenger', 'PRIVMSG #other :hi', 'PING :done');
      expect((await c.waitCommand('403', () => true, { since })).params[1]).to.equal('#other');
      await c.waitCommand('PONG', () => true, { since });
      expect(c.after(since).filter((l) => l.command === 'JOIN')).to.have.length(0);
      expect(c.after(since).filter((l) => l.command === '403')).to.have.length(2);
    });

    it('PRIVMSG both ways: channel to everyone, private to one, /me as CTCP ACTION; 401 for nobody', async () => {
      const s = await start();
      const bob = await ndjson(s, 'bob');
      const c = await irc(s, 'ivy');
      await c.register('ivy');
      c.send('PRIVMSG #messenger :hello from irc', 'PRIVMSG bob :just you', 'PRIVMSG #messenger :\x01ACTION waves\x01');
      const all = await bob.waitForType('message', (f) => f.text === 'hello from irc');
      expect(all).to.include({ from: 'ivy' });
      expect(all.to).to.equal(undefined);
      expect(await bob.waitForType('message', (f) => f.text === 'just you')).to.include({ from: 'ivy', to: 'bob' });
      await bob.waitForType('message', (f) => f.text === '/me waves');
      // and back
      bob.send({ type: 'say', text: 'hi irc people' });
      bob.send({ type: 'tell', to: 'ivy', text: 'psst' });
      bob.send({ type: 'say', text: '/me nods' });
      const ch = await c.waitCommand('PRIVMSG', (l) => l.params[1] === 'hi irc people');
      expect(ch.source).to.equal('bob!bob@messenger');
      expect(ch.params[0]).to.equal('#messenger');
      expect((await c.waitCommand('PRIVMSG', (l) => l.params[1] === 'psst')).params[0]).to.equal('ivy');
      await c.waitCommand('PRIVMSG', (l) => l.params[1] === '\x01ACTION nods\x01');
      // without echo-message the client does not get its own lines back
      expect(c.find((l) => l.command === 'PRIVMSG' && l.params[1] === 'hello from irc')).to.equal(undefined);
      c.send('PRIVMSG nobody :hello?', 'PRIVMSG #messenger', 'PRIVMSG');
      expect((await c.waitCommand('401')).params[1]).to.equal('nobody');
      await c.waitCommand('412');
      await c.waitCommand('411');
    });

    it('a long message from an NDJSON client arrives as several IRC lines, none over 512 bytes', async () => {
      const s = await start();
      const bob = await ndjson(s, 'bob');
      const c = await irc(s, 'jack');
      await c.register('jack');
      const text = 'é'.repeat(1500) + ' end';
      bob.send({ type: 'say', text });
      await c.waitCommand('PRIVMSG', (l) => l.params[1]!.endsWith('end'));
      const lines = c.after(0).filter((l) => l.command === 'PRIVMSG');
      for (const l of lines) expect(Buffer.byteLength(l.raw) + 2).to.be.at.most(512);
      expect(lines.map((l) => l.params[1]).join('')).to.equal(text);
    });

    it('with echo-message and server-time, the client gets its own line back with a time tag', async () => {
      const s = await start();
      const c = await irc(s, 'kim');
      await c.register('kim', { before: ['CAP LS 302', 'CAP REQ :echo-message server-time'], after: ['CAP END'] });
      c.send('PRIVMSG #messenger :echoed');
      const echo = await c.waitCommand('PRIVMSG', (l) => l.params[1] === 'echoed');
      expect(echo.source).to.equal('kim!kim@messenger');
      expect(echo.tags.time).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    });

    it('NAMES, WHO and WHOIS show IRC users and NDJSON clients; WHOIS of nobody gets 401 and 318', async () => {
      const s = await start();
      await ndjson(s, 'bob');
      const other = await irc(s, 'lena');
      await other.register('lena');
      const c = await irc(s, 'mike');
      await c.register('mike');
      let since = c.mark();
      c.send('NAMES #messenger');
      await c.waitCommand('366', () => true, { since });
      const names = c.after(since).filter((l) => l.command === '353').flatMap((l) => l.params[3]!.split(' '));
      expect(names).to.have.members(['bob', 'lena', 'mike']);
      since = c.mark();
      c.send('WHO #messenger');
      await c.waitCommand('315', () => true, { since });
      const who = c.after(since).filter((l) => l.command === '352');
      expect(who.map((l) => l.params[5])).to.have.members(['bob', 'lena', 'mike']);
      expect(who.find((l) => l.params[5] === 'lena')!.params[7]).to.equal('0 lena the tester');
      since = c.mark();
      c.send('WHOIS bob');
      await c.waitCommand('318', () => true, { since });
      expect(c.find((l) => l.command === '311', since)!.params[1]).to.equal('bob');
      expect(c.find((l) => l.command === '319', since)!.params[2]).to.equal('#messenger');
      since = c.mark();
      c.send('WHOIS ghost');
      await c.waitCommand('401', () => true, { since });
      await c.waitCommand('318', () => true, { since });
    });

    it('JOIN and QUIT both ways, PART and JOIN again: each side sees the other come and go', async () => {
      const s = await start();
      const c = await irc(s, 'nina');
      await c.register('nina');
      // an NDJSON client comes and goes
      const bob = await ndjson(s, 'bob');
      expect((await c.waitCommand('JOIN', (l) => l.source!.startsWith('bob!'))).params[0]).to.equal('#messenger');
      bob.send({ type: 'bye' });
      expect((await c.waitCommand('QUIT', (l) => l.source!.startsWith('bob!'))).params[0]).to.equal('Quit');
      // an IRC client comes, parts, joins again and quits, as both kinds of client see it
      const carl = await ndjson(s, 'carl');
      const o = await irc(s, 'olga');
      await o.register('olga');
      await carl.waitForType('joined', (f) => f.name === 'olga');
      await c.waitCommand('JOIN', (l) => l.source!.startsWith('olga!'));
      o.send('PART #messenger :brb');
      expect((await o.waitCommand('PART')).source).to.match(/^olga!/);
      expect(await carl.waitForType('left', (f) => f.name === 'olga')).to.include({ reason: 'part' });
      await c.waitCommand('PART', (l) => l.source!.startsWith('olga!'));
      // parted: the channel is closed to her until she joins again
      o.send('PRIVMSG #messenger :anyone?');
      await o.waitCommand('404');
      const since = o.mark();
      o.send('JOIN #messenger');
      await o.waitCommand('366', () => true, { since });
      await carl.waitForType('joined', (f) => f.name === 'olga', { since: 1 });
      o.send('QUIT :off');
      expect((await o.waitCommand('ERROR')).params[0]).to.match(/Quit: off/);
      expect(await carl.waitForType('left', (f) => f.name === 'olga' && f.reason === 'quit')).to.include({ reason: 'quit' });
      await c.waitCommand('QUIT', (l) => l.source!.startsWith('olga!'));
    });

    it('history is replayed at registration: with server-time as tags, without it as a prefix of the text', async () => {
      const s = await start();
      const bob = await ndjson(s, 'bob');
      bob.send({ type: 'say', text: 'said before' });
      await bob.waitForType('message', (f) => f.text === 'said before');
      const tagged = await irc(s, 'paul');
      await tagged.register('paul', { before: ['CAP LS 302', 'CAP REQ :server-time batch'], after: ['CAP END'] });
      const t = await tagged.waitCommand('PRIVMSG', (l) => l.params[1] === 'said before');
      expect(t.tags.time).to.match(/Z$/);
      expect(t.tags.batch).to.be.a('string');
      expect(tagged.find((l) => l.command === 'BATCH' && l.params[1] === 'chathistory')).to.not.equal(undefined);
      const bare = await irc(s, 'quinn');
      await bare.register('quinn');
      const b = await bare.waitCommand('PRIVMSG', (l) => l.params[1]!.endsWith('said before'));
      expect(b.params[1]).to.match(/^\[\d{4}-\d\d-\d\d \d\d:\d\d UTC\] said before$/);
    });

    it('CHATHISTORY LATEST and BEFORE page the history (a chathistory batch with msgid and time); the replay carries msgid with message-tags', async () => {
      const s = await start();
      const bob = await ndjson(s, 'bob');
      for (let i = 1; i <= 5; i++) bob.send({ type: 'say', text: `line ${i}` });
      await bob.waitForType('message', (f) => f.text === 'line 5');
      const c = await irc(s, 'hana');
      await c.register('hana', { before: ['CAP LS 302', 'CAP REQ :server-time message-tags batch draft/chathistory'], after: ['CAP END'] });
      const replayed = await c.waitCommand('PRIVMSG', (l) => l.params[1] === 'line 5');
      expect(replayed.tags.msgid).to.match(/^\d+$/);
      let since = c.mark();
      c.send('CHATHISTORY LATEST #messenger * 2');
      await c.waitCommand('BATCH', (l) => l.params[0]!.startsWith('-'), { since });
      const latest = c.after(since).filter((l) => l.command === 'PRIVMSG');
      expect(latest.map((l) => l.params[1])).to.deep.equal(['line 4', 'line 5']);
      expect(latest.every((l) => l.tags.batch === 'chathistory' && /Z$/.test(l.tags.time!))).to.equal(true);
      since = c.mark();
      c.send(`CHATHISTORY BEFORE #messenger msgid=${latest[0]!.tags.msgid} 2`);
      await c.waitCommand('BATCH', (l) => l.params[0]!.startsWith('-'), { since });
      expect(c.after(since).filter((l) => l.command === 'PRIVMSG').map((l) => l.params[1])).to.deep.equal(['line 2', 'line 3']);
      since = c.mark();
      c.send('CHATHISTORY AROUND #messenger msgid=1 5', 'CHATHISTORY LATEST #elsewhere * 5');
      expect((await c.waitCommand('FAIL', () => true, { since })).params.slice(0, 2)).to.deep.equal(['CHATHISTORY', 'INVALID_PARAMS']);
      expect((await c.waitCommand('FAIL', (l) => l.params[1] === 'INVALID_TARGET', { since })).params[3]).to.equal('#elsewhere');
    });

    it('MODE, TOPIC, LIST, ISON, USERHOST, AWAY and unknown commands get their standard numerics', async () => {
      const s = await start();
      await ndjson(s, 'bob');
      const c = await irc(s, 'rita');
      await c.register('rita');
      c.send('MODE #messenger', 'MODE #messenger b', 'MODE #messenger +o rita', 'TOPIC #messenger', 'TOPIC #messenger :new', 'LIST',
        'ISON bob nobody files', 'USERHOST bob', 'AWAY :lunch', 'AWAY', 'FROBNICATE', 'NICK other');
      expect((await c.waitCommand('324')).params[2]).to.equal('+nt');
      await c.waitCommand('368');
      await c.waitCommand('482');
      expect((await c.waitCommand('332', (l) => l.params[1] === '#messenger', { since: c.mark() - 20 })).params[2]).to.match(/Everyone/);
      expect((await c.waitCommand('322')).params[2]).to.equal('2');
      expect((await c.waitCommand('303')).params[1]).to.equal('bob files');
      expect((await c.waitCommand('302')).params[1]).to.equal('bob=+bob@messenger');
      await c.waitCommand('306');
      await c.waitCommand('305');
      // a private message to someone away: RPL_AWAY with the away text
      const away = await irc(s, 'sid');
      await away.register('sid');
      away.send('AWAY :gone fishing');
      await away.waitCommand('306');
      c.send('PRIVMSG sid :are you there?');
      expect((await c.waitCommand('301')).params.slice(1)).to.deep.equal(['sid', 'gone fishing']);
      expect((await c.waitCommand('421')).params[1]).to.equal('FROBNICATE');
      await c.waitCommand('447');
    });
  });

  describe('bounds', () => {
    it('a client that does not answer PING is closed (Ping timeout) and the others see it leave; one that answers stays', async () => {
      const s = await start({ irc: { pingEveryMs: 150, idleMs: 700 }, ircTickMs: 100 });
      const bob = await ndjson(s, 'bob');
      const quiet = await irc(s, 'quiet');
      await quiet.register('quiet');
      const alive = await irc(s, 'alive');
      await alive.register('alive');
      const answer = setInterval(() => { for (const l of alive.after(0)) if (l.command === 'PING' && !(l as { answered?: boolean }).answered) { (l as { answered?: boolean }).answered = true; alive.send(`PONG :${l.params[0]}`); } }, 50);
      try {
        await quiet.waitCommand('PING', () => true, 5000);
        expect((await quiet.waitCommand('ERROR', () => true, 8000)).params[0]).to.match(/Ping timeout/);
        expect(await bob.waitForType('left', (f) => f.name === 'quiet', 5000)).to.include({ reason: 'idle-timeout' });
        expect(alive.closed).to.equal(false);
      } finally { clearInterval(answer); }
    });

    it('a line over 512 bytes gets 417 and the connection goes on', async () => {
      const s = await start();
      const c = await irc(s);
      await c.register('sam');
      c.send(`PRIVMSG #messenger :${'x'.repeat(600)}`);
      await c.waitCommand('417');
      c.writeRaw(Buffer.alloc(20000, 0x41));
      c.send('', 'PING :after');
      await c.waitCommand('PONG', (l) => l.params[1] === 'after');
      expect(c.after(0).filter((l) => l.command === '417').length).to.equal(2);
    });

    it('lines past the penalty window wait (none refused, in order); past the receive queue the client is closed for Excess Flood', async () => {
      const s = await start({ irc: { penaltyMs: 100, penaltyWindowMs: 300 } });
      const c = await irc(s);
      await c.register('tom');
      const since = c.mark();
      c.send(...Array.from({ length: 12 }, (_, i) => `PING :p${i}`));
      const first = await c.waitCommand('PONG', () => true, { since });
      expect(first.params[1]).to.equal('p0');
      const early = c.after(since).filter((l) => l.command === 'PONG').length;
      expect(early).to.be.below(12);
      const all = await c.waitForCount((l) => l.command === 'PONG', 12, { since, ms: 8000 });
      expect(all.map((l) => l.params[1])).to.deep.equal(Array.from({ length: 12 }, (_, i) => `p${i}`));
      // a flood: far more than the receive queue holds
      const bob = await ndjson(s, 'bob');
      c.send(...Array.from({ length: 200 }, (_, i) => `PRIVMSG #messenger :flood line number ${i} ${'y'.repeat(40)}`));
      expect((await c.waitCommand('ERROR', () => true, 5000)).params[0]).to.match(/Excess Flood/);
      expect(await bob.waitForType('left', (f) => f.name === 'tom', 5000)).to.include({ reason: 'flood' });
    });

    it('bytes that are not IRC (garbage, invalid UTF-8, NULs) get no crash: the connection still answers', async () => {
      const s = await start();
      const c = await irc(s);
      await c.register('uma');
      c.writeRaw(Buffer.from([0xff, 0xfe, 0x00, 0x0a, 0x3a, 0x0a, 0x40, 0x0a, 0x20, 0x20, 0x0d, 0x0a]));
      c.send('@a=b;c :src PRIVMSG #messenger :\xff tagged', `${'A '.repeat(30)}`, 'PING :still');
      await c.waitCommand('PONG', (l) => l.params[1] === 'still');
    });
  });

  describe('TLS', () => {
    it('the IRC listener follows the main listener: TLS 1.3 with its identity; a plain client gets one ERROR line', async () => {
      const s = await startIrcServer(scope, {});
      servers.push(s);
      const c = await clients.connect(s.ircPort, true, 'tls');
      expect((c.socket as import('node:tls').TLSSocket).getProtocol()).to.equal('TLSv1.3');
      await c.register('vera');
      const p = await clients.connect(s.ircPort, false, 'plain');
      p.send('NICK plain');
      expect((await p.waitCommand('ERROR')).params[0]).to.match(/TLS only/);
      await p.waitEnd(3000);
    });
  });
});
