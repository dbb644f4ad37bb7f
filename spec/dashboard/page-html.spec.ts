// The dashboard page as the server renders it: escaped, readable without JavaScript, the chosen actors lit.
import { expect } from 'chai';
import type { ChartSvg } from '../../runtime/dashboard/charts.js';
import type { LogEvent } from '../../runtime/dashboard/event-log.js';
import { chosen, esc, fmtBytes, fmtDuration, litSvg, pageHtml, sessionsHtml, transfersHtml } from '../../runtime/dashboard/page-html.js';
import { ViewModel, type ViewFrame } from '../../runtime/dashboard/view-model.js';
import type { Observation, TransferObservation } from '../../runtime/dashboard/observation.js';

const T0 = 1_700_000_000_000;
const HOSTILE = '<img src=x onerror=alert(1)>"\'&';

function transfer(id: number, o: Partial<TransferObservation> = {}): TransferObservation {
  return {
    id, client: 'alice', file: `f${id}.bin`, size: 1000, port: 55000 + id, state: { sending: 'windowOpen' }, acked: 500, startOffset: 0,
    holdAt: 500, cwnd: 12_000, srttMs: 1.25, lost: 1, retransmits: 2, inFlight: 0, cc: 'bbr', ended: false, ...o,
  };
}

function frame(o: Partial<Observation> = {}): ViewFrame {
  return new ViewModel().update({
    now: T0 + 3000, startedAt: T0, sessionCount: 2, online: 2,
    sessions: [
      { id: 1, name: 'alice', remote: '127.0.0.1:1', state: 'chatting', openedAt: T0, sent: 3, outboxBytes: 0, tls: true, ended: false },
      { id: 2, name: HOSTILE, remote: '127.0.0.1:2', state: 'chatting', openedAt: T0, sent: 0, outboxBytes: 0, tls: false, ended: false },
    ],
    transfers: [transfer(1), transfer(2, { state: 'pausedAwaitingConsent', file: HOSTILE }), transfer(3)],
    pool: { first: 55000, last: 55003, taken: [55001, 55002, 55003], benched: [] },
    nodes: [{ name: 'n1', address: '127.0.0.1:50000', self: true, state: 'up', sessions: 2, transfers: 3, since: T0 }],
    ...o,
  });
}

const chart = (name: string, live: boolean, ids: string[]): ChartSvg => ({
  name, live, states: ids, svg: `<svg>${ids.map((id, i) => `<g id="node${i}" class="node" data-state="${id}"><title>${id}</title></g>`).join('')}</svg>`,
});

describe('dashboard page (server-rendered HTML)', () => {
  it('escapes whatever users chose: nicknames, file names, event text', () => {
    expect(esc(HOSTILE)).to.equal('&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;');
    const f = frame();
    for (const html of [sessionsHtml(f, 't', null), transfersHtml(f, 't', null)]) {
      expect(html).not.to.include('<img');
      expect(html).to.include('&lt;img src=x onerror=alert(1)&gt;');
    }
    const events: LogEvent[] = [{ seq: 1, t: T0, kind: 'join', text: `${HOSTILE} joined` }];
    const page = pageHtml({ frame: f, events, charts: [], token: 'tok"en', selection: {}, filter: { kinds: new Set(), text: HOSTILE }, refreshSec: 5 });
    expect(page).not.to.include('<img');
    expect(page).to.include('data-token="tok&quot;en"');
  });

  it('follows the download at the halfway question unless another is chosen, and the newest session', () => {
    const f = frame();
    expect(chosen(f, {}).transfer!.id).to.equal(2);
    expect(chosen(f, { transfer: 3 }).transfer!.id).to.equal(3);
    expect(chosen(f, { transfer: 99 }).transfer!.id).to.equal(2);
    expect(chosen(f, {}).session!.id).to.equal(2);
    expect(chosen(f, { session: 1 }).session!.id).to.equal(1);
  });

  it('lights the chosen actors\' states in the live charts only', () => {
    const charts = [
      chart('session', true, ['session.handshake', 'session.chatting']),
      chart('sender', true, ['sender.sending', 'sender.sending.windowOpen', 'sender.pausedAwaitingConsent']),
      chart('client', false, ['client.online']),
    ];
    const page = pageHtml({ frame: frame(), events: [], charts, token: 't', selection: { session: 1 }, filter: { kinds: new Set(), text: '' }, refreshSec: 5 });
    expect(page.match(/class="node current" data-state="[^"]+"/g)).to.deep.equal([
      'class="node current" data-state="session.chatting"',
      'class="node current" data-state="sender.pausedAwaitingConsent"',
    ]);
    expect(page).to.include('runs in each client');
    expect(litSvg(charts[1]!.svg!, ['sender.sending', 'sender.sending.windowOpen']).match(/current/g)).to.have.length(2);
  });

  it('is a readable page without JavaScript: tables, the pool, the nodes, the filtered event log, a reload', () => {
    const events: LogEvent[] = [
      { seq: 1, t: T0, kind: 'join', text: 'alice joined (1 online)' },
      { seq: 2, t: T0 + 1, kind: 'refusal', text: 'bob: name-taken' },
    ];
    const page = pageHtml({ frame: frame(), events, charts: [], token: 't', selection: {}, filter: { kinds: new Set(['refusal']), text: '' }, refreshSec: 5 });
    expect(page).to.include('<noscript><meta http-equiv="refresh" content="5"></noscript>');
    expect(page).to.include('<td class="name">alice</td>');
    expect(page).to.include('<progress max="1" value="0.5000">50.0%</progress>');
    expect(page).to.include('3 of 4 in use (55000-55003)');
    expect(page).to.include('<li class="port taken" title="55001: download #1 of f1.bin to alice">');
    expect(page).to.include('n1 <small>(this one)</small>');
    expect(page).to.include('bob: name-taken');
    expect(page).not.to.include('alice joined');
    expect(page).to.include('<input type="checkbox" name="kind" value="join">');
    expect(page).to.include('<input type="checkbox" name="kind" value="refusal" checked>');
  });

  it('formats sizes and durations for people', () => {
    expect([fmtBytes(0), fmtBytes(999), fmtBytes(1500), fmtBytes(12_345_678), fmtBytes(2e12)]).to.deep.equal(['0 B', '999 B', '1.50 KB', '12.3 MB', '2.00 TB']);
    expect([fmtDuration(999), fmtDuration(65_000), fmtDuration(3_725_000)]).to.deep.equal(['0s', '1m 05s', '1h 02m']);
  });
});
