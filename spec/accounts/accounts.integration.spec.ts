// Accounts end to end over real sockets, on a real SQLite store in a temporary folder: /register, logins with the
// right, wrong and no password, the failed-login limit, closed registration, a password change, passwords refused
// over a plain connection, and private messages kept for an offline registered nickname.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { LIMITS } from '../../machines/limits.js';
import { SqliteStore } from '../../runtime/store/sqlite/sqlite-store.js';
import { Scope } from '../helpers/scope.js';
import { makeTempDir, removeDir } from '../helpers/tmp.js';

const CHEAP = { N: 1 << 10, r: 8, p: 1 };

describe('accounts: registered nicknames and kept private messages', function () {
  this.timeout(20000);
  let scope: Scope;
  let dir: string;
  let store: SqliteStore;
  beforeEach(() => { scope = new Scope(); dir = makeTempDir('messenger-accounts-'); store = SqliteStore.open(dir); });
  afterEach(async () => { await scope.dispose(); removeDir(dir); });

  // over TLS, as users run it: passwords need nothing more
  const start = (session: Record<string, unknown> = {}) => scope.server({ store, scryptCost: CHEAP, session });

  /** Says hello on a raw socket and returns the answer (welcome or error). */
  async function hello(port: number, name: string, password?: string, secure = true) {
    const r = await scope.raw(port, name, secure);
    r.send(password === undefined ? { type: 'hello', v: 1, name } : { type: 'hello', v: 1, name, password });
    return { r, answer: await r.waitFor((f) => f.type === 'welcome' || f.type === 'error') };
  }

  it('/register protects a nickname: then it connects only with its password', async () => {
    const s = await start();
    const alice = await scope.online(s.port, 'alice', { readPassword: () => 'open sesame' });
    alice.command('/register');
    const reg = await alice.waitForType('registered');
    expect(reg).to.deep.equal({ type: 'registered', name: 'alice' });
    expect(store.accounts.get('alice')?.hash.toString()).to.not.contain('open sesame');
    await alice.close();

    const none = await hello(s.port, 'alice');
    expect([none.answer.code, none.answer.re]).to.deep.equal(['name-registered', 'hello']);
    const wrong = await hello(s.port, 'Alice', 'open says me');
    expect(wrong.answer.code).to.equal('auth-failed');
    const right = await scope.online(s.port, 'alice', { password: 'open sesame' });
    expect(right.rt.isOnline).to.equal(true);
  });

  it('a wrong password and an unknown name get the same words (closed registration: no telling which names exist)', async () => {
    const s = await start({ registration: 'closed' });
    const a = await scope.online(s.port, 'x', {}).catch((e: Error) => e);
    expect(String(a)).to.contain('account-required');
    store.accounts.add('bob', { name: 'bob', hash: Buffer.alloc(32), salt: Buffer.alloc(16), cost: CHEAP, created: 0 });
    const wrong = await hello(s.port, 'bob', 'guess');
    const unknown = await hello(s.port, 'nobody', 'guess');
    expect(wrong.answer).to.deep.equal(unknown.answer);
    expect(wrong.answer.code).to.equal('auth-failed');
  });

  it('closed registration: a nickname without an account gets account-required; one with an account gets in', async () => {
    const s = await start({ registration: 'closed' });
    const seed = await start();
    const carol = await scope.online(seed.port, 'carol', { readPassword: () => 'pw-carol' });
    carol.command('/register');
    await carol.waitForType('registered');
    const refused = await hello(s.port, 'dave');
    expect([refused.answer.code, refused.answer.re]).to.deep.equal(['account-required', 'hello']);
    const ok = await hello(s.port, 'carol', 'pw-carol');
    expect(ok.answer.type).to.equal('welcome');
  });

  it('failed logins are limited per name: after 5, even the right password is refused for a while', async () => {
    const s = await start();
    const alice = await scope.online(s.port, 'alice', { readPassword: () => 'right' });
    alice.command('/register');
    await alice.waitForType('registered');
    await alice.close();
    const r = await scope.raw(s.port);
    for (let i = 0; i < LIMITS.loginFailures; i++) {
      const since = r.mark();
      r.send({ type: 'hello', v: 1, name: 'alice', password: `wrong${i}` });
      expect((await r.waitError({ since })).code).to.equal('auth-failed');
    }
    const since = r.mark();
    r.send({ type: 'hello', v: 1, name: 'alice', password: 'right' });
    const blocked = await r.waitError({ since });
    expect([blocked.code, blocked.re]).to.deep.equal(['login-blocked', 'hello']);
    // per address too: another name from the same address is blocked as well
    const other = await hello(s.port, 'zed', 'whatever');
    expect(other.answer.code).to.equal('login-blocked');
    // a name without a password is not a password attempt: bob still gets in from here
    expect((await hello(s.port, 'bob')).answer.type).to.equal('welcome');
  });

  it('/password changes it: the old one stops working, the new one works; the client remembers the new one', async () => {
    const s = await start();
    let next = 'first';
    const alice = await scope.online(s.port, 'alice', { readPassword: () => next });
    alice.command('/register');
    await alice.waitForType('registered');
    next = 'second';
    alice.command('/password');
    expect(await alice.waitForType('registered', (e) => e.changed === true)).to.deep.equal({ type: 'registered', name: 'alice', changed: true });
    await alice.close();
    expect((await hello(s.port, 'alice', 'first')).answer.code).to.equal('auth-failed');
    expect((await hello(s.port, 'alice', 'second')).answer.type).to.equal('welcome');
  });

  it('a wrong old password in a raw password change is auth-failed; without a password source /register is a clear error', async () => {
    const s = await start();
    const alice = await scope.online(s.port, 'alice', { readPassword: () => 'pw' });
    alice.command('/register');
    await alice.waitForType('registered');
    const since = alice.mark();
    alice.rt.sendFrame({ type: 'password', old: 'not it', new: 'x' });
    const e = await alice.waitForType('error', () => true, { since });
    expect(e.code).to.equal('auth-failed');
    const bob = await scope.online(s.port, 'bob');
    bob.command('/register');
    const none = await bob.waitForType('error');
    expect(none.code).to.equal('bad-password');
    expect(none.message).to.contain('MESSENGER_PASSWORD');
  });

  it('passwords are refused over a plain connection unless the server allows it', async () => {
    const s = await scope.server({ store, scryptCost: CHEAP, plain: true });
    const h = await hello(s.port, 'alice', 'pw', false);
    expect([h.answer.code, h.answer.re]).to.deep.equal(['insecure-auth', 'hello']);
    const r = await scope.raw(s.port, 'bob', false);
    await r.hello('bob');
    const since = r.mark();
    r.send({ type: 'register', password: 'pw' });
    expect((await r.waitError({ since })).code).to.equal('insecure-auth');
    expect(store.accounts.get('bob')).to.equal(null);
    // the same server told to allow it (--allow-insecure-auth) takes the password
    const open = await scope.server({ store, scryptCost: CHEAP, plain: true, session: { allowInsecureAuth: true } });
    const carol = await scope.raw(open.port, 'carol', false);
    await carol.hello('carol');
    const mark = carol.mark();
    carol.send({ type: 'register', password: 'pw' });
    expect((await carol.waitForType('registered', () => true, { since: mark })).name).to.equal('carol');
  });

  it('a private message to an offline registered nickname is kept and delivered once, to that person only', async () => {
    const s = await start();
    const alice = await scope.online(s.port, 'alice', { readPassword: () => 'pw' });
    alice.command('/register');
    await alice.waitForType('registered');
    await alice.close();

    const bob = await scope.online(s.port, 'bob');
    const carol = await scope.online(s.port, 'carol');
    bob.command('/msg alice while you were out');
    const receipt = await bob.waitForType('message', (m) => m.to === 'alice');
    expect(receipt.text).to.equal('while you were out');
    bob.command('/msg nobody are you there');
    expect((await bob.waitForType('error')).code).to.equal('unknown-user');
    bob.command('/all a line for all');
    await carol.waitForType('message', (m) => m.text === 'a line for all');
    expect(carol.ofType('message').filter((m) => m.to !== undefined)).to.deep.equal([]);
    expect(fs.existsSync(path.join(dir, 'messenger.db'))).to.equal(true);

    // someone without the password cannot log in as alice to read it
    expect((await hello(s.port, 'alice')).answer.code).to.equal('name-registered');
    const back = await scope.online(s.port, 'alice', { password: 'pw' });
    const replay = await back.waitForType('history');
    const kept = replay.messages.filter((m) => m.to !== undefined);
    expect(kept.map((m) => [m.from, m.to, m.text])).to.deep.equal([['bob', 'alice', 'while you were out']]);
    expect(replay.messages.map((m) => m.text)).to.include('a line for all');
    await back.close();
    const again = await scope.online(s.port, 'alice', { password: 'pw' });
    const second = await again.waitForType('history');
    expect(second.messages.filter((m) => m.to !== undefined)).to.deep.equal([]);
    expect(carol.ofType('history')).to.deep.equal([]);
  });

  it('kept messages are bounded per recipient: past the limit the sender gets mailbox-full', async () => {
    const s = await start({ limits: { ratePerSec: 10000, burst: 10000 } });
    store.accounts.add('alice', { name: 'alice', hash: Buffer.alloc(32), salt: Buffer.alloc(16), cost: CHEAP, created: 0 });
    const r = await scope.raw(s.port);
    await r.hello('bob');
    for (let i = 0; i < LIMITS.offlinePerRecipient; i++) r.send({ type: 'tell', to: 'alice', text: `m${i}` });
    await r.waitForCount((f) => f.type === 'message' && f.to === 'alice', LIMITS.offlinePerRecipient, 10000);
    const since = r.mark();
    r.send({ type: 'tell', to: 'alice', text: 'one too many' });
    const e = await r.waitError({ since });
    expect([e.code, e.re]).to.deep.equal(['mailbox-full', 'tell']);
    expect(store.offline.count('alice')).to.equal(LIMITS.offlinePerRecipient);
  });

  it('an account removed while the server runs counts at the next login, and its kept messages go with it', async () => {
    const s = await start();
    store.accounts.add('alice', { name: 'alice', hash: Buffer.alloc(32), salt: Buffer.alloc(16), cost: CHEAP, created: 0 });
    const r = await scope.raw(s.port);
    await r.hello('bob');
    r.send({ type: 'tell', to: 'alice', text: 'secret' });
    await r.waitForType('message');
    r.send({ type: 'say', text: 'to all' });
    await r.waitForType('message', (f) => f.text === 'to all');
    expect(store.offline.count('alice')).to.equal(1);
    store.accounts.remove('alice');
    const h = await hello(s.port, 'alice');
    expect(h.answer.type).to.equal('welcome');
    const replay = await h.r.waitForType('history');
    expect((replay.messages as Array<{ text: string }>).map((m) => m.text)).to.deep.equal(['to all']);
  });
});
