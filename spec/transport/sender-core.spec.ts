import { expect } from 'chai';
import type { AckInfo, SenderOptions } from '../../machines/transport/api.js';
import { SenderCore } from '../../machines/transport/sender-core.js';

const CHUNK = 1000;
const DGRAM = 1040;
const opts = (o: Partial<SenderOptions> = {}): SenderOptions => ({
  size: 100_000, chunk: CHUNK, startOffset: 0, holdAt: null, cc: 'newreno', now: 0, initialCredit: 1_000_000, maxDatagram: DGRAM, ...o,
});
const ack = (ranges: Array<[number, number]>, contiguous: number, maxData = 1_000_000): AckInfo => ({ ranges, ackDelayMs: 0, maxData, contiguous });

describe('transport/sender-core', () => {
  it('sends an initial window of 10 datagrams, then reports the window full', () => {
    const s = new SenderCore(opts());
    const out = s.poll(0, 100);
    expect(out).to.have.length(4); // the pacer's burst
    let t = 0;
    while (s.stats().packetsSent < 10 && t < 1000) { t = s.nextWakeup(t)!; s.poll(t, 100); }
    expect(s.stats().packetsSent).to.equal(10);
    expect(s.poll(t + 1000, 100)).to.deep.equal([]);
    expect(s.windowFull).to.equal(true);
    expect(s.stats().bytesInFlight).to.equal(10 * DGRAM);
    expect(s.nextWakeup(t + 1000)).to.be.a('number'); // only the PTO remains
  });

  it('starts at startOffset, counts it as acked, and never passes the receiver credit', () => {
    const s = new SenderCore(opts({ startOffset: 5000, initialCredit: 8500 }));
    expect(s.ackedBytes).to.equal(5000);
    const out = s.poll(0, 100);
    expect(out.map((p) => [p.offset, p.len])).to.deep.equal([[5000, 1000], [6000, 1000], [7000, 1000]]);
    expect(s.windowFull).to.equal(true); // the 500 bytes left of credit wait for an ACK, no runt
    s.onAck(ack([[2, 0]], 8000, 20_000), 10);
    expect(s.poll(10, 1)[0]).to.deep.include({ offset: 8000, len: 1000 });
  });

  it('holds at holdAt until allowAll, and reports heldComplete', () => {
    const s = new SenderCore(opts({ size: 10_000, holdAt: 2500 }));
    const out = s.poll(0, 100);
    expect(out.map((p) => p.offset + p.len)).to.deep.equal([1000, 2000, 2500]);
    expect(s.poll(1, 100)).to.deep.equal([]);
    expect(s.windowFull).to.equal(false);
    s.onAck(ack([[2, 0]], 2500), 10);
    expect(s.heldComplete).to.equal(true);
    expect(s.complete).to.equal(false);
    s.allowAll();
    expect(s.heldComplete).to.equal(false);
    expect(s.poll(10, 1)[0]).to.deep.include({ offset: 2500 });
  });

  it('retransmits lost bytes first, under new packet numbers, skipping bytes acked since', () => {
    const s = new SenderCore(opts({ size: 10_000 }));
    expect(s.poll(0, 4).map((p) => p.pn)).to.deep.equal([0, 1, 2, 3]);
    let t = 1;
    const more = [];
    while (more.length < 4) { t = s.nextWakeup(t)!; more.push(...s.poll(t, 4 - more.length)); }
    expect(more.map((p) => p.pn)).to.deep.equal([4, 5, 6, 7]);
    s.onAck(ack([[7, 2]], 0), 50); // pn 0 and 1 are 3+ behind: lost, bytes [0, 2000) queued
    expect(s.stats().lostPackets).to.equal(2);
    expect(s.recovering).to.equal(true);
    s.onAck(ack([[7, 2], [0, 0]], 1000), 51); // pn 0 arrived after all (reordered): spurious loss
    expect(s.stats().spuriousLosses).to.equal(1);
    const out = s.poll(1000, 10);
    expect(out[0]).to.deep.include({ pn: 8, offset: 1000, len: 1000, retransmit: true });
    expect(out.slice(1).every((p) => !p.retransmit && p.offset >= 8000)).to.equal(true);
  });

  it('fires a probe timeout with backoff and sends probes beyond the window', () => {
    const s = new SenderCore(opts({ size: 3000 }));
    const first = s.poll(0, 10);
    expect(first).to.have.length(3);
    const pto1 = s.nextWakeup(0)!;
    s.onTimer(pto1);
    const probes = s.poll(pto1, 10);
    expect(probes.every((p) => p.probe && p.retransmit)).to.equal(true);
    expect(probes[0]).to.deep.include({ offset: 0, len: 1000 });
    expect(probes).to.have.length(2);
    const pto2 = s.nextWakeup(pto1)!;
    expect(pto2 - pto1).to.be.closeTo(2 * pto1, 1e-9); // doubled
    s.onTimer(pto2);
    expect(s.stats().ptoCount).to.equal(2);
    s.onAck(ack([[4, 0]], 3000), pto2 + 1);
    expect(s.complete).to.equal(true);
    expect(s.nextWakeup(pto2 + 1)).to.equal(null);
  });

  it('grows the window with acknowledgments and tracks RTT', () => {
    const s = new SenderCore(opts({ size: 10_000_000 }));
    let t = 0;
    for (let round = 0; round < 6; round++) {
      for (let i = 0; i < 20; i++, t += 0.5) s.poll(t, 100); // 10 ms of sending
      t += 20;
      s.onAck(ack([[s.stats().packetsSent - 1, 0]], 0), t); // 20.5-30 ms after the newest packet left
    }
    const st = s.stats();
    expect(st.lostPackets).to.equal(0);
    expect(st.cwnd).to.be.greaterThan(4 * 10 * DGRAM);
    expect(st.srtt).to.be.within(20, 31); // 20 ms of path plus up to 10 ms of pacing
    expect(st.minRtt).to.be.within(20.5, 31);
    expect(s.recovering).to.equal(false);
  });
});
