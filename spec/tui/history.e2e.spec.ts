// The full-screen client's history view in a real pseudo-terminal, against a server with a real SQLite store: the
// replay at login dimmed above a "live" separator, older pages brought in with PgUp at the top, and the beginning.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { SqliteStore } from '../../runtime/store/sqlite/sqlite-store.js';
import { KEY, peer, startServer, Tui } from './harness.js';

describe('full-screen client: history (pty)', function () {
  this.timeout(60000);
  let dir: string;
  let srv: Awaited<ReturnType<typeof startServer>>;
  let tui: Tui | null = null;
  let hal: Awaited<ReturnType<typeof peer>> | null = null;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tui-store-'));
    srv = await startServer({}, 0, { store: SqliteStore.open(dir), historyReplay: 5 });
  });
  after(async () => {
    await tui?.stop();
    await hal?.stop();
    await srv.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Whether the first cell of `text` on screen is drawn in the default colour (live) or not (dimmed). */
  const defaultFgAt = (t: Tui, text: string): boolean => {
    const at = t.find(text);
    if (!at) throw new Error(`"${text}" is not on screen:\n${t.text()}`);
    return t.cell(at.x, at.y).defaultFg;
  };

  it('dims the replayed lines above a live separator and pages older ones in with PgUp at the top', async () => {
    hal = await peer(srv.server.port, 'hal');
    for (let i = 0; i < 30; i++) hal.client.command(`old message ${String(i).padStart(2, '0')}`);
    await hal.waitEvent((e) => e.type === 'message' && e.text === 'old message 29', 15000);

    const t = new Tui(['--port', String(srv.server.port), '--no-reconnect', '--name', 'tess'], 100, 30);
    tui = t;
    await t.waitFor('old message 29');
    await t.waitFor(/-+ live -+/);
    const screen = t.text();
    expect(screen).to.include('old message 25').and.not.include('old message 24');
    expect(screen.indexOf('old message 29')).to.be.below(screen.search(/-+ live -+/));
    expect(defaultFgAt(t, 'old message 27'), 'a replayed line is dimmed').to.equal(false);

    hal.client.command('a live one');
    await t.waitFor('hal: a live one');
    expect(screen.search(/-+ live -+/)).to.be.below(t.text().indexOf('hal: a live one'));
    expect(defaultFgAt(t, 'a live one'), 'a live line is not').to.equal(true);

    // everything fits: the first line is in view, so PgUp asks for the page before the oldest line held
    await t.key(KEY.pageUp);
    await t.waitFor('old message 24');
    expect(defaultFgAt(t, 'old message 24')).to.equal(false);
    // up to the top of what is held, then once more: nothing older is kept
    for (let i = 0; i < 5 && !t.text().includes('old message 00'); i++) await t.key(KEY.pageUp);
    await t.waitFor('old message 00');
    await t.key(KEY.pageUp);
    await t.waitFor('the beginning of the history');
  });
});
