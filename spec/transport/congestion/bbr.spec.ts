import { expect } from 'chai';
import { Bbr, EXTRA_ACKED_MAX_MS, MIN_PIPE_CWND_DATAGRAMS, PROBE_BW_CWND_GAIN, STARTUP_GAIN } from '../../../machines/transport/congestion/bbr.js';
import { ackOf, lossOf, rttOf } from './helpers.js';

const MSS = 1000;
const RTT = 20;

/**
 * Feeds BBR one ACK per round trip from a path with a fixed bottleneck `bw` (bytes/s): what it delivers per
 * round is the smaller of its window and the BDP. Returns the time reached.
 */
function drive(cc: Bbr, rounds: number, bw: number, startAt = 0, acksPerRound = 1): number {
  const rtt = rttOf(RTT);
  const bdp = (bw * RTT) / 1000;
  let delivered = 0;
  let t = startAt;
  for (let i = 0; i < rounds; i++) {
    const sent = Math.min(cc.window(), 2 * bdp);
    const got = Math.min(sent, bdp);
    const roundStart = delivered;
    for (let k = 1; k <= acksPerRound; k++) {
      const part = got / acksPerRound;
      const rate = { deliveryRate: (got * 1000) / RTT, delivered: got, priorDelivered: roundStart, interval: RTT, isAppLimited: false };
      delivered += part;
      cc.onAck(ackOf(Math.max(1, Math.round(part / MSS)), MSS, t + (k * RTT) / acksPerRound - RTT, { rtt, rate, inFlight: Math.max(0, sent - got) }), t + (k * RTT) / acksPerRound);
    }
    t += RTT;
  }
  return t;
}

describe('transport/congestion/bbr', () => {
  it('paces the initial window at the startup gain over the RTT', () => {
    const cc = new Bbr(MSS, 0);
    expect(cc.pacingRate(rttOf(10))).to.be.closeTo((STARTUP_GAIN * 10 * MSS * 1000) / 10, 1e-6);
  });

  it('finds the bottleneck, leaves startup and settles at cwnd ~ 2 BDP pacing ~ BtlBw', () => {
    const cc = new Bbr(MSS, 0);
    const bw = 5_000_000;
    // a smooth ACK stream: one ACK per two datagrams, spread over the round trip (no ACK aggregation)
    drive(cc, 60, bw, 0, 50);
    expect(cc.filledPipe).to.equal(true);
    expect(cc.mode).to.equal('probe-bw');
    expect(cc.btlBw).to.be.closeTo(bw, bw * 0.01);
    const bdp = (bw * RTT) / 1000;
    expect(cc.window()).to.be.within(PROBE_BW_CWND_GAIN * bdp, PROBE_BW_CWND_GAIN * bdp + 4 * MSS);
    expect(cc.pacingRate(rttOf(RTT))).to.be.within(0.75 * bw, 1.25 * bw);
  });

  it('adds the ACK aggregation it measures to the window, up to EXTRA_ACKED_MAX_MS of data (one ACK per round trip: a whole BDP at once)', () => {
    const cc = new Bbr(MSS, 0);
    const bw = 5_000_000;
    drive(cc, 60, bw);
    const bdp = (bw * RTT) / 1000;
    expect(cc.filledPipe).to.equal(true);
    expect(cc.aggregationWindow).to.be.closeTo(Math.min(bdp - 3 * MSS, (bw * EXTRA_ACKED_MAX_MS) / 1000), 2 * MSS);
    expect(cc.window()).to.be.within(PROBE_BW_CWND_GAIN * bdp + cc.aggregationWindow, PROBE_BW_CWND_GAIN * bdp + cc.aggregationWindow + 4 * MSS);
  });

  it('does not cut its window on isolated random loss, but does on persistent congestion', () => {
    const cc = new Bbr(MSS, 0);
    const t = drive(cc, 60, 5_000_000);
    const w = cc.window();
    cc.onCongestionEvent(lossOf(t - 5), t);
    expect(cc.window()).to.equal(w);
    expect(cc.recovering).to.equal(true);
    cc.onCongestionEvent(lossOf(t, true), t + 1);
    expect(cc.window()).to.equal(MIN_PIPE_CWND_DATAGRAMS * MSS);
  });

  it('enters ProbeRTT when min RTT has not been refreshed for 10 s, and leaves it after 200 ms', () => {
    const cc = new Bbr(MSS, 0);
    let t = drive(cc, 60, 5_000_000);
    // Keep acking with a higher RTT so min_rtt is never refreshed.
    const slow = rttOf(RTT * 2);
    let delivered = 1e9; // each ACK below completes one round trip
    const round = (inFlight: number): void => {
      t += RTT * 2;
      const rate = { deliveryRate: 5_000_000, delivered: 10 * MSS, priorDelivered: delivered, interval: RTT * 2, isAppLimited: false };
      delivered += 10 * MSS;
      cc.onAck(ackOf(10, MSS, t - RTT, { rtt: slow, inFlight, rate }), t);
    };
    while (t < 12_000 && cc.mode !== 'probe-rtt') round(50 * MSS);
    expect(cc.mode).to.equal('probe-rtt');
    expect(cc.window()).to.equal(MIN_PIPE_CWND_DATAGRAMS * MSS);
    const entered = t;
    while (cc.mode === 'probe-rtt' && t < entered + 1000) round(MSS);
    expect(cc.mode).to.equal('probe-bw');
    expect(t - entered).to.be.at.least(200);
  });
});
