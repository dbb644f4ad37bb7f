// machines/token-bucket.ts: pure, immutable token bucket.
import { expect } from 'chai';
import fc from 'fast-check';
import { fullBucket, hasToken, refill, spend } from '../../machines/token-bucket.js';

describe('token-bucket', () => {
  const cfg = { ratePerSec: 10, burst: 5 };

  it('starts full', () => {
    expect(fullBucket(cfg, 1000)).to.deep.equal({ tokens: 5, at: 1000 });
  });

  it('allows a burst, then refuses until time refills it', () => {
    let b = fullBucket(cfg, 0);
    for (let i = 0; i < 5; i++) { expect(hasToken(b, cfg, 0)).to.equal(true); b = spend(b, cfg, 0); }
    expect(hasToken(b, cfg, 0)).to.equal(false);
    expect(hasToken(b, cfg, 50)).to.equal(false); // half a token
    expect(hasToken(b, cfg, 100)).to.equal(true); // one token after 100 ms at 10/s
    b = spend(b, cfg, 100);
    expect(b.tokens).to.be.closeTo(0, 1e-9);
  });

  it('refills at ratePerSec and never above burst', () => {
    const b = { tokens: 0, at: 0 };
    expect(refill(b, cfg, 200).tokens).to.be.closeTo(2, 1e-9);
    expect(refill(b, cfg, 60000).tokens).to.equal(5);
  });

  it('ignores time going backwards (the bucket is unchanged)', () => {
    const b = { tokens: 1, at: 1000 };
    expect(refill(b, cfg, 500)).to.equal(b);
    expect(spend(b, cfg, 500)).to.deep.equal({ tokens: 0, at: 1000 });
  });

  it('never goes below zero and honours a cost', () => {
    const b = { tokens: 1, at: 0 };
    expect(spend(b, cfg, 0, 3).tokens).to.equal(0);
    expect(hasToken({ tokens: 2, at: 0 }, cfg, 0, 3)).to.equal(false);
    expect(hasToken({ tokens: 3, at: 0 }, cfg, 0, 3)).to.equal(true);
  });

  it('is immutable', () => {
    const b = Object.freeze({ tokens: 3, at: 0 });
    spend(b, cfg, 10);
    refill(b, cfg, 10);
    expect(b).to.deep.equal({ tokens: 3, at: 0 });
  });

  it('property: over any schedule, accepted spends <= burst + rate * elapsed', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 50 }), fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 300 }),
      (ratePerSec, burst, gaps) => {
        const c = { ratePerSec, burst };
        let now = 0;
        let b = fullBucket(c, now);
        let accepted = 0;
        for (const g of gaps) {
          now += g;
          if (hasToken(b, c, now)) { b = spend(b, c, now); accepted++; }
          if (b.tokens < 0 || b.tokens > burst) return false;
        }
        return accepted <= burst + (ratePerSec * now) / 1000 + 1e-9;
      },
    ), { numRuns: 500 });
  });
});
