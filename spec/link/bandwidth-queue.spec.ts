import { expect } from 'chai';
import { BandwidthQueue } from '../../runtime/link/bandwidth-queue.js';

const MBIT = 1e6;

describe('link/bandwidth-queue', () => {
  it('serialises at size*8/rate: 1000 bytes at 1 Mbit/s take 8 ms, back to back', () => {
    const q = new BandwidthQueue(MBIT, { packets: 100 });
    expect(q.serialisationMs(1000)).to.equal(8);
    expect(q.offer(0, 1000)).to.equal(8);
    expect(q.offer(0, 1000)).to.equal(16);
    expect(q.offer(1, 500)).to.equal(20);
    // an idle link starts at once
    expect(q.offer(100, 1000)).to.equal(108);
  });

  it('drops the tail when the packet queue is full, and takes again once it drains', () => {
    const q = new BandwidthQueue(MBIT, { packets: 3 });
    expect(q.offer(0, 1000)).to.equal(8);
    expect(q.offer(0, 1000)).to.equal(16);
    expect(q.offer(0, 1000)).to.equal(24);
    expect(q.offer(0, 1000)).to.equal(null);
    expect(q.depth(0)).to.deep.equal({ packets: 3, bytes: 3000 });
    expect(q.depth(8)).to.deep.equal({ packets: 2, bytes: 2000 }); // first one has left
    expect(q.offer(8, 1000)).to.equal(32);
    expect(q.maxDepth).to.deep.equal({ packets: 3, bytes: 3000 });
  });

  it('limits in bytes, but always takes a datagram into an empty queue', () => {
    const q = new BandwidthQueue(MBIT, { bytes: 2500 });
    expect(q.offer(0, 1000)).to.not.equal(null);
    expect(q.offer(0, 1000)).to.not.equal(null);
    expect(q.offer(0, 1000)).to.equal(null); // 3000 > 2500
    expect(q.offer(0, 500)).to.not.equal(null); // exactly 2500 fits
    const big = new BandwidthQueue(MBIT, { bytes: 100 });
    expect(big.offer(0, 60_000)).to.equal(480);
  });

  it('sustains exactly the rate over a long run with a full queue', () => {
    const q = new BandwidthQueue(10 * MBIT, { packets: 25 });
    let delivered = 0, last = 0;
    // offer 1250-byte datagrams every 0.5 ms (20 Mbit/s offered) for one second
    for (let t = 0; t < 1000; t += 0.5) {
      const d = q.offer(t, 1250);
      if (d !== null) { delivered++; last = d; }
    }
    // 10 Mbit/s = 1000 datagrams of 1250 bytes a second; the last leaves within the queue's drain time
    expect(delivered).to.be.within(1000, 1026);
    expect(last).to.be.within(1000, 1000 + 25 * 1);
  });

  it('keeps working after compacting its FIFO', () => {
    const q = new BandwidthQueue(MBIT, { packets: 10 });
    for (let i = 0; i < 5000; i++) expect(q.offer(i * 10, 1000)).to.equal(i * 10 + 8);
    expect(q.depth(1e9).packets).to.equal(0);
  });
});
