import { expect } from 'chai';
import { Impairments, applyCorruption } from '../../runtime/link/impairments.js';
import type { Verdict } from '../../runtime/link/impairments.js';
import type { ImpairmentSpec } from '../../runtime/link/impairment-spec.js';
import { Prng } from '../../runtime/link/prng.js';

const N = 100_000;
const SIZE = 1200;

function run(spec: ImpairmentSpec, seed: number, n: number, gapMs = 1): Verdict[] {
  const imp = new Impairments(spec, new Prng(seed));
  return Array.from({ length: n }, (_, i) => imp.decide(i * gapMs, SIZE));
}

const dropped = (vs: Verdict[]) => vs.filter((v) => v.kind === 'drop').length;
const times = (v: Verdict) => (v.kind === 'deliver' ? v.at : []);

describe('link/impairments', () => {
  it('a clean spec delivers everything at once, untouched', () => {
    const imp = new Impairments({}, new Prng(1));
    for (let t = 0; t < 1000; t++) {
      expect(imp.decide(t, SIZE)).to.deep.equal({ kind: 'deliver', at: [t], corrupt: null, reordered: false });
    }
  });

  it('random loss stays within tolerance of the rate over 100k decisions', () => {
    const imp = new Impairments({ loss: 0.3 }, new Prng(11));
    let lost = 0;
    for (let i = 0; i < N; i++) if (imp.decide(i, SIZE).kind === 'drop') lost++;
    expect(lost / N).to.be.closeTo(0.3, 0.01);
    expect(imp.stats().dropped.loss).to.equal(lost);
    expect(imp.stats().received).to.equal(N);
  });

  it('the same seed gives the same decisions; another seed does not', () => {
    const spec: ImpairmentSpec = {
      loss: 0.05, gilbertElliott: { p: 0.01, r: 0.3 }, corrupt: 0.05, duplicate: 0.05, reorder: 0.05, delayMs: 10, jitterMs: 5,
      rateBitsPerSec: 10e6, queuePackets: 10,
    };
    const a = run(spec, 99, 5000, 0.5), b = run(spec, 99, 5000, 0.5), c = run(spec, 100, 5000, 0.5);
    expect(a).to.deep.equal(b);
    expect(a).to.not.deep.equal(c);
  });

  it('Gilbert-Elliott loses in bursts of mean length 1/r at the stationary rate p/(p+r)', () => {
    const p = 0.01, r = 0.3;
    const vs = run({ gilbertElliott: { p, r } }, 3, N);
    const bursts: number[] = [];
    let run_ = 0;
    for (const v of vs) {
      if (v.kind === 'drop') { expect(v.cause).to.equal('burst'); run_++; } else if (run_) { bursts.push(run_); run_ = 0; }
    }
    const mean = bursts.reduce((s, x) => s + x, 0) / bursts.length;
    expect(mean).to.be.closeTo(1 / r, 0.3);
    expect(dropped(vs) / N).to.be.closeTo(p / (p + r), 0.008);
    // independent loss at the same rate would give mean bursts of about 1/(1-loss) = 1.03
    const iid = run({ loss: p / (p + r) }, 3, N);
    let iidBursts = 0, iidLost = 0, prev = false;
    for (const v of iid) { const d = v.kind === 'drop'; if (d) { iidLost++; if (!prev) iidBursts++; } prev = d; }
    expect(iidLost / iidBursts).to.be.below(1.1);
  });

  it('delay with jitter stays within [delay - jitter, delay + jitter] and keeps order', () => {
    const delay = 20, jitter = 5;
    const vs = run({ delayMs: delay, jitterMs: jitter }, 5, 10_000, 100);
    let prev = -Infinity;
    let lo = Infinity, hi = -Infinity;
    vs.forEach((v, i) => {
      const at = times(v)[0]!;
      const d = at - i * 100;
      lo = Math.min(lo, d); hi = Math.max(hi, d);
      expect(at).to.be.at.least(prev);
      prev = at;
    });
    expect(lo).to.be.at.least(delay - jitter).and.below(delay - jitter + 0.5);
    expect(hi).to.be.at.most(delay + jitter).and.above(delay + jitter - 0.5);
  });

  it('jitter on a dense flow never lets a datagram overtake another', () => {
    const vs = run({ delayMs: 10, jitterMs: 8 }, 6, 10_000, 0.1);
    for (let i = 1; i < vs.length; i++) expect(times(vs[i]!)[0]).to.be.at.least(times(vs[i - 1]!)[0]!);
  });

  it('reorder holds some datagrams back so that later ones overtake them', () => {
    const imp = new Impairments({ reorder: 0.1, reorderDelayMs: 5 }, new Prng(8));
    const vs = Array.from({ length: 10_000 }, (_, i) => imp.decide(i, SIZE));
    const held = vs.filter((v) => v.kind === 'deliver' && v.reordered);
    expect(held.length / vs.length).to.be.closeTo(0.1, 0.01);
    expect(imp.stats().reordered).to.equal(held.length);
    vs.forEach((v, i) => expect(times(v)[0]).to.equal(v.kind === 'deliver' && v.reordered ? i + 5 : i));
  });

  it('duplication gives two copies at the same time', () => {
    const vs = run({ duplicate: 0.2 }, 4, 10_000);
    const dups = vs.filter((v) => times(v).length === 2);
    expect(dups.length / vs.length).to.be.closeTo(0.2, 0.015);
    for (const v of dups) expect(times(v)[0]).to.equal(times(v)[1]);
  });

  it('corruption names one byte inside the payload and a mask that always changes it', () => {
    const imp = new Impairments({ corrupt: 1 }, new Prng(12));
    for (let i = 0; i < 2000; i++) {
      const v = imp.decide(i, 16);
      if (v.kind !== 'deliver' || !v.corrupt) throw new Error('expected a corruption');
      expect(v.corrupt.index).to.be.within(0, 15);
      const buf = Buffer.alloc(16, 0xab);
      applyCorruption(buf, v.corrupt);
      const changed = [...buf].filter((b) => b !== 0xab).length;
      expect(changed).to.equal(1);
    }
    expect(imp.stats().corrupted).to.equal(2000);
    // an empty datagram has nothing to corrupt
    expect(imp.decide(5000, 0)).to.deep.include({ corrupt: null });
  });

  it('blackouts drop everything inside them and nothing outside', () => {
    const imp = new Impairments({ blackouts: [{ at: 100, for: 50 }, { at: 300, for: 10 }] }, new Prng(1));
    for (let t = 0; t < 400; t++) {
      const inside = (t >= 100 && t < 150) || (t >= 300 && t < 310);
      expect(imp.decide(t, SIZE).kind, `t=${t}`).to.equal(inside ? 'drop' : 'deliver');
    }
    expect(imp.stats().dropped.blackout).to.equal(60);
  });

  it('the bottleneck shapes departures, adds delay after them, and drops the tail', () => {
    const imp = new Impairments({ rateBitsPerSec: 1e6, queuePackets: 4, delayMs: 10 }, new Prng(1));
    const vs = Array.from({ length: 6 }, () => imp.decide(0, 1000)); // a burst of 6 at t=0
    expect(vs.slice(0, 4).map((v) => times(v)[0])).to.deep.equal([18, 26, 34, 42]);
    expect(vs.slice(4).map((v) => (v.kind === 'drop' ? v.cause : 'deliver'))).to.deep.equal(['queue', 'queue']);
    const s = imp.stats();
    expect(s.dropped.queue).to.equal(2);
    expect(s.queueMaxPackets).to.equal(4);
    expect(s.queueMaxBytes).to.equal(4000);
  });

  it('rate without a queue length gets the default finite queue', () => {
    const vs = run({ rateBitsPerSec: 1e6 }, 1, 200, 0);
    expect(dropped(vs)).to.be.greaterThan(0);
  });
});
