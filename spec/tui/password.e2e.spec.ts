// The full-screen client's /register in a real pseudo-terminal, against a server with a real SQLite store: the
// password is asked in a dialog that shows nothing typed, and the nickname is registered with it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { verifyPassword } from '../../runtime/password-hash.js';
import { SqliteStore } from '../../runtime/store/sqlite/sqlite-store.js';
import { KEY, startServer, Tui } from './harness.js';

describe('full-screen client: /register asks for the password without echo (pty)', function () {
  this.timeout(60000);
  let dir: string;
  let store: SqliteStore;
  let srv: Awaited<ReturnType<typeof startServer>>;
  let tui: Tui | null = null;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tui-accounts-'));
    store = SqliteStore.open(dir);
    srv = await startServer({}, 0, {
      store, scryptCost: { N: 1 << 10, r: 8, p: 1 },
      session: { allowInsecureAuth: true },
    });
  });
  after(async () => {
    await tui?.stop();
    await srv.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('opens a password dialog, shows nothing typed, registers the nickname with it; Esc cancels', async () => {
    const t = new Tui(['--port', String(srv.server.port), '--no-reconnect', '--name', 'pia'], 100, 30);
    tui = t;
    await t.waitFor('connected');
    t.type('/register');
    await t.key(KEY.enter);
    await t.waitFor('Typing is not shown');
    t.type('hunter2-zebra');
    await t.key(KEY.enter);
    await t.waitFor('pia is registered');
    // everything the client drew while the password was typed and sent: no trace of it
    expect(t.raw).to.not.contain('hunter2');
    const account = store.accounts.get('pia');
    expect(account).to.not.equal(null);
    expect(await verifyPassword('hunter2-zebra', account!)).to.equal(true);

    // Esc cancels a second dialog; nothing is sent
    t.type('/password');
    await t.key(KEY.enter);
    await t.waitFor('The new password for pia');
    await t.key(KEY.esc);
    await t.waitFor((s) => !s.includes('Typing is not shown'));
    // the input's history holds /register and /password, never the password
    await t.key(KEY.up);
    await t.key(KEY.up);
    await t.waitFor('/register');
    expect(t.text()).to.not.contain('hunter2');
  });
});
