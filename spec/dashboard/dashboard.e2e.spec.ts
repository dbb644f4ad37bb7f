// The dashboard end to end: the real `messenger-server --dashboard`, real `messenger --plain` clients, and Debian's
// chromium driven by playwright-core. The page sees a client join, a download reach the halfway question (lit on
// the sender chart), the answer yes, the end; a screenshot is saved. Without the token: 401. Without JavaScript:
// readable tables. DASHBOARD_SCREENSHOT=PATH also saves the page at the halfway question there (docs/dashboard.png).
import { expect } from 'chai';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { launchChromium, type Browser } from '../helpers/browser.js';
import { nextUdpPorts } from '../helpers/ports.js';
import { Scope } from '../helpers/scope.js';

const WAIT = 20_000;

describe('dashboard in a real browser (chromium, playwright-core)', function () {
  this.timeout(120_000);
  const scope = new Scope();
  let browser: Browser | null = null;

  afterEach(async () => {
    await browser?.close();
    browser = null;
    await scope.dispose();
  });

  async function serverWithDashboard(files: Record<string, Buffer>) {
    const dir = scope.tempDir('messenger-dash-files-');
    for (const [n, b] of Object.entries(files)) fs.writeFileSync(path.join(dir, n), b);
    const [a, b] = await nextUdpPorts(2);
    const { run, port } = await scope.spawnServer(['--port', '0', '--files', dir, '--udp-ports', `${a}-${b}`, '--dashboard', '0']);
    const line = await run.waitFor((l) => typeof l.msg === 'string' && l.msg.includes('dashboard'), WAIT);
    const url = String(line.url);
    expect(line.msg).to.include(url);
    expect(url).to.match(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{20,}$/);
    return { run, port, url, base: url.slice(0, url.indexOf('?')), token: url.slice(url.indexOf('token=') + 6) };
  }

  it('follows a join, a download paused at the halfway question (lit on the sender chart), the yes and the end', async () => {
    const { port, url, base, token } = await serverWithDashboard({ 'movie.bin': crypto.randomBytes(6 << 20) });
    const tmp = scope.tempDir('messenger-dash-shot-');

    browser = await launchChromium();
    const page = await browser.context.newPage();
    page.setDefaultTimeout(WAIT);
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
    const res = await page.goto(url, { timeout: WAIT });
    expect(res?.status()).to.equal(200);
    await page.waitForSelector('#status.live');

    const dl = scope.tempDir('messenger-dash-dl-');
    const alice = scope.spawnClient('alice', port, ['--downloads', dl]);
    await alice.waitFor((e) => e.type === 'connected', WAIT);
    await page.locator('#sessions tr[data-id] td.name', { hasText: 'alice' }).waitFor();
    await page.locator('#events tr[data-kind="join"]', { hasText: 'alice joined' }).waitFor();
    const bob = scope.spawnClient('bob', port, ['--downloads', dl]);
    await bob.waitFor((e) => e.type === 'connected', WAIT);
    alice.type('hello bob, the movie is on the server');
    await bob.waitFor((e) => e.type === 'message' && e.from === 'alice', WAIT);
    await page.locator('#sessions tr[data-id]', { hasText: 'bob' }).waitFor();

    alice.type('/get movie.bin');
    await alice.waitFor((e) => e.type === 'consent', WAIT);
    const row = page.locator('#transfers tr.asking', { hasText: 'movie.bin' });
    await row.waitFor();
    expect(await row.locator('td.state').textContent()).to.equal('pausedAwaitingConsent');
    // the sender chart lights the paused state of the download it follows
    await page.locator('figure[data-chart="sender"] g.node.current[data-state="sender.pausedAwaitingConsent"]').waitFor();
    expect(await page.locator('figure[data-chart="sender"] g.node.current').count()).to.equal(1);
    expect(await page.locator('figure[data-chart="session"] g.current[data-state="session.chatting"]').count()).to.equal(1);
    // and without JavaScript the same is in the page the server renders
    const html = await (await fetch(`${base}?token=${token}`)).text();
    expect(html).to.match(/<td class="name">alice<\/td>/);
    expect(html).to.include('class="node current" data-state="sender.pausedAwaitingConsent"');
    // the picture for the README: a download waiting at the halfway question
    if (process.env.DASHBOARD_SCREENSHOT) await page.screenshot({ path: process.env.DASHBOARD_SCREENSHOT, fullPage: true, timeout: WAIT });

    alice.type('/yes');
    await alice.waitFor((e) => e.type === 'finished', WAIT);
    await page.locator('#transfers tr.ended td.state', { hasText: 'finished' }).waitFor();
    await page.locator('#events tr[data-kind="transfer"]', { hasText: 'finished' }).waitFor();
    // the plots were drawn (uPlot, served from the package)
    expect(await page.locator('#plots .uplot').count()).to.equal(4);

    // the event log's filter hides what it does not match
    await page.locator('#event-filter input[name="kind"][value="join"]').uncheck();
    expect(await page.locator('#events tr[data-kind="join"]:visible').count()).to.equal(0);
    expect(await page.locator('#events tr[data-kind="transfer"]:visible').count()).to.equal(1);
    await page.locator('#event-filter input[name="kind"][value="join"]').check();

    const shot = path.join(tmp, 'dashboard.png');
    await page.screenshot({ path: shot, fullPage: true, timeout: WAIT });
    expect(fs.statSync(shot).size).to.be.greaterThan(10_000);
    expect(problems).to.deep.equal([]);
  });

  it('answers 401 to a request without the right token, and is read-only', async () => {
    const { base, token } = await serverWithDashboard({});
    for (const p of ['', 'events', 'state.json', 'app.js', `?token=${token}x`, `?token=${token.slice(0, -1)}`, '?token=']) {
      const r = await fetch(`${base}${p}`);
      expect(r.status, p).to.equal(401);
      await r.body?.cancel();
    }
    expect((await fetch(`${base}?token=${token}`, { method: 'POST', body: 'x' })).status).to.equal(405);
    const ok = await fetch(`${base}state.json?token=${token}`);
    expect(ok.status).to.equal(200);
    expect((await ok.json() as { nodes: { self: boolean }[] }).nodes.map((n) => n.self)).to.deep.equal([true]);
  });

  it('shows readable tables in a browser with JavaScript off', async () => {
    const { port, url } = await serverWithDashboard({ 'a.txt': Buffer.from('hello') });
    const bob = scope.spawnClient('bob', port);
    await bob.waitFor((e) => e.type === 'connected', WAIT);
    browser = await launchChromium({ javaScriptEnabled: false });
    const page = await browser.context.newPage();
    page.setDefaultTimeout(WAIT);
    await page.goto(url, { timeout: WAIT });
    expect(await page.locator('#sessions tr[data-id] td.name').allTextContents()).to.deep.equal(['bob']);
    expect(await page.locator('#events tr[data-kind="join"]').first().textContent()).to.include('bob joined');
    expect(await page.locator('#pool li.port').count()).to.equal(2);
    expect(await page.locator('#nodes tr.self').count()).to.equal(1);
    expect(await page.locator('#status').textContent()).to.include('static page');
  });
});
