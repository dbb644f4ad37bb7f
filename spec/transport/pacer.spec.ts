import { expect } from 'chai';
import { MAX_BURST_DATAGRAMS, MIN_BURST_DATAGRAMS, Pacer, windowPacingRate } from '../../machines/transport/pacer.js';

describe('transport/pacer', () => {
  it('allows a small burst, then spaces packets at the rate', () => {
    const mtu = 1000;
    const p = new Pacer(mtu, 0);
    p.setRate(100_000, 0); // 100 packets/s: one per 10 ms
    for (let i = 0; i < MIN_BURST_DATAGRAMS; i++) { expect(p.canSend(0, mtu)).to.equal(true); p.onSent(0, mtu); }
    expect(p.canSend(0, mtu)).to.equal(false);
    expect(p.nextSendTime(0, mtu)).to.be.closeTo(10, 1e-9);
    expect(p.canSend(10, mtu)).to.equal(true);
  });

  it('derives a rate from the window: 1.25 * cwnd / srtt', () => {
    expect(windowPacingRate(100_000, 10)).to.be.closeTo(12_500_000, 1e-6);
  });

  it('grows the bucket with the rate so a 1 ms timer tick can carry > 1 GB/s of 60 KB datagrams', () => {
    const mtu = 60_040;
    const p = new Pacer(mtu, 0);
    p.setRate(2e9, 0);
    expect(p.burst).to.be.at.least(1.1e9 / 1000); // more than a 1 ms tick's worth at 1.1 GB/s
    expect(p.burst).to.be.at.most(MAX_BURST_DATAGRAMS * mtu);
    // Simulate a 1 ms tick loop for 100 ms: bytes sent / time must exceed 1 GB/s.
    let sent = 0;
    for (let now = 0; now < 100; now += 1) while (p.canSend(now, mtu)) { p.onSent(now, mtu); sent += mtu; }
    expect(sent / 0.1).to.be.greaterThan(1e9);
  });

  it('never lets the bucket exceed its capacity after idling', () => {
    const p = new Pacer(1000, 0);
    p.setRate(1_000_000, 0);
    let n = 0;
    while (p.canSend(10_000, 1000)) { p.onSent(10_000, 1000); n++; }
    expect(n).to.equal(Math.max(MIN_BURST_DATAGRAMS, 2)); // 1 MB/s * 2 ms = 2 KB < 4 datagrams
  });
});
