// Several flows through one simulated drop-tail bottleneck in virtual time (spec/transport/multi-flow-harness.ts):
// the default controller against a stand-in for Linux's TCP (RFC 9438 CUBIC, no HyStart++, every loss congestion),
// against four of them, and against copies of itself; and alone on a path with random loss. The same questions the
// kernel bed asks of real TCP (spec/transfer/kernel-queue.spec.ts, bench "kernel"), here exact and repeatable.
import { expect } from 'chai';
import { DEFAULT_CC } from '../../machines/transport/api.js';
import { Cubic } from '../../machines/transport/congestion/cubic.js';
import { jain, ratesBetween, runFlows, type FlowSpec } from './multi-flow-harness.js';

const MBIT = 1_000_000 / 8;
const RATE = 20 * MBIT;
/** 20 Mbit/s, near-zero propagation delay, a 50 ms drop-tail queue: the kernel bed's tbf. */
const BED = { delayMs: 0.1, bandwidthBps: RATE, queueBytes: RATE * 0.05 };
const BIG = 1e9;
const ours = (startAt = 0): FlowSpec => ({ cc: DEFAULT_CC, size: BIG, startAt });
const tcpLike = (startAt = 0): FlowSpec => ({ cc: 'cubic', size: BIG, startAt, controller: (m) => new Cubic(m, { hystart: false, tolerateRandomLoss: false, bandwidthFloor: false }) });

function shares(flows: FlowSpec[], from = 5000, to = 20000): { shares: number[]; jain: number } {
  const r = runFlows(flows, { forward: BED, ackDelayMs: 0.1, untilMs: to });
  const rates = ratesBetween(r, from, to);
  return { shares: rates.map((x) => x / (RATE / flows.length)), jain: jain(rates) };
}

describe('transport/shared bottleneck (simulated, virtual time)', function () {
  this.timeout(60_000);

  it('the default controller and a TCP-like CUBIC flow split a 50 ms drop-tail queue evenly', () => {
    const r = shares([ours(), tcpLike()]);
    for (const s of r.shares) expect(s).to.be.within(0.7, 1.3);
    expect(r.jain).to.be.at.least(0.95);
  });

  it('one download against four TCP-like flows gets its fair share, and they theirs', () => {
    const r = shares([ours(500), tcpLike(), tcpLike(), tcpLike(), tcpLike()]);
    for (const s of r.shares) expect(s).to.be.within(0.7, 1.3);
    expect(r.jain).to.be.at.least(0.95);
  });

  it('four downloads started 300 ms apart converge on equal shares', () => {
    const r = shares([ours(0), ours(300), ours(600), ours(900)]);
    for (const s of r.shares) expect(s).to.be.within(0.7, 1.3);
    expect(r.jain).to.be.at.least(0.95);
  });

  it('sixteen downloads started into a queue the first ones fill share it (latecomers never see the empty path)', () => {
    const r = shares(Array.from({ length: 16 }, (_, i) => ours(i * 7)), 4000, 12_000);
    expect(r.jain).to.be.at.least(0.95);
    for (const s of r.shares) expect(s).to.be.within(0.5, 1.6);
  });

  it('keeps at least 75% of a 10 Mbit/s, 30 ms path with 2% random loss (a TCP-like CUBIC keeps far less)', () => {
    const link = { delayMs: 15, bandwidthBps: 10 * MBIT, queueBytes: 30_000, lossRate: 0.02 };
    const use = (f: FlowSpec) => ratesBetween(runFlows([f], { forward: link, ackDelayMs: 15, untilMs: 15_000 }), 3000, 15_000)[0]! / (10 * MBIT);
    const mine = use(ours());
    const plain = use(tcpLike());
    expect(mine).to.be.at.least(0.75);
    expect(plain).to.be.below(0.5); // the reason for the tolerance
  });

  it('one client\'s two downloads share one congestion state: equal halves of one flow\'s share, not two shares', () => {
    const r = shares([{ ...ours(), path: 'a' }, { ...ours(200), path: 'a' }, tcpLike()]);
    // shares are of a third of the link (three flows); the client and the TCP flow should each have half of it
    const client = ((r.shares[0]! + r.shares[1]!) * 2) / 3;
    const tcp = (r.shares[2]! * 2) / 3;
    expect(client).to.be.within(0.7, 1.3);
    expect(tcp).to.be.within(0.7, 1.3);
    expect(r.shares[0]! / r.shares[1]!).to.be.within(0.8, 1.25); // the scheduler's halves
  });
});
