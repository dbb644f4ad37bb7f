// The dashboard's event log: server log records mapped to events, a bounded ring, filters, and the logger tap.
import { expect } from 'chai';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { classify, EventLog, filterEvents, tapLogger } from '../../runtime/dashboard/event-log.js';

describe('dashboard event log', () => {
  it('maps joins, leaves, refusals and transfer endings from the server\'s log records, and nothing else', () => {
    expect(classify('joined', { name: 'alice', online: 3 })).to.deep.equal({ kind: 'join', text: 'alice joined (3 online)' });
    expect(classify('left', { name: 'alice', reason: 'quit', online: 2 })).to.deep.equal({ kind: 'leave', text: 'alice left: quit (2 online)' });
    expect(classify('refused', { remote: '1.2.3.4:5', code: 'name-taken', message: 'the nickname "bob" is taken' }))
      .to.deep.equal({ kind: 'refusal', text: '1.2.3.4:5: name-taken: the nickname "bob" is taken' });
    expect(classify('refused', { remote: '1.2.3.4:5', name: 'bob', code: 'rate-limited' })).to.deep.equal({ kind: 'refusal', text: 'bob (1.2.3.4:5): rate-limited' });
    expect(classify('download refused', { name: 'bob', file: 'x.bin', code: 'busy' })!.text).to.equal('bob: download of x.bin refused: busy');
    expect(classify('refused: too many connections from one address', { remote: '9.9.9.9', limit: 128 })!.kind).to.equal('refusal');
    expect(classify('transfer ended', { id: 4, name: 'bob', file: 'x.bin', outcome: 'stopped', reason: 'client-stopped', acked: 10, seconds: 1.5 }))
      .to.deep.equal({ kind: 'transfer', text: '#4 x.bin to bob: stopped (client-stopped), 10 bytes acknowledged in 1.5 s' });
    for (const msg of ['connect', 'disconnect', 'listening', 'transfer offered', 'store open']) expect(classify(msg, {}), msg).to.equal(null);
  });

  it('keeps the newest events up to its bound and hands out those after a sequence number', () => {
    const log = new EventLog(3);
    for (let i = 1; i <= 5; i++) log.add('join', `u${i} joined`, i);
    expect(log.since(0).map((e) => e.text)).to.deep.equal(['u3 joined', 'u4 joined', 'u5 joined']);
    expect(log.since(4).map((e) => e.seq)).to.deep.equal([5]);
    expect(log.since(5)).to.deep.equal([]);
    expect(log.lastSeq).to.equal(5);
    log.record('listening', {}, 6);
    log.record('left', { name: 'u1', reason: 'gone', online: 0 }, 7);
    expect(log.since(5).map((e) => [e.kind, e.t])).to.deep.equal([['leave', 7]]);
  });

  it('filters by kind and by text, case-insensitively', () => {
    const log = new EventLog();
    log.add('join', 'Alice joined', 1);
    log.add('refusal', 'bob: name-taken', 2);
    log.add('leave', 'alice left: quit', 3);
    const all = log.since(0);
    expect(filterEvents(all, { kinds: new Set(['join', 'leave'] as const) }).map((e) => e.seq)).to.deep.equal([1, 3]);
    expect(filterEvents(all, { text: 'ALICE' }).map((e) => e.seq)).to.deep.equal([1, 3]);
    expect(filterEvents(all, { kinds: new Set(['leave'] as const), text: 'alice' }).map((e) => e.seq)).to.deep.equal([3]);
    expect(filterEvents(all, {})).to.have.length(3);
  });

  it('taps a pino logger: every record still logged, and seen whatever the log level', () => {
    const out: string[] = [];
    const base = pino({ level: 'warn', base: undefined }, new Writable({ write(c: Buffer, _e, cb) { out.push(c.toString()); cb(); } }));
    const seen: [string, Record<string, unknown>][] = [];
    const log = tapLogger(base, (msg, f) => seen.push([msg, f]));
    log.info({ name: 'alice', online: 1 }, 'joined');
    log.warn('plain text');
    log.error({ err: 'x' }, 'broken');
    log.debug({ a: 1 }, 'not tapped');
    expect(seen).to.deep.equal([['joined', { name: 'alice', online: 1 }], ['plain text', {}], ['broken', { err: 'x' }]]);
    expect(out.map((l) => (JSON.parse(l) as { msg: string }).msg)).to.deep.equal(['plain text', 'broken']);
    expect(log.level).to.equal('warn');
    expect(log.isLevelEnabled('info')).to.equal(false);
  });
});
