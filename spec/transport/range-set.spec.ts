import { expect } from 'chai';
import fc from 'fast-check';
import { RangeSet } from '../../machines/transport/range-set.js';

const list = (s: RangeSet): Array<[number, number]> => [...s.ascending()].map(([a, b]) => [a, b]);

describe('transport/range-set', () => {
  it('merges touching and overlapping inserts and reports new coverage', () => {
    const s = new RangeSet();
    expect(s.insert(0, 10)).to.equal(10);
    expect(s.insert(10, 20)).to.equal(10); // touching: merged
    expect(s.insert(30, 40)).to.equal(10);
    expect(s.insert(5, 35)).to.equal(10);  // fills the gap [20,30)
    expect(list(s)).to.deep.equal([[0, 40]]);
    expect(s.covered).to.equal(40);
    expect(s.insert(0, 40)).to.equal(0);
  });

  it('answers contains, firstGap, gaps and intersects', () => {
    const s = new RangeSet([[0, 10], [20, 30], [40, 50]]);
    expect(s.contains(0)).to.equal(true);
    expect(s.contains(10)).to.equal(false);
    expect(s.containsRange(20, 30)).to.equal(true);
    expect(s.containsRange(25, 35)).to.equal(false);
    expect(s.firstGap(0)).to.equal(10);
    expect(s.firstGap(15)).to.equal(15);
    expect(s.firstGap(20)).to.equal(30);
    expect(s.gaps(5, 45)).to.deep.equal([[10, 20], [30, 40]]);
    expect(s.gaps(20, 30)).to.deep.equal([]);
    expect(s.intersects(10, 20)).to.equal(false);
    expect(s.intersects(10, 21)).to.equal(true);
    expect([...s.descending()].map((r) => r[0])).to.deep.equal([40, 20, 0]);
  });

  it('removes inside, across and below ranges', () => {
    const s = new RangeSet([[0, 10], [20, 30]]);
    expect(s.remove(3, 5)).to.equal(2);
    expect(list(s)).to.deep.equal([[0, 3], [5, 10], [20, 30]]);
    expect(s.remove(8, 25)).to.equal(7);
    expect(list(s)).to.deep.equal([[0, 3], [5, 8], [25, 30]]);
    s.removeBelow(6);
    expect(list(s)).to.deep.equal([[6, 8], [25, 30]]);
    expect(s.covered).to.equal(7);
    expect(s.min).to.equal(6);
    expect(s.max).to.equal(30);
  });

  it('appends at the top in constant time (a million in-order inserts stay one range)', () => {
    const s = new RangeSet();
    for (let i = 0; i < 1_000_000; i++) s.insert(i * 10, i * 10 + 10);
    expect(s.count).to.equal(1);
    expect(s.covered).to.equal(10_000_000);
  });

  it('behaves like a set of integers (property)', () => {
    const op = fc.record({
      kind: fc.constantFrom('insert', 'remove', 'removeBelow'),
      a: fc.integer({ min: 0, max: 60 }),
      len: fc.integer({ min: 0, max: 15 }),
    });
    fc.assert(fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
      const s = new RangeSet();
      const model = new Set<number>();
      for (const { kind, a, len } of ops) {
        if (kind === 'insert') {
          let fresh = 0;
          for (let x = a; x < a + len; x++) if (!model.has(x)) { model.add(x); fresh++; }
          expect(s.insert(a, a + len)).to.equal(fresh);
        } else if (kind === 'remove') {
          let gone = 0;
          for (let x = a; x < a + len; x++) if (model.delete(x)) gone++;
          expect(s.remove(a, a + len)).to.equal(gone);
        } else {
          for (const x of [...model]) if (x < a) model.delete(x);
          s.removeBelow(a);
        }
      }
      expect(s.covered).to.equal(model.size);
      for (let x = 0; x < 80; x++) expect(s.contains(x)).to.equal(model.has(x));
      const ranges = list(s);
      for (let i = 1; i < ranges.length; i++) expect(ranges[i]![0]).to.be.greaterThan(ranges[i - 1]![1]); // disjoint, not adjacent
      let gap = 0;
      while (model.has(gap)) gap++;
      expect(s.firstGap(0)).to.equal(gap);
      const gapsCount = s.gaps(0, 80).reduce((n, [a, b]) => n + b - a, 0);
      expect(gapsCount).to.equal(80 - [...model].filter((x) => x < 80).length);
    }), { numRuns: 300 });
  });
});
