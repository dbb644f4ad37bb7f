// runtime/cluster/wire.ts and subjects.ts: what nodes say to each other, decoded strictly; the subject layout.
import { expect } from 'chai';
import { subjects } from '../../runtime/cluster/subjects.js';
import { decodeHeartbeat, decodePresence, decodeRosterRequest, decodeTell, decodeTellReply, encode } from '../../runtime/cluster/wire.js';

const raw = (s: string) => new TextEncoder().encode(s);

describe('cluster wire', () => {
  it('round-trips every message kind', () => {
    expect(decodePresence(encode({ op: 'join', node: 'n1', name: 'alice' }))).to.deep.equal({ op: 'join', node: 'n1', name: 'alice' });
    expect(decodePresence(encode({ op: 'leave', node: 'n1', name: 'alice', reason: 'quit' }))).to.deep.equal({ op: 'leave', node: 'n1', name: 'alice', reason: 'quit' });
    expect(decodePresence(encode({ op: 'roster', node: 'n1', names: ['a', 'b'] }))).to.deep.equal({ op: 'roster', node: 'n1', names: ['a', 'b'] });
    expect(decodeHeartbeat(encode({ node: 'n1', at: 5, users: 2 }))).to.deep.equal({ node: 'n1', at: 5, users: 2 });
    expect(decodeTell(encode({ from: 'a', to: 'b', text: 'hi', ts: 1, after: 7 }))).to.deep.equal({ from: 'a', to: 'b', text: 'hi', ts: 1, after: 7 });
    expect(decodeTellReply(encode({ ok: true, to: 'Bob' }))).to.deep.equal({ ok: true, to: 'Bob' });
    expect(decodeTellReply(encode({ ok: false }))).to.deep.equal({ ok: false });
    expect(decodeRosterRequest(encode({ from: 'n1' }))).to.deep.equal({ from: 'n1' });
    expect(decodeRosterRequest(encode({ from: 'n1', node: 'n2' }))).to.deep.equal({ from: 'n1', node: 'n2' });
  });

  it('drops what is not JSON, not an object, or of the wrong shape (another program on the broker)', () => {
    for (const bad of ['', 'not json', '[]', 'null', '{"op":"join","node":"n1"}', '{"op":"join","node":"n1","name":"has space"}',
      '{"op":"roster","node":"n1","names":["ok",3]}', '{"op":"nuke","node":"n1"}', '{"op":"join","node":"","name":"a"}']) {
      expect(decodePresence(raw(bad)), bad).to.equal(null);
    }
    expect(decodeHeartbeat(raw('{"node":"n1","at":"soon","users":1}'))).to.equal(null);
    expect(decodeTell(raw('{"from":"a","to":"b","text":"x","ts":1}'))).to.equal(null);
    expect(decodeTell(raw('{"from":"not a name!","to":"b","text":"x","ts":1,"after":0}'))).to.equal(null);
    expect(decodeTellReply(raw('{"ok":"yes"}'))).to.equal(null);
    expect(decodeRosterRequest(raw('{"node":"n2"}'))).to.equal(null);
  });

  it('subjects: one prefix for everything; a prefix that is not a NATS token is refused', () => {
    const s = subjects('MSG');
    expect([s.presence, s.rosterRequest, s.heartbeats, s.heartbeat('n1'), s.tell('n1')]).to.deep.equal(['MSG.presence', 'MSG.roster', 'MSG.node.*.hb', 'MSG.node.n1.hb', 'MSG.node.n1.tell']);
    expect(() => subjects('a.b')).to.throw(/prefix/);
    expect(() => subjects('')).to.throw(/prefix/);
  });
});
