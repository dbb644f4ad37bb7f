// runtime/cluster/node-table.ts: who is on which node and which nodes are alive, with time passed in.
import { expect } from 'chai';
import { NodeTable } from '../../runtime/cluster/node-table.js';

describe('cluster node table', () => {
  it('learns nodes from what they say; never counts itself', () => {
    const t = new NodeTable('me', 1000);
    expect(t.heard('me', 0)).to.equal(false);
    expect(t.heard('n2', 0)).to.equal(true);
    expect(t.heard('n2', 10)).to.equal(false);
    expect(t.alive('me')).to.equal(true);
    expect(t.alive('n2')).to.equal(true);
    expect(t.alive('n3')).to.equal(false);
    expect(t.nodes()).to.deep.equal(['n2']);
  });

  it('users by node, case-insensitively; a leave from another node than the holder is ignored', () => {
    const t = new NodeTable('me', 1000);
    expect(t.add('Bob', 'n2')).to.equal(true);
    expect(t.add('bob', 'n2')).to.equal(false);
    expect(t.has('BOB')).to.equal(true);
    expect(t.user('bob')).to.deep.equal({ name: 'Bob', node: 'n2' });
    expect(t.remove('bob', 'n3')).to.equal(undefined);
    expect(t.remove('bob', 'n2')).to.deep.equal({ name: 'Bob', node: 'n2' });
    expect(t.size).to.equal(0);
  });

  it('a roster replaces what was known of a node: who joined and who left since', () => {
    const t = new NodeTable('me', 1000);
    t.add('a', 'n2'); t.add('b', 'n2'); t.add('c', 'n3');
    const diff = t.roster('n2', ['b', 'd']);
    expect(diff.joined).to.deep.equal(['d']);
    expect(diff.left).to.deep.equal([{ name: 'a', node: 'n2' }]);
    expect(t.names().sort()).to.deep.equal(['b', 'c', 'd']);
  });

  it('a node unheard of past the dead time is swept with its users; a grace period after an outage', () => {
    const t = new NodeTable('me', 1000);
    t.heard('n2', 0); t.heard('n3', 0);
    t.add('a', 'n2'); t.add('b', 'n3');
    t.heard('n3', 900);
    expect(t.sweep(1000)).to.deep.equal([]);
    const dead = t.sweep(1001);
    expect(dead).to.deep.equal([{ node: 'n2', users: [{ name: 'a', node: 'n2' }] }]);
    expect(t.alive('n2')).to.equal(false);
    expect(t.has('a')).to.equal(false);
    t.graceAll(5000);
    expect(t.sweep(5900)).to.deep.equal([]);
    expect(t.sweep(6001).map((d) => d.node)).to.deep.equal(['n3']);
  });
});
