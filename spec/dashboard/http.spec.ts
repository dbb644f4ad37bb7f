// The dashboard's web server over a real in-process messenger server: the Server-Sent Events stream (a full view,
// then what changed), one sampler for all open pages, at most ten samples a second, none while no page is open.
import { expect } from 'chai';
import http from 'node:http';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { DashboardSetup, type Dashboard } from '../../runtime/dashboard/index.js';
import type { Push } from '../../runtime/dashboard/http.js';
import { Scope } from '../helpers/scope.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An open event stream: its messages parsed as they come. */
class Stream {
  readonly messages: { event: string; data: Push }[] = [];
  private req: http.ClientRequest;
  private buf = '';

  constructor(url: string) {
    this.req = http.get(url, (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        this.buf += chunk;
        let i: number;
        while ((i = this.buf.indexOf('\n\n')) >= 0) {
          const block = this.buf.slice(0, i);
          this.buf = this.buf.slice(i + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (data) this.messages.push({ event, data: JSON.parse(data) as Push });
        }
      });
    });
    this.req.on('error', () => {});
  }

  async waitFor(what: string, pred: (m: { event: string; data: Push }) => boolean, ms = 10_000): Promise<{ event: string; data: Push }> {
    const end = Date.now() + ms;
    for (;;) {
      const m = this.messages.find(pred);
      if (m) return m;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await sleep(20);
    }
  }

  close(): void { this.req.destroy(); }
}

describe('dashboard web server (HTTP and Server-Sent Events)', function () {
  this.timeout(30_000);
  const scope = new Scope();
  const streams: Stream[] = [];
  let dash: Dashboard | null = null;
  afterEach(async () => {
    for (const s of streams.splice(0)) s.close();
    await dash?.stop();
    dash = null;
    await scope.dispose();
  });

  async function setUp(maxViews?: number) {
    const lines: string[] = [];
    const log = pino({ level: 'info', base: undefined }, new Writable({ write(c: Buffer, _e, cb) { lines.push(c.toString()); cb(); } }));
    const setup = new DashboardSetup({ host: '127.0.0.1', port: 0 });
    const srv = await scope.server({ log: setup.tap(log) });
    dash = await setup.start(srv.server, log, { address: `127.0.0.1:${srv.port}`, maxViews });
    const open = (path = 'events') => { const s = new Stream(`${dash!.url.replace('/?', `/${path}?`)}`); streams.push(s); return s; };
    return { srv, lines, open, d: dash };
  }

  it('logs one line with "dashboard" and its full address, token included', async () => {
    const { lines, d } = await setUp();
    const found = lines.map((l) => JSON.parse(l) as { msg: string; url?: string }).filter((l) => l.msg.includes('dashboard'));
    expect(found).to.have.length(1);
    expect(found[0]!.url).to.equal(d.url);
    expect(found[0]!.msg).to.include(d.url);
    expect(d.url).to.match(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{43}$/);
  });

  it('samples nothing while no page is open, and at most ten times a second for any number of pages', async () => {
    const { d, open } = await setUp();
    await sleep(400);
    expect(d.samples).to.equal(0);
    const a = open();
    await a.waitFor('the full view', (m) => m.event === 'full');
    const b = open();
    await b.waitFor('the full view', (m) => m.event === 'full');
    expect(d.viewers).to.equal(2);
    const before = d.samples;
    const t0 = performance.now();
    await sleep(1000);
    const rate = (d.samples - before) / ((performance.now() - t0) / 1000);
    expect(rate).to.be.at.most(11);
    a.close();
    b.close();
    const deadline = Date.now() + 5000;
    while (d.viewers > 0 && Date.now() < deadline) await sleep(20);
    expect(d.viewers).to.equal(0);
    const after = d.samples;
    await sleep(400);
    expect(d.samples).to.equal(after);
  });

  it('sends the full view first, then what changed: a join in the sessions table and the event log', async () => {
    const { srv, open } = await setUp();
    const s = open();
    const full = (await s.waitFor('the full view', (m) => m.event === 'full')).data;
    expect(full.parts.sessions).to.include('no one is connected');
    expect(full.parts.pool).to.include('0 of 2 in use');
    expect(full.series).to.deep.equal([]);
    await scope.online(srv.port, 'carol');
    const push = await s.waitFor('carol in the sessions table', (m) => m.event === 'message' && (m.data.parts.sessions ?? '').includes('carol'));
    expect(push.data.parts.sessions).to.include('<td class="name">carol</td>');
    expect(push.data.actors!.sessions.map((a) => [a.label, a.stateIds])).to.deep.equal([['carol', ['session.chatting']]]);
    const ev = await s.waitFor('the join event', (m) => m.data.events.some((e) => e.kind === 'join'));
    expect(ev.data.events.find((e) => e.kind === 'join')!.text).to.equal('carol joined (1 online)');
    const twin = scope.client(srv.port, 'Carol');
    await twin.connect().then(() => { throw new Error('a second Carol was let in'); }, () => undefined);
    const refusal = await s.waitFor('the refusal', (m) => m.data.events.some((e) => e.kind === 'refusal'));
    expect(refusal.data.events.find((e) => e.kind === 'refusal')!.text).to.match(/^127\.0\.0\.1:\d+: name-taken: /);
  });

  it('keeps the number of open pages bounded: one more gets 503', async () => {
    const { open } = await setUp(2);
    await open().waitFor('page 1', (m) => m.event === 'full');
    await open().waitFor('page 2', (m) => m.event === 'full');
    const r = await fetch(dash!.url.replace('/?', '/events?'));
    expect(r.status).to.equal(503);
    expect(await r.text()).to.include('too many dashboard pages');
  });

  it('serves the page script and uPlot from the package, with a content security policy on the page', async () => {
    const { d } = await setUp();
    const get = async (p: string) => fetch(d.url.replace('/?', `/${p}?`));
    const page = await get('');
    expect(page.headers.get('content-security-policy')).to.include("script-src 'self'");
    expect(await page.text()).to.include('<table>');
    const app = await get('app.js');
    expect(app.headers.get('content-type')).to.include('text/javascript');
    expect(await app.text()).to.include('new EventSource');
    expect(await (await get('uplot.js')).text()).to.include('uPlot');
    expect((await get('uplot.css')).status).to.equal(200);
    expect((await get('nope')).status).to.equal(404);
  });
});
