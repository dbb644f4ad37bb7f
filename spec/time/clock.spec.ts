// runtime/clock.ts: the warp clock fires each timer at its own due time, in order, when moved by hand, and still
// lets time pass by itself; every() repeats without drift or catch-up bursts.
import { expect } from 'chai';
import { every, systemClock, WarpClock } from '../../runtime/clock.js';

describe('time/clock', () => {
  it('systemClock is on the epoch scale and never goes backwards', () => {
    const a = systemClock.now();
    const b = systemClock.now();
    expect(Math.abs(a - Date.now())).to.be.below(1000);
    expect(b).to.be.at.least(a);
  });

  it('advance() fires every timer due on the way, in due order, each seeing its own time', () => {
    const c = new WarpClock();
    const t0 = c.now();
    const seen: Array<[string, number]> = [];
    c.setTimeout(() => seen.push(['b', c.now() - t0]), 2000);
    c.setTimeout(() => seen.push(['a', c.now() - t0]), 1000);
    c.setTimeout(() => seen.push(['late', c.now() - t0]), 60_000);
    c.advance(5000);
    expect(seen.map((s) => s[0])).to.deep.equal(['a', 'b']);
    expect(seen[0]![1]).to.be.within(1000, 1050);
    expect(seen[1]![1]).to.be.within(2000, 2050);
    expect(c.now() - t0).to.be.within(5000, 5050);
    expect(c.pending).to.equal(1);
    c.dispose();
  });

  it('a timer set by a timer during advance() fires within the same advance when due', () => {
    const c = new WarpClock();
    const order: number[] = [];
    c.setTimeout(() => { order.push(1); c.setTimeout(() => order.push(2), 100); }, 100);
    c.advance(250);
    expect(order).to.deep.equal([1, 2]);
    c.dispose();
  });

  it('clearTimeout() cancels, and time also passes by itself', async () => {
    const c = new WarpClock();
    let fired = 0;
    const h = c.setTimeout(() => { fired += 10; }, 5);
    c.clearTimeout(h);
    await new Promise<void>((resolve) => c.setTimeout(() => { fired++; resolve(); }, 5));
    expect(fired).to.equal(1);
    c.dispose();
  });

  it('every() repeats at its period on a warp clock and stops when told', () => {
    const c = new WarpClock();
    let n = 0;
    const stop = every(c, 100, () => n++);
    c.advance(1000);
    expect(n).to.equal(10);
    stop();
    c.advance(1000);
    expect(n).to.equal(10);
    c.dispose();
  });
});
