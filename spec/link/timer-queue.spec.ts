import { expect } from 'chai';
import { TimerQueue } from '../../runtime/link/timer-queue.js';

describe('link/timer-queue', () => {
  it('releases due items at once, in order, without a timer', () => {
    const out: number[] = [];
    const q = new TimerQueue<number>(() => 100, (x) => out.push(x));
    q.schedule(50, 1);
    q.schedule(100, 2);
    expect(out).to.deep.equal([1, 2]);
    expect(q.size).to.equal(0);
  });

  it('releases in time order, ties in insertion order, with one timer', async () => {
    const t0 = performance.now();
    const clock = () => performance.now() - t0;
    const out: Array<[string, number]> = [];
    const q = new TimerQueue<string>(clock, (x) => out.push([x, clock()]));
    const items: Array<[number, string]> = [[30, 'c'], [10, 'a'], [20, 'b1'], [20, 'b2'], [40, 'd'], [5, 'first']];
    for (const [at, x] of items) q.schedule(at, x);
    await new Promise((r) => setTimeout(r, 80));
    expect(out.map(([x]) => x)).to.deep.equal(['first', 'a', 'b1', 'b2', 'c', 'd']);
    const when = new Map(items.map(([at, x]) => [x, at]));
    for (const [x, t] of out) expect(t).to.be.at.least(when.get(x)! - 1.01); // never earlier than the slack
    q.clear();
  });

  it('sorts many random times like a heap should', async () => {
    const out: number[] = [];
    let now = 0;
    const q = new TimerQueue<number>(() => now, (x) => out.push(x));
    const ats = Array.from({ length: 2000 }, (_, i) => ((i * 7919) % 1000) + 1);
    for (const at of ats) q.schedule(at, at);
    now = 2000; // jump the clock, then let the armed timer fire
    await new Promise((r) => setTimeout(r, 5));
    expect(out).to.have.length(2000);
    for (let i = 1; i < out.length; i++) expect(out[i]).to.be.at.least(out[i - 1]!);
  });

  it('clear() forgets pending items and leaves no timer behind', async () => {
    const out: number[] = [];
    const q = new TimerQueue<number>(() => 0, (x) => out.push(x));
    q.schedule(5, 1);
    q.clear();
    await new Promise((r) => setTimeout(r, 15));
    expect(out).to.deep.equal([]);
  });
});
