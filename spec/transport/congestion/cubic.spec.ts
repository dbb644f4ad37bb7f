import { expect } from 'chai';
import { CUBIC_BETA, Cubic, RANDOM_LOSS_CEILING } from '../../../machines/transport/congestion/cubic.js';
import { CSS_ROUNDS } from '../../../machines/transport/congestion/hystart.js';
import { RttEstimator } from '../../../machines/transport/rtt.js';
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

/** RFC 9438 alone: every loss is congestion, slow start ends by loss. */
const plain = () => new Cubic(MSS, { hystart: false, tolerateRandomLoss: false, bandwidthFloor: false });

describe('transport/congestion/cubic', () => {
  it('reduces by beta = 0.7 on a congestion event', () => {
    const cc = plain();
    cc.onAck(ackOf(90, MSS, 1), 2); // 100 MSS
    cc.onCongestionEvent(lossOf(2), 3);
    expect(cc.window()).to.equal(100 * MSS * CUBIC_BETA);
  });

  it('returns to the previous maximum about K seconds after a loss, then probes beyond it', () => {
    const cc = plain();
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
    const cc = plain();
    cc.onAck(ackOf(90, MSS, 1), 2);
    cc.onCongestionEvent(lossOf(2), 3);
    // 1 ms RTT: 1000 round trips in a second. Reno with alpha 0.53 gains ~0.53 MSS per RTT, cubic alone far less.
    expect(run(cc, 4, 1004, 1)).to.be.above(70 * MSS + 400 * MSS);
  });

  describe('random-loss tolerance', () => {
    /** An RTT estimator whose floor is `min` and whose latest sample is `latest`. */
    const rttAt = (min: number, latest: number) => { const r = new RttEstimator(); r.update(min, 0); r.update(latest, 0); return r; };

    it('ignores a loss on an idle path (RTT at its floor) and keeps the window', () => {
      const cc = new Cubic(MSS);
      cc.onAck(ackOf(90, MSS, 1, { rtt: rttAt(30, 30) }), 31); // 100 MSS, RTT samples at the 30 ms floor
      cc.onCongestionEvent(lossOf(20), 40);
      expect(cc.window()).to.equal(100 * MSS);
      expect(cc.randomLosses).to.equal(1);
      expect(cc.recovering).to.equal(false);
    });

    it('counts a loss that comes with a queue (RTT above its floor by the threshold) as congestion', () => {
      const cc = new Cubic(MSS);
      cc.onAck(ackOf(10, MSS, 1, { rtt: rttAt(30, 30) }), 31); // a round at the floor
      cc.onAck(ackOf(80, MSS, 32, { rtt: rttAt(30, 40) }), 72); // the next round: 10 ms of queue
      expect(cc.window()).to.be.above(90 * MSS);
      const before = cc.window();
      cc.onCongestionEvent(lossOf(60), 73);
      expect(cc.window()).to.equal(before * CUBIC_BETA);
      expect(cc.congestionLosses).to.equal(1);
    });

    it(`counts heavy loss (over ${RANDOM_LOSS_CEILING * 100}% of the bytes, averaged over rounds) as congestion even without a queue, with CUBIC's own cut`, () => {
      const cc = new Cubic(MSS);
      const rtt = rttAt(30, 30);
      // rounds of 20 packets at the RTT's floor, each losing 2 (10%), each delivering at a rate whose floor is 90 MSS
      const rate = { deliveryRate: 3_000_000, delivered: 90_000, priorDelivered: 0, interval: 30, isAppLimited: false };
      let t = 0;
      let ignored = 0;
      for (let r = 0; r < 12; r++) {
        cc.onAck(ackOf(20, MSS, t + 1, { rtt, rate }), t + 31);
        if (cc.randomLosses > ignored) ignored = cc.randomLosses;
        const before = cc.window();
        cc.onCongestionEvent({ largestLostSentAt: t + 2, lostBytes: 2 * MSS, persistent: false, bytesInFlight: 0 }, t + 32);
        if (cc.congestionLosses > 0) {
          expect(cc.window()).to.equal(before * CUBIC_BETA); // no bandwidth floor under heavy loss
          break;
        }
        t += 31;
      }
      expect(ignored, 'the first losses, below the average, are taken as random').to.be.above(0);
      expect(cc.congestionLosses, 'then the average passes the ceiling').to.equal(1);
    });

    it('collapses on persistent congestion whatever the RTT', () => {
      const cc = new Cubic(MSS);
      cc.onAck(ackOf(90, MSS, 1, { rtt: rttAt(30, 30) }), 31);
      cc.onCongestionEvent(lossOf(20, true), 40);
      expect(cc.window()).to.equal(2 * MSS);
    });
  });

  describe('bandwidth floor', () => {
    const rttAt = (min: number, latest: number) => { const r = new RttEstimator(); r.update(min, 0); r.update(latest, 0); return r; };
    /** A delivery-rate sample of `bytesPerSec` over `intervalMs`. */
    const rate = (bytesPerSec: number, intervalMs: number, isAppLimited = false) =>
      ({ deliveryRate: bytesPerSec, delivered: (bytesPerSec * intervalMs) / 1000, priorDelivered: 0, interval: intervalMs, isAppLimited });
    /** A window of 40 MSS grown at a 30 ms floor, then a round with 10 ms of queue, delivering at `bps`. */
    function queued(bps: number, opts: { appLimited?: boolean; intervalMs?: number; floor?: boolean } = {}): Cubic {
      const cc = new Cubic(MSS, { hystart: false, bandwidthFloor: opts.floor });
      cc.onAck(ackOf(30, MSS, 1, { rtt: rttAt(30, 30) }), 31);
      cc.onAck(ackOf(1, MSS, 32, { rtt: rttAt(30, 40), rate: rate(bps, opts.intervalMs ?? 40, opts.appLimited) }), 72);
      cc.onCongestionEvent(lossOf(60), 73);
      return cc;
    }

    it('cuts no lower than delivery rate x min RTT when the queue is shallow against the RTT', () => {
      // 1.2 MB/s x 30 ms = 36 MSS: above 0.7 x 41 MSS, so the cut only drains the queue
      const cc = queued(1_200_000);
      expect(cc.window()).to.equal(36 * MSS);
      expect(cc.bandwidthFloor).to.equal(36 * MSS);
    });

    it('is CUBIC\'s own 0.7 when the floor is lower (a deep queue: TCP fairness unchanged)', () => {
      const cc = queued(400_000); // 12 MSS
      expect(cc.window()).to.equal(41 * MSS * CUBIC_BETA);
    });

    it('never raises the window, whatever the rate says', () => {
      const cc = queued(10_000_000); // 300 MSS
      expect(cc.window()).to.equal(41 * MSS);
    });

    it('ignores app-limited samples and samples shorter than the RTT (ACK compression)', () => {
      expect(queued(1_200_000, { appLimited: true }).window()).to.equal(41 * MSS * CUBIC_BETA);
      expect(queued(1_200_000, { intervalMs: 5 }).window()).to.equal(41 * MSS * CUBIC_BETA);
    });

    it('can be turned off', () => {
      expect(queued(1_200_000, { floor: false }).window()).to.equal(41 * MSS * CUBIC_BETA);
    });
  });

  describe('HyStart++', () => {
    /** One round of `n` packets acknowledged one by one with RTT `rttMs`, sent at `sentAt`, acked at `at`. */
    function round(cc: Cubic, n: number, sentAt: number, at: number, minRtt: number, rttMs: number): void {
      const rtt = new RttEstimator(); rtt.update(minRtt, 0); rtt.update(rttMs, 0);
      for (let i = 0; i < n; i++) cc.onAck({ acked: [{ sentAt: sentAt + 1, bytes: MSS }], rtt, rttSample: rttMs, rate: null, bytesInFlight: 0, appLimited: false }, at);
    }

    it('doubles per round while the RTT stays flat', () => {
      const cc = new Cubic(MSS);
      let t = 0;
      for (let r = 0; r < 4; r++) { const n = cc.window() / MSS; round(cc, n, t, t + 10, 10, 10); t += 10; }
      expect(cc.window()).to.equal(160 * MSS);
      expect(cc.inSlowStart).to.equal(true);
    });

    it(`leaves slow start when the RTT rises: conservative growth, then congestion avoidance after ${CSS_ROUNDS} rounds`, () => {
      const cc = new Cubic(MSS);
      round(cc, 10, 0, 10, 10, 10);
      round(cc, 20, 10, 20, 10, 10);
      const w = cc.window(); // 40 MSS
      round(cc, 20, 20, 35, 10, 15); // 5 ms more: over the 4 ms threshold -> CSS after 8 samples
      const grown = cc.window() - w;
      expect(grown).to.be.below(20 * MSS); // 8 at full rate, 12 at a quarter
      expect(grown).to.be.above(8 * MSS);
      let t = 35;
      for (let r = 0; r < CSS_ROUNDS; r++) { round(cc, 10, t, t + 15, 10, 15); t += 15; }
      expect(cc.inSlowStart).to.equal(false);
    });

    it('on a sub-millisecond path, 1.5 ms of queue is enough to leave slow start; 0.5 ms of jitter is not', () => {
      const rise = (ms: number) => {
        const cc = new Cubic(MSS);
        round(cc, 10, 0, 1, 0.2, 0.2);
        round(cc, 20, 1, 2, 0.2, 0.2);
        const w = cc.window();
        round(cc, 40, 2, 3, 0.2, 0.2 + ms);
        return cc.window() - w;
      };
      expect(rise(0.5)).to.equal(40 * MSS); // slow start: every ACKed byte grows the window
      expect(rise(1.5)).to.be.below(20 * MSS); // conservative slow start after the 8th sample
    });

    it('goes back to slow start when the RTT falls below the CSS baseline (jitter, not a queue)', () => {
      const cc = new Cubic(MSS);
      round(cc, 10, 0, 10, 10, 10);
      round(cc, 20, 10, 30, 10, 20); // CSS, baseline 20 ms
      round(cc, 20, 30, 42, 10, 12); // back under the baseline
      const w = cc.window();
      round(cc, 10, 42, 54, 10, 12);
      expect(cc.window() - w).to.equal(10 * MSS); // full slow-start growth again
      expect(cc.inSlowStart).to.equal(true);
    });
  });
});
