// runtime/accounts.ts on a real SQLite store: the facts it answers the session with.
import { expect } from 'chai';
import { Accounts } from '../../runtime/accounts.js';
import { SqliteStore } from '../../runtime/store/sqlite/sqlite-store.js';
import { makeTempDir, removeDir } from '../helpers/tmp.js';

describe('accounts (runtime)', function () {
  this.timeout(20000);
  let dir: string;
  let store: SqliteStore;
  let accounts: Accounts;
  beforeEach(() => {
    dir = makeTempDir('messenger-accounts-rt-');
    store = SqliteStore.open(dir);
    accounts = new Accounts(store, undefined, { now: () => 42, cost: { N: 1 << 10, r: 8, p: 1 } });
  });
  afterEach(() => { store.close(); removeDir(dir); });

  it('registers once per nickname (case-insensitive), with the date, never the password', async () => {
    expect(await accounts.register('Alice', 'pw')).to.equal('ok');
    expect(await accounts.register('alice', 'other')).to.equal('exists');
    const a = store.accounts.get('alice')!;
    expect([a.name, a.created]).to.deep.equal(['Alice', 42]);
    expect(a.hash.includes(Buffer.from('pw'))).to.equal(false);
    expect(accounts.isRegistered('ALICE')).to.equal(true);
    expect(accounts.isRegistered('bob')).to.equal(false);
  });

  it('verifies: right, wrong, and a name without an account (checked against the dummy hash)', async () => {
    await accounts.register('alice', 'pw');
    expect(await accounts.verify('alice', 'pw')).to.deep.equal({ account: true, ok: true });
    expect(await accounts.verify('alice', 'nope')).to.deep.equal({ account: true, ok: false });
    expect(await accounts.verify('bob', 'pw')).to.deep.equal({ account: false, ok: false });
  });

  it('changes a password only with the old one', async () => {
    expect(await accounts.change('alice', 'pw', 'new')).to.equal('missing');
    await accounts.register('alice', 'pw');
    expect(await accounts.change('alice', 'wrong', 'new')).to.equal('wrong');
    expect(await accounts.change('alice', 'pw', 'new')).to.equal('ok');
    expect((await accounts.verify('alice', 'new')).ok).to.equal(true);
    expect((await accounts.verify('alice', 'pw')).ok).to.equal(false);
  });

  it("keeps a private message under the account's own spelling, counts it, hands it out once", async () => {
    await accounts.register('Alice', 'pw');
    const kept: unknown[] = [];
    accounts.keep('bob', 'alice', 'hi', 7, (l) => kept.push(l), (p) => kept.push(p));
    expect(kept).to.deep.equal([{ from: 'bob', to: 'Alice', text: 'hi', ts: 7 }]);
    expect(accounts.keptCount('ALICE')).to.equal(1);
    expect(accounts.takeKept('alice')).to.deep.equal([{ from: 'bob', to: 'Alice', text: 'hi', ts: 7 }]);
    expect(accounts.takeKept('alice')).to.deep.equal([]);
    const refused: string[] = [];
    accounts.keep('bob', 'nobody', 'hi', 8, () => refused.push('kept'), (p) => refused.push(p));
    expect(refused).to.deep.equal(['no such account']);
  });
});
