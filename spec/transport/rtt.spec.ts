import { expect } from 'chai';
import { INITIAL_RTT_MS, MAX_ACK_DELAY_MS, RttEstimator, TIMER_GRANULARITY_MS } from '../../machines/transport/rtt.js';

describe('transport/rtt', () => {
  it('starts from the initial RTT and takes the first sample whole', () => {
    const r = new RttEstimator();
    expect(r.smoothed).to.equal(INITIAL_RTT_MS);
    expect(r.pto()).to.equal(INITIAL_RTT_MS + 2 * INITIAL_RTT_MS + MAX_ACK_DELAY_MS);
    r.update(40, 3);
    expect(r).to.deep.include({ smoothed: 40, rttvar: 20, minRtt: 40, latest: 40, hasSample: true });
  });

  it('smooths with 1/8 and 1/4 gains and subtracts the ack delay when min_rtt allows', () => {
    const r = new RttEstimator();
    r.update(40, 0);
    r.update(48, 4); // adjusted 44: rttvar = .75*20 + .25*|40-44| = 16; srtt = .875*40 + .125*44 = 40.5
    expect(r.smoothed).to.be.closeTo(40.5, 1e-9);
    expect(r.rttvar).to.be.closeTo(16, 1e-9);
  });

  it('never lets the ack delay take a sample below min_rtt, and caps it at the max ack delay', () => {
    const r = new RttEstimator();
    r.update(40, 0);
    r.update(41, 4); // 41 - 4 < 40: not adjusted
    expect(r.smoothed).to.be.closeTo(0.875 * 40 + 0.125 * 41, 1e-9);
    const q = new RttEstimator();
    q.update(10, 0);
    q.update(100, 50); // delay capped at MAX_ACK_DELAY_MS
    expect(q.smoothed).to.be.closeTo(0.875 * 10 + 0.125 * (100 - MAX_ACK_DELAY_MS), 1e-9);
  });

  it('keeps the loss delay and the PTO at least one timer tick on tiny RTTs', () => {
    const r = new RttEstimator();
    r.update(0.01, 0);
    for (let i = 0; i < 50; i++) r.update(0.01, 0);
    expect(r.lossDelay()).to.equal(TIMER_GRANULARITY_MS);
    expect(r.pto()).to.be.at.least(TIMER_GRANULARITY_MS + MAX_ACK_DELAY_MS);
    r.update(0.02, 0);
    expect(r.lossDelay()).to.equal(TIMER_GRANULARITY_MS);
  });
});
