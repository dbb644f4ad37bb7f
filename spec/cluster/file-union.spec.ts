// The cluster's one file list as a node has heard it: each name once (this node's entry first), only live nodes,
// late or stale announcements ignored, a restarted node's new run taken, the list cut to its byte bound.
import { expect } from 'chai';
import { FileUnion } from '../../runtime/cluster/file-union.js';
import type { CatalogueAnnouncement } from '../../runtime/cluster/files-wire.js';
import { NodeKeys } from '../../runtime/cluster/key-seal.js';

const key = new NodeKeys().publicKey;
const ann = (node: string, files: Array<[string, number]>, rev = 1, run = 'aaaaaaaaaaaaaaaa'): CatalogueAnnouncement =>
  ({ node, run, rev, key, files: files.map(([name, size]) => ({ name, size })) });

describe('cluster/file-union', () => {
  it('lists every name once, sorted; this node\'s entry wins, then the first node in name order', () => {
    const u = new FileUnion('n1', 1000);
    u.announced(ann('n3', [['b', 3], ['c', 30]]), 0);
    u.announced(ann('n2', [['b', 2], ['d', 4]]), 0);
    expect(u.union([{ name: 'c', size: 1 }, { name: 'a', size: 1 }], 1 << 20)).to.deep.equal([
      { name: 'a', size: 1 }, { name: 'b', size: 2 }, { name: 'c', size: 1 }, { name: 'd', size: 4 }]);
    expect(u.holder('b')!.node).to.equal('n2');
    expect(u.holder('c')!.node).to.equal('n3');
    expect(u.holder('a')).to.equal(null);
    expect(u.announced(ann('n1', [['x', 1]]), 0), 'its own announcement').to.equal(false);
  });

  it('ignores an older announcement of the same run, takes a new run (a restarted node)', () => {
    const u = new FileUnion('n1', 1000);
    expect(u.announced(ann('n2', [['new', 1]], 5), 0)).to.equal(true);
    expect(u.announced(ann('n2', [['old', 1]], 4), 0)).to.equal(false);
    expect(u.holder('new')).to.not.equal(null);
    expect(u.announced(ann('n2', [['restarted', 1]], 1, 'bbbbbbbbbbbbbbbb'), 0)).to.equal(true);
    expect(u.holder('new')).to.equal(null);
    expect(u.holder('restarted')!.node).to.equal('n2');
  });

  it('a node unheard of past the dead time is swept with its files; heartbeats keep it', () => {
    const u = new FileUnion('n1', 1000);
    u.announced(ann('n2', [['f', 1]]), 0);
    u.announced(ann('n3', [['g', 1]]), 0);
    expect(u.heard('n2', 900)).to.equal(false);
    expect(u.heard('n4', 900), 'a node heard for the first time').to.equal(true);
    expect(u.sweep(1500)).to.deep.equal(['n3']);
    expect(u.union([], 1 << 20).map((f) => f.name)).to.deep.equal(['f']);
    u.graceAll(5000);
    expect(u.sweep(5500)).to.deep.equal([]);
  });

  it('cuts the list to the byte bound', () => {
    const u = new FileUnion('n1', 1000);
    const many: Array<[string, number]> = Array.from({ length: 100 }, (_, i) => [`file-${String(i).padStart(3, '0')}`, i]);
    u.announced(ann('n2', many), 0);
    const cut = u.union([], 1000);
    expect(cut.length).to.be.above(10).and.below(100);
    expect(Buffer.byteLength(JSON.stringify({ type: 'files', files: cut }))).to.be.at.most(1000);
    expect(cut[0]!.name).to.equal('file-000');
  });
});
