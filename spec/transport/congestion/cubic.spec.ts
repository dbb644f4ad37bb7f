import { expect } from 'chai';
import { CUBIC_BETA, Cubic } from '../../../machines/transport/congestion/cubic.js';
import { ackOf, lossOf, rttOf } from './helpers.js';

const MSS = 1000;

/** Acks a full window every `rttMs` from `from` to `to`; returns the window afterwards. */
function run(cc: Cubic, from: number, to: number, rttMs: number): number {
  const rtt = rttOf(rttMs);
  for (let t = from; t < to; t += rttMs) {
    const n = Math.floor(cc.window() / MSS);
    cc.onAck(ackOf(n, MSS, t - rttMs / 2, { rtt }), t);
  }
  return cc.window();
}

describe('transport/congestion/cubic', () => {
  it('reduces by beta = 0.7 on a congestion event', () => {
    const cc = new Cubic(MSS);
    cc.onAck(ackOf(90, MSS, 1), 2); // 100 MSS
    cc.onCongestionEvent(lossOf(2), 3);
    expect(cc.window()).to.equal(100 * MSS * CUBIC_BETA);
  });

  it('returns to the previous maximum about K seconds after a loss, then probes beyond it', () => {
    const cc = new Cubic(MSS);
    cc.onAck(ackOf(90, MSS, 1), 2);
    cc.onCongestionEvent(lossOf(2), 3);
    // K = cbrt(100 * 0.3 / 0.4) = 4.2 s. With a 100 ms RTT the cubic region (not Reno) governs.
    const before = run(cc, 4, 3000, 100);
    expect(before).to.be.below(100 * MSS);
    expect(before).to.be.above(90 * MSS); // concave approach: most of the way there early
    const plateau = run(cc, 3000, 5000, 100);
    expect(plateau).to.be.within(99 * MSS, 104 * MSS); // flat around W_max near t = K
    expect(run(cc, 5000, 9000, 100)).to.be.above(115 * MSS); // convex probing afterwards
  });

  it('is at least as fast as Reno on a short RTT (Reno-friendly region)', () => {
    const cc = new Cubic(MSS);
    cc.onAck(ackOf(90, MSS, 1), 2);
    cc.onCongestionEvent(lossOf(2), 3);
    // 1 ms RTT: 1000 round trips in a second. Reno with alpha 0.53 gains ~0.53 MSS per RTT, cubic alone far less.
    expect(run(cc, 4, 1004, 1)).to.be.above(70 * MSS + 400 * MSS);
  });
});
