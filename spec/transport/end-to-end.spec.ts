// Whole transfers between a SenderCore and a ReceiverCore over the simulated network (virtual time).
import { expect } from 'chai';
import type { CongestionControlName } from '../../machines/transport/api.js';
import { DATA_OVERHEAD_BYTES } from '../../machines/transport/packet-codec.js';
import type { LinkConfig } from './sim-network.js';
import { goodput, runTransfer, type TransferConfig, type TransferResult } from './transfer-harness.js';

const MBIT = 1_000_000 / 8;
/** 10 Mbit/s, 30 ms RTT, a drop-tail queue of a bit more than one BDP (37.5 KB). */
const LINK: LinkConfig = { delayMs: 15, bandwidthBps: 10 * MBIT, queueBytes: 50_000 };
const ACK_PATH: LinkConfig = { delayMs: 15 };
const CHUNK = 1200;
/** The best goodput the link allows: payload share of each datagram. */
const PAYLOAD_SHARE = CHUNK / (CHUNK + DATA_OVERHEAD_BYTES);
const CCS: CongestionControlName[] = ['newreno', 'cubic', 'bbr'];

function expectDelivered(r: TransferResult, size: number): void {
  expect(r.violations, r.violations.join('\n')).to.deep.equal([]);
  expect(r.completedAt, 'sender saw the whole file acknowledged').to.not.equal(null);
  expect(r.sender.complete).to.equal(true);
  expect(r.receiver.complete).to.equal(true);
  expect([...r.receiver.byteRanges()]).to.deep.equal([[0, size]]);
  expect(r.receiver.received).to.equal(size);
  expect(r.sender.ackedBytes).to.equal(size);
}

function transfer(cfg: TransferConfig): TransferResult {
  const r = runTransfer({ chunk: CHUNK, ...cfg });
  expectDelivered(r, cfg.size);
  return r;
}

describe('transport/end-to-end (simulated network)', () => {
  for (const cc of CCS) {
    describe(cc, () => {
      it('fills a clean 10 Mbit/s, 30 ms link to > 85% after slow start', () => {
        const size = 5_000_000;
        const r = transfer({ size, cc, forward: LINK, reverse: ACK_PATH });
        const steady = goodput(size / 2, r.halfAt!, r.completedAt!);
        expect(steady / (10 * MBIT)).to.be.above(0.85);
        expect(r.maxWindowUse).to.be.at.most(1);
      });

      it('survives loss, reordering, duplication, a 1.5 s blackout and a hold point, both ways', () => {
        const size = 2_000_000;
        const holdAt = 1_000_003;
        const impair = { lossRate: 0.02, reorderRate: 0.05, reorderExtraMs: 12, duplicateRate: 0.02, blackout: { from: 400, to: 1900 } };
        const r = transfer({
          size, cc, seed: 11, holdAt, consentDelayMs: 300, tickMs: 1,
          forward: { ...LINK, bandwidthBps: 20 * MBIT, ...impair }, reverse: { ...ACK_PATH, ...impair },
        });
        expect(r.heldCompleteAt, 'the hold point was reached before the rest was sent').to.not.equal(null);
        expect(r.completedAt! - r.heldCompleteAt!).to.be.at.least(300);
        const st = r.sender.stats();
        expect(st.ptoCount, 'the blackout was bridged by probe timeouts').to.be.at.least(1);
        expect(st.lostPackets).to.be.greaterThan(0);
        expect(r.receiver.duplicates).to.be.greaterThan(0);
      });

      it('resumes from a start offset and respects a small receive window', () => {
        const size = 1_500_000;
        const window = 40_000; // about one BDP: the receiver, not the network, is the limit
        const r = transfer({ size, cc, startOffset: 700_001, window, seed: 5, forward: { ...LINK, lossRate: 0.01 }, reverse: ACK_PATH });
        expect(r.sender.stats().bytesSent).to.be.below(1.2 * (size - 700_001));
      });
    });
  }

  it('bbr keeps > 75% of the link at 2% random loss', () => {
    const size = 5_000_000;
    const r = transfer({ size, cc: 'bbr', seed: 3, forward: { ...LINK, lossRate: 0.02 }, reverse: ACK_PATH });
    expect(goodput(size, 0, r.completedAt!) / (10 * MBIT)).to.be.above(0.75);
  });

  // the default controller: random-loss tolerance and the bandwidth floor (a plain CUBIC keeps 25-30% at 2%); above
  // 4% random loss it backs off as TCP would (cubic.ts, RANDOM_LOSS_CEILING)
  for (const [loss, floor] of [[0.01, 0.9], [0.02, 0.9]] as const) {
    it(`cubic keeps > ${floor * 100}% of the link at ${loss * 100}% random loss, in steady state`, () => {
      const size = 6_000_000;
      const r = transfer({ size, cc: 'cubic', seed: 2, forward: { ...LINK, queueBytes: 25 * 1294, lossRate: loss }, reverse: ACK_PATH });
      expect(goodput(size / 2, r.halfAt!, r.completedAt!) / (10 * MBIT)).to.be.above(floor);
    });
  }

  it('reaches > 1 GB/s on a loopback-like path with 60 KB datagrams and a 1 ms timer', () => {
    for (const cc of CCS) {
      const size = 200_000_000;
      const r = runTransfer({
        size, cc, chunk: 60_000, window: 64 << 20, tickMs: 1, batch: 64,
        forward: { delayMs: 0.03, bandwidthBps: 1.2e9, queueBytes: 4 << 20 }, reverse: { delayMs: 0.03 },
      });
      expectDelivered(r, size);
      expect(goodput(size, 0, r.completedAt!), cc).to.be.above(1e9 * PAYLOAD_SHARE * 0.95);
    }
  });

  it('is deterministic for a seed', () => {
    const cfg: TransferConfig = { size: 500_000, cc: 'cubic', seed: 42, forward: { ...LINK, lossRate: 0.03, reorderRate: 0.1, reorderExtraMs: 5 }, reverse: ACK_PATH };
    const a = runTransfer(cfg), b = runTransfer(cfg);
    expect(a.completedAt).to.equal(b.completedAt);
    expect(a.sender.stats()).to.deep.equal(b.sender.stats());
  });
});
