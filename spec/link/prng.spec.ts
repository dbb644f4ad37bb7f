import { expect } from 'chai';
import { Prng, mix32 } from '../../runtime/link/prng.js';

describe('link/prng', () => {
  it('gives the same stream for the same seed and a different one for another seed', () => {
    const a = new Prng(42), b = new Prng(42), c = new Prng(43);
    const xs = Array.from({ length: 100 }, () => a.next());
    expect(Array.from({ length: 100 }, () => b.next())).to.deep.equal(xs);
    expect(Array.from({ length: 100 }, () => c.next())).to.not.deep.equal(xs);
  });

  it('stays in [0, 1) with a mean near 0.5', () => {
    const r = new Prng(7);
    let sum = 0, min = 1, max = 0;
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      const x = r.next();
      sum += x; min = Math.min(min, x); max = Math.max(max, x);
    }
    expect(min).to.be.at.least(0);
    expect(max).to.be.below(1);
    expect(sum / n).to.be.closeTo(0.5, 0.01);
  });

  it('int(n) covers 0..n-1 evenly', () => {
    const r = new Prng(9);
    const counts = new Array<number>(10).fill(0);
    for (let i = 0; i < 100_000; i++) counts[r.int(10)]!++;
    for (const c of counts) expect(c).to.be.closeTo(10_000, 500);
  });

  it('derive() gives independent streams per salt, reproducibly', () => {
    const up = Prng.derive(5, 1).next(), down = Prng.derive(5, 2).next();
    expect(up).to.not.equal(down);
    expect(Prng.derive(5, 1).next()).to.equal(up);
    expect(mix32(1)).to.not.equal(mix32(2));
  });

  it('chance() is certain at 0 and 1', () => {
    const r = new Prng(1);
    for (let i = 0; i < 1000; i++) { expect(r.chance(0)).to.equal(false); expect(r.chance(1)).to.equal(true); }
  });
});
