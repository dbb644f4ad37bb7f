// runtime/hub.ts: presence and routing, with recording members.
import { expect } from 'chai';
import { encodeFrame } from '../../machines/frame-codec.js';
import { LIMITS } from '../../machines/limits.js';
const MAX_HISTORY_FRAME_BYTES = LIMITS.historyFrameBytes;
import { Hub } from '../../runtime/hub.js';

class Rec {
  readonly lines: Buffer[] = [];
  write(line: Buffer): void { this.lines.push(line); }
  /** Every frame received, in order (one write may carry several lines). */
  get frames(): Record<string, unknown>[] { return this.lines.flatMap((l) => l.toString('utf8').split('\n').filter(Boolean).map((x) => JSON.parse(x) as Record<string, unknown>)); }
}

describe('hub', () => {
  it('claim, then join: names unique case-insensitively; tells those already online, not the newcomer', () => {
    const events: string[] = [];
    const hub = new Hub(100, { joined: (n) => events.push(`+${n}`), left: (n, r) => events.push(`-${n}:${r}`) });
    const a = new Rec(); const b = new Rec();
    expect(hub.claim('Alice')).to.equal(true);
    expect(hub.isTaken('aLiCe'), 'a claimed name is taken before it goes online').to.equal(true);
    expect(hub.claim('alice')).to.equal(false);
    hub.join('Alice', a);
    expect(hub.claim('ALICE')).to.equal(false);
    expect(hub.isTaken('aLiCe')).to.equal(true);
    expect(hub.claim('bob')).to.equal(true);
    hub.join('bob', b);
    expect(a.frames, 'told at the end of the presence tick').to.deep.equal([]);
    hub.flushPresence();
    expect(a.frames).to.deep.equal([{ type: 'joined', name: 'bob' }]);
    expect(b.frames).to.deep.equal([]);
    expect(hub.names()).to.deep.equal(['Alice', 'bob']);
    expect(hub.size).to.equal(2);
    expect(events).to.deep.equal(['+Alice', '+bob']);
  });

  it('release: a claim that never went online is given back; a name online is not', () => {
    const hub = new Hub(100);
    expect(hub.claim('carol')).to.equal(true);
    hub.release('Carol');
    expect(hub.isTaken('carol')).to.equal(false);
    expect(hub.claim('carol')).to.equal(true);
    hub.join('carol', new Rec());
    hub.release('carol');
    expect(hub.isTaken('carol'), 'online: only leave frees it').to.equal(true);
    hub.leave('carol', 'quit');
    expect(hub.claim('carol')).to.equal(true);
  });

  it('leave: tells the others with the reason; leaving twice or an unknown name does nothing', () => {
    const hub = new Hub();
    const a = new Rec(); const b = new Rec();
    hub.join('alice', a); hub.join('bob', b);
    hub.leave('bob', 'gone');
    hub.leave('BOB', 'gone');
    hub.leave('nobody', 'x');
    hub.flushPresence();
    expect(a.frames).to.deep.equal([{ type: 'joined', name: 'bob' }, { type: 'left', name: 'bob', reason: 'gone' }]);
    expect(b.frames).to.deep.equal([]);
    expect(hub.isTaken('bob')).to.equal(false);
  });

  it('sayAll: everyone, the sender included, gets the very same encoded bytes', () => {
    const hub = new Hub();
    const rs = [new Rec(), new Rec(), new Rec()];
    rs.forEach((r, i) => hub.join(`u${i}`, r));
    hub.flushPresence();
    const before = rs.map((r) => r.lines.length);
    hub.sayAll('u0', 'hello', 123);
    const sent = rs.map((r, i) => r.lines.slice(before[i]));
    for (const s of sent) expect(s).to.have.length(1);
    expect(sent[1]![0]).to.equal(sent[0]![0]); // one Buffer, encoded once
    expect(JSON.parse(sent[0]![0]!.toString())).to.deep.equal({ type: 'message', from: 'u0', text: 'hello', ts: 123 });
  });

  it('tell: to the recipient (named as registered) and echoed to the sender; once when telling oneself', () => {
    const hub = new Hub();
    const a = new Rec(); const b = new Rec(); const c = new Rec();
    hub.join('alice', a); hub.join('Bob', b); hub.join('carol', c);
    hub.flushPresence();
    const mark = [a, b, c].map((r) => r.frames.length);
    expect(hub.tell('alice', 'bob', 'psst', 9)).to.equal(true);
    const msg = { type: 'message', from: 'alice', to: 'Bob', text: 'psst', ts: 9 };
    expect(b.frames.slice(mark[1])).to.deep.equal([msg]);
    expect(a.frames.slice(mark[0])).to.deep.equal([msg]);
    expect(c.frames.slice(mark[2])).to.deep.equal([]);
    expect(hub.tell('alice', 'nobody', 'x', 1)).to.equal(false);
    const m2 = a.frames.length;
    hub.tell('alice', 'alice', 'note to self', 2);
    expect(a.frames.slice(m2)).to.deep.equal([{ type: 'message', from: 'alice', to: 'alice', text: 'note to self', ts: 2 }]);
  });

  it('history: the last N messages to all, oldest first; private ones are not kept', () => {
    const hub = new Hub(3);
    hub.join('a', new Rec());
    for (let i = 0; i < 5; i++) hub.sayAll('a', `m${i}`, i);
    hub.tell('a', 'a', 'private', 9);
    expect(hub.history()).to.deep.equal([{ id: 3, from: 'a', text: 'm2', ts: 2 }, { id: 4, from: 'a', text: 'm3', ts: 3 }, { id: 5, from: 'a', text: 'm4', ts: 4 }]);
    expect(hub.historyPage(2, 5)).to.deep.equal([{ id: 3, from: 'a', text: 'm2', ts: 2 }, { id: 4, from: 'a', text: 'm3', ts: 3 }]);
    // a copy: changing it does not change the hub
    hub.history().pop();
    expect(hub.history()).to.have.length(3);
  });

  it('history and its pages stay under MAX_HISTORY_FRAME_BYTES, the newest lines kept', async () => {
    const hub = new Hub(100);
    for (let i = 0; i < 100; i++) hub.sayAll('a', `${i} ${'\u0001'.repeat(3990)}`, i); // 6 bytes a character in JSON
    const h = hub.history();
    expect(h.length).to.be.within(5, 10);
    expect(h.at(-1)!.text.startsWith('99 ')).to.equal(true);
    expect(encodeFrame({ type: 'history', messages: h }).length).to.be.at.most(MAX_HISTORY_FRAME_BYTES);
    const page = (await hub.historyPage(500, h[0]!.id))!;
    expect(page.at(-1)!.id).to.equal(h[0]!.id! - 1);
    expect(encodeFrame({ type: 'history', messages: page }).length).to.be.at.most(MAX_HISTORY_FRAME_BYTES);
  });

  it('history defaults to 100 messages', () => {
    const hub = new Hub();
    for (let i = 0; i < 150; i++) hub.sayAll('a', `m${i}`, i);
    const h = hub.history();
    expect(h).to.have.length(100);
    expect(h[0]!.text).to.equal('m50');
    expect(h[99]!.text).to.equal('m149');
  });

  it('a member leaving while a broadcast is being delivered (a slow reader cut off) does not break delivery to the rest', () => {
    const hub = new Hub();
    const a = new Rec(); const c = new Rec();
    const b = { write: (l: Buffer) => { if (l.includes('"message"')) hub.leave('b', 'slow-reader'); } };
    hub.join('a', a); hub.join('b', b); hub.join('c', c);
    hub.flushPresence();
    const ma = a.frames.length; const mc = c.frames.length;
    hub.sayAll('a', 'x', 1);
    hub.flushPresence();
    expect(a.frames.slice(ma).map((f) => f.type)).to.include.members(['message', 'left']);
    expect(c.frames.slice(mc).map((f) => f.type)).to.include.members(['message', 'left']);
    expect(hub.names()).to.deep.equal(['a', 'c']);
  });

  describe('presence ticks', () => {
    const lines = (r: Rec) => r.lines.length;

    it('a storm of joins costs one write per member per tick, and the notices come in order', () => {
      const hub = new Hub();
      const old = [new Rec(), new Rec()];
      old.forEach((r, i) => hub.join(`old${i}`, r));
      hub.flushPresence();
      const before = old.map(lines);
      for (let i = 0; i < 50; i++) hub.join(`new${i}`, new Rec());
      hub.leave('new3', 'quit');
      hub.flushPresence();
      old.forEach((r, i) => expect(lines(r) - before[i]!, 'one write for the whole tick').to.equal(1));
      const got = old[0]!.frames.slice(-51);
      expect(got.slice(0, 50).map((f) => f.name)).to.deep.equal(Array.from({ length: 50 }, (_, i) => `new${i}`));
      expect(got[50]).to.deep.equal({ type: 'left', name: 'new3', reason: 'quit' });
    });

    it('who joins during a tick is told only what came after its own join: its welcome listed the rest', () => {
      const hub = new Hub();
      hub.join('a', new Rec());
      hub.flushPresence();
      hub.join('b', new Rec());
      const c = new Rec();
      hub.join('c', c);
      expect(hub.names(), 'what c\'s welcome lists').to.deep.equal(['a', 'b', 'c']);
      hub.join('d', new Rec());
      hub.leave('a', 'gone');
      hub.flushPresence();
      expect(c.frames).to.deep.equal([{ type: 'joined', name: 'd' }, { type: 'left', name: 'a', reason: 'gone' }]);
      expect(c.lines, 'one write, a view of the shared bytes').to.have.length(1);
    });

    it('members with the presence capability get one shared presence frame: leaves first, then joins', () => {
      const hub = new Hub();
      const p = new Rec(); const q = new Rec();
      hub.join('p', p, { presence: true }); hub.join('q', q, { presence: true });
      hub.join('gone', new Rec());
      hub.flushPresence();
      const mp = p.lines.length;
      hub.join('x', new Rec());
      hub.leave('gone', 'quit');
      hub.join('y', new Rec());
      hub.leave('y', 'quit'); // in and out within the tick: a leave (no news to whoever never listed y)
      hub.flushPresence();
      expect(p.frames.slice(-1)).to.deep.equal([{ type: 'presence', joined: ['x'], left: [{ name: 'gone', reason: 'quit' }, { name: 'y', reason: 'quit' }] }]);
      expect(p.lines.slice(mp)[0], 'encoded once for all').to.equal(q.lines.at(-1));
    });

    it('a message to all is delivered after the joins before it', () => {
      const hub = new Hub();
      const a = new Rec();
      hub.join('a', a);
      hub.flushPresence();
      hub.join('b', new Rec());
      hub.sayAll('b', 'hi', 1);
      expect(a.frames.map((f) => f.type)).to.deep.equal(['joined', 'message']);
    });

    it('the tick ends by itself on the clock (at once in a small room)', async () => {
      const hub = new Hub();
      const a = new Rec();
      hub.join('a', a);
      hub.join('b', new Rec());
      for (let i = 0; i < 100 && !a.lines.length; i++) await new Promise((r) => setTimeout(r, 5));
      expect(a.frames).to.deep.equal([{ type: 'joined', name: 'b' }]);
    });

    it('the welcome\'s list is kept encoded: joins append, a leave rebuilds it', () => {
      const hub = new Hub();
      for (const n of ['a', 'b', 'c']) hub.join(n, new Rec());
      const welcome = () => JSON.parse(Buffer.concat(hub.onlineFrame({ type: 'welcome', online: [] })).toString()) as { online: string[] };
      expect(welcome().online).to.deep.equal(['a', 'b', 'c']);
      hub.leave('b', 'quit');
      hub.join('d', new Rec());
      expect(welcome().online).to.deep.equal(['a', 'c', 'd']);
    });
  });
});
