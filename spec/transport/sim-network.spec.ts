import { expect } from 'chai';
import { EventQueue, Link, mulberry32 } from './sim-network.js';

describe('transport/sim-network (test harness)', () => {
  it('runs events in time order, ties first-in first-out', () => {
    const q = new EventQueue();
    const seen: string[] = [];
    q.schedule(5, () => seen.push('b'));
    q.schedule(1, () => seen.push('a'));
    q.schedule(5, () => seen.push('c'));
    q.run();
    expect(seen).to.deep.equal(['a', 'b', 'c']);
    expect(q.now).to.equal(5);
  });

  it('serializes at the bandwidth, drops at the queue limit, and delays', () => {
    const q = new EventQueue();
    const link = new Link(q, { delayMs: 10, bandwidthBps: 1_000_000, queueBytes: 3000 }, mulberry32(1));
    const arrivals: number[] = [];
    for (let i = 0; i < 5; i++) link.send(1000, () => arrivals.push(q.now));
    q.run();
    expect(arrivals).to.deep.equal([11, 12, 13]); // 1 ms per 1000 bytes, then the queue is full
    expect(link.stats.queueDrops).to.equal(2);
  });

  it('loses about the configured fraction, reproducibly per seed', () => {
    const count = (seed: number): number => {
      const q = new EventQueue();
      const link = new Link(q, { delayMs: 1, lossRate: 0.1 }, mulberry32(seed));
      let n = 0;
      for (let i = 0; i < 10_000; i++) link.send(100, () => n++);
      q.run();
      return n;
    };
    expect(count(7)).to.equal(count(7));
    expect(count(7)).to.be.within(8800, 9200);
  });
});
