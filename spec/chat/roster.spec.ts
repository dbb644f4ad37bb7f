// machines/roster.ts: who is online as the client knows it, and one event per person from a presence frame.
import { expect } from 'chai';
import { Roster } from '../../machines/roster.js';

describe('roster', () => {
  it('a presence frame: leaves first, then joins; known joins and unknown leaves are no news', () => {
    const r = new Roster();
    r.set(['me', 'Ann', 'bob']);
    const changes = r.presence(['me', 'ANN', 'cy', 'bob'], [{ name: 'bob', reason: 'quit' }, { name: 'ghost', reason: 'quit' }]);
    expect(changes).to.deep.equal([{ type: 'left', name: 'bob', reason: 'quit' }, { type: 'joined', name: 'cy' }, { type: 'joined', name: 'bob' }]);
    expect(r.list().sort()).to.deep.equal(['Ann', 'bob', 'cy', 'me']);
  });

  it('malformed entries are skipped, a missing reason is left out', () => {
    const r = new Roster();
    r.set(['a']);
    expect(r.presence([1, null, 'b'], [{ name: 'a' }, 'x', null])).to.deep.equal([{ type: 'left', name: 'a' }, { type: 'joined', name: 'b' }]);
    expect(r.presence('nope', { name: 'b' })).to.deep.equal([]);
  });

  it('joined/left frames of a server without the capability are told as they come, and noted', () => {
    const r = new Roster();
    r.set([]);
    expect(r.joined('ann')).to.deep.equal({ type: 'joined', name: 'ann' });
    expect(r.has('ANN')).to.equal(true);
    expect(r.left('ann', 'quit')).to.deep.equal({ type: 'left', name: 'ann', reason: 'quit' });
    expect(r.left('ann', undefined)).to.deep.equal({ type: 'left', name: 'ann' });
    expect(r.size).to.equal(0);
  });
});
