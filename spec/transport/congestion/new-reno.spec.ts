import { expect } from 'chai';
import { NewReno } from '../../../machines/transport/congestion/new-reno.js';
import { ackOf, lossOf } from './helpers.js';

const MSS = 1000;

describe('transport/congestion/new-reno', () => {
  it('doubles per round trip in slow start', () => {
    const cc = new NewReno(MSS);
    cc.onAck(ackOf(10, MSS, 1), 10);
    expect(cc.window()).to.equal(20 * MSS);
  });

  it('does not grow while application-limited', () => {
    const cc = new NewReno(MSS);
    cc.onAck(ackOf(10, MSS, 1, { appLimited: true }), 10);
    expect(cc.window()).to.equal(10 * MSS);
  });

  it('halves once per recovery period and ignores acks of packets sent before it', () => {
    const cc = new NewReno(MSS);
    cc.onAck(ackOf(10, MSS, 1), 10); // 20 MSS
    cc.onCongestionEvent(lossOf(5), 20);
    expect(cc.window()).to.equal(10 * MSS);
    expect(cc.recovering).to.equal(true);
    cc.onCongestionEvent(lossOf(15), 21); // same window of data
    expect(cc.window()).to.equal(10 * MSS);
    cc.onAck(ackOf(5, MSS, 18), 25);       // sent before recovery: no growth, still recovering
    expect(cc.window()).to.equal(10 * MSS);
    expect(cc.recovering).to.equal(true);
    cc.onAck(ackOf(1, MSS, 22), 30);
    expect(cc.recovering).to.equal(false);
  });

  it('adds one datagram per window in congestion avoidance', () => {
    const cc = new NewReno(MSS);
    cc.onCongestionEvent(lossOf(0), 1); // ssthresh = cwnd = 5 MSS
    expect(cc.window()).to.equal(5 * MSS);
    cc.onAck(ackOf(5, MSS, 2), 3);
    expect(cc.window()).to.equal(6 * MSS);
    cc.onAck(ackOf(5, MSS, 4), 5);
    expect(cc.window()).to.equal(6 * MSS);
  });

  it('collapses to the minimum window on persistent congestion', () => {
    const cc = new NewReno(MSS);
    cc.onCongestionEvent(lossOf(0, true), 1);
    expect(cc.window()).to.equal(2 * MSS);
    expect(cc.slowStartThreshold).to.equal(5 * MSS);
  });
});
