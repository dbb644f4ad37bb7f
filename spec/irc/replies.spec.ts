// machines/irc/replies.ts: the hub's frames in IRC's words for one client, history, NAMES and WHOIS.
import { expect } from 'chai';
import { bodyBytes, parseLine } from '../../machines/irc/message.js';
import { chatLines, historyLines, historyQuery, names, numeric, quitText, welcome, whois, type ChatView } from '../../machines/irc/replies.js';
import { LIMITS } from '../../machines/limits.js';

const v = (o: Partial<ChatView> = {}): ChatView => ({ nick: 'ann', serverTime: false, echo: false, batch: false, inChannel: true, ...o });
const TS = Date.UTC(2026, 11, 3, 12, 34, 56, 789);

describe('machines/irc/replies', () => {
  it('joins and leaves of others: JOIN, QUIT with a readable reason, PART for a part; nothing about oneself or while parted', () => {
    expect(chatLines({ type: 'joined', name: 'bob' }, v())).to.deep.equal([':bob!bob@messenger JOIN #messenger']);
    expect(chatLines({ type: 'left', name: 'bob', reason: 'idle-timeout' }, v())).to.deep.equal([':bob!bob@messenger QUIT :Ping timeout']);
    expect(chatLines({ type: 'left', name: 'bob', reason: 'part' }, v())).to.deep.equal([':bob!bob@messenger PART #messenger']);
    expect(chatLines({ type: 'joined', name: 'ANN' }, v())).to.deep.equal([]);
    expect(chatLines({ type: 'joined', name: 'bob' }, v({ inChannel: false }))).to.deep.equal([]);
    expect(quitText('quit')).to.equal('Quit');
    expect(quitText('something-new')).to.equal('something-new');
  });

  it('messages: to the channel, private to me; my own only with echo-message; the time as a tag with server-time', () => {
    expect(chatLines({ type: 'message', from: 'bob', text: 'hi all', ts: TS }, v())).to.deep.equal([':bob!bob@messenger PRIVMSG #messenger :hi all']);
    expect(chatLines({ type: 'message', from: 'bob', to: 'Ann', text: 'psst', ts: TS }, v())).to.deep.equal([':bob!bob@messenger PRIVMSG ann :psst']);
    expect(chatLines({ type: 'message', from: 'ann', text: 'mine', ts: TS }, v())).to.deep.equal([]);
    expect(chatLines({ type: 'message', from: 'ann', to: 'bob', text: 'mine', ts: TS }, v())).to.deep.equal([]);
    expect(chatLines({ type: 'message', from: 'ann', to: 'bob', text: 'mine', ts: TS }, v({ echo: true }))).to.deep.equal([':ann!ann@messenger PRIVMSG bob :mine']);
    expect(chatLines({ type: 'message', from: 'ann', to: 'ann', text: 'note to self', ts: TS }, v())).to.have.length(1);
    expect(chatLines({ type: 'message', from: 'bob', text: 'hi', ts: TS }, v({ serverTime: true }))).to.deep.equal(['@time=2026-12-03T12:34:56.789Z :bob!bob@messenger PRIVMSG #messenger :hi']);
    expect(chatLines({ type: 'message', from: 'bob', text: 'hi', ts: TS }, v({ inChannel: false }))).to.deep.equal([]);
  });

  it('a "/me" line becomes CTCP ACTION, split to fit like any other', () => {
    expect(chatLines({ type: 'message', from: 'bob', text: '/me waves', ts: TS }, v())).to.deep.equal([':bob!bob@messenger PRIVMSG #messenger :\x01ACTION waves\x01']);
    const long = chatLines({ type: 'message', from: 'bob', text: `/me ${'x'.repeat(2000)}`, ts: TS }, v());
    expect(long.length).to.be.greaterThan(3);
    for (const l of long) {
      expect(bodyBytes(l)).to.be.at.most(LIMITS.ircMaxBody);
      expect(l).to.match(/:\x01ACTION x+\x01$/);
    }
  });

  it('errors the hub sends: a refused message to all is 404, anything else a NOTICE', () => {
    expect(chatLines({ type: 'error', code: 'store-unavailable', message: 'disk full', re: 'say' }, v())[0]).to.match(/^:messenger 404 ann #messenger :Cannot send to channel: disk full$/);
    expect(chatLines({ type: 'error', code: 'store-unavailable', message: 'not kept', re: 'tell' }, v())).to.deep.equal([':messenger NOTICE ann :not kept']);
    expect(chatLines({ type: 'ping' }, v())).to.deep.equal([]);
  });

  it('history: time tags (in a chathistory batch) with server-time; without it the time leads the text; kept private lines to me', () => {
    const lines = [{ from: 'bob', text: 'old', ts: TS }, { from: 'cy', to: 'ann', text: 'kept for you', ts: TS + 1000 }, { from: 'bob', text: '/me left', ts: TS + 2000 }];
    expect(historyLines(lines, v())).to.deep.equal([
      ':bob!bob@messenger PRIVMSG #messenger :[2026-12-03 12:34 UTC] old',
      ':cy!cy@messenger PRIVMSG ann :[2026-12-03 12:34 UTC] kept for you',
      ':bob!bob@messenger PRIVMSG #messenger :\x01ACTION [2026-12-03 12:34 UTC] left\x01',
    ]);
    const batched = historyLines(lines, v({ serverTime: true, batch: true }));
    expect(batched[0]).to.equal(':messenger BATCH +history chathistory #messenger');
    expect(batched[1]).to.equal('@batch=history;time=2026-12-03T12:34:56.789Z :bob!bob@messenger PRIVMSG #messenger :old');
    expect(batched[batched.length - 1]).to.equal(':messenger BATCH -history');
    expect(historyLines([], v({ batch: true }))).to.deep.equal([]);
  });

  it('NAMES: as many 353 lines as the names need, each within 510 bytes, then 366', () => {
    const all = Array.from({ length: 300 }, (_, i) => `person-number-${i}`);
    const out = names('ann', all);
    expect(out.length).to.be.greaterThan(10);
    expect(out[out.length - 1]).to.match(/ 366 ann #messenger :End of \/NAMES list\.$/);
    const got: string[] = [];
    for (const l of out.slice(0, -1)) {
      expect(bodyBytes(l)).to.be.at.most(LIMITS.ircMaxBody);
      const r = parseLine(Buffer.from(l));
      if (r.ok) got.push(...r.message.params[3]!.split(' '));
    }
    expect(got).to.deep.equal(all);
  });

  it('the welcome burst, WHOIS of someone and of nobody, numerics addressed to * before a nickname', () => {
    const w = welcome({ nick: 'ann', created: 'today', online: 3 });
    expect(w.map((l) => l.split(' ')[1])).to.include.ordered.members(['001', '002', '003', '004', '005']);
    expect(w.find((l) => l.includes(' 005 '))).to.contain('CHANTYPES=#').and.contain('NICKLEN=24');
    expect(whois('ann', null, 'ghost').map((l) => l.split(' ')[1])).to.deep.equal(['401', '318']);
    const p = whois('ann', { nick: 'bob', user: 'bob', realname: 'Bob B', away: 'lunch', account: true }, 'bob').map((l) => l.split(' ')[1]);
    expect(p).to.deep.equal(['311', '319', '312', '301', '330', '318']);
    expect(numeric('ERR_NOTREGISTERED', null, 'You have not registered')).to.equal(':messenger 451 * :You have not registered');
  });

  it('CHATHISTORY: LATEST * and BEFORE msgid=ID are pages of the store; everything else a FAIL with its standard code', () => {
    expect(historyQuery(['LATEST', '#Messenger', '*', '50'], 500)).to.deep.equal({ ok: true, limit: 50, target: '#messenger' });
    expect(historyQuery(['before', '#messenger', 'msgid=1234', '9999'], 500)).to.deep.equal({ ok: true, limit: 500, before: 1234, target: '#messenger' });
    const reply = (p: string[]) => { const q = historyQuery(p, 500); return q.ok ? '' : q.reply; };
    expect(reply(['FOO', '#messenger', '*', '5'])).to.equal(':messenger FAIL CHATHISTORY UNKNOWN_COMMAND FOO :Unknown command');
    expect(reply(['LATEST', '#messenger'])).to.match(/ FAIL CHATHISTORY NEED_MORE_PARAMS LATEST :/);
    expect(reply(['AFTER', '#messenger', 'msgid=1', '5'])).to.match(/ FAIL CHATHISTORY INVALID_PARAMS AFTER :/);
    expect(reply(['LATEST', '#other', '*', '5'])).to.match(/ FAIL CHATHISTORY INVALID_TARGET LATEST #other :/);
    expect(reply(['LATEST', '#messenger', '*', '0'])).to.match(/ INVALID_PARAMS LATEST 0 :/);
    expect(reply(['BEFORE', '#messenger', 'timestamp=2026-01-01T00:00:00.000Z', '5'])).to.match(/ INVALID_PARAMS BEFORE timestamp=/);
  });

  it('a CHATHISTORY answer is always a batch (empty when there is nothing), with msgid and time tags', () => {
    expect(historyLines([], v({ serverTime: true }), { always: true, msgid: true, batchId: 'ch' })).to.deep.equal([
      ':messenger BATCH +ch chathistory #messenger', ':messenger BATCH -ch',
    ]);
    const out = historyLines([{ id: 7, from: 'bob', text: 'x', ts: TS }], v({ serverTime: true }), { always: true, msgid: true, batchId: 'ch' });
    expect(out[1]).to.equal('@batch=ch;msgid=7;time=2026-12-03T12:34:56.789Z :bob!bob@messenger PRIVMSG #messenger :x');
  });
});
