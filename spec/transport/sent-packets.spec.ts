import { expect } from 'chai';
import { RttEstimator } from '../../machines/transport/rtt.js';
import { PACKET_THRESHOLD, SentPacketTracker } from '../../machines/transport/sent-packets.js';

const MTU = 1000;

function sendN(t: SentPacketTracker, n: number, at: (i: number) => number): void {
  for (let i = 0; i < n; i++) t.onSent(i, i * 100, 100, MTU, at(i));
}

describe('transport/sent-packets', () => {
  it('acknowledges packets in the ACK ranges and keeps bytes in flight exact', () => {
    const t = new SentPacketTracker();
    sendN(t, 10, (i) => i);
    expect(t.bytesInFlight).to.equal(10 * MTU);
    const r = t.onAck([[9, 7], [4, 2]], 20);
    expect(r.newlyAcked.map((p) => p.pn)).to.deep.equal([2, 3, 4, 7, 8, 9]);
    expect(r.rttSamplePacket?.pn).to.equal(9);
    expect(t.bytesInFlight).to.equal(4 * MTU);
    expect(t.largestAcked).to.equal(9);
    const again = t.onAck([[9, 7], [4, 2]], 21); // a duplicate ACK acknowledges nothing new
    expect(again.newlyAcked).to.deep.equal([]);
    expect(again.rttSamplePacket).to.equal(null);
  });

  it('takes no RTT sample when the largest acknowledged packet was acknowledged before', () => {
    const t = new SentPacketTracker();
    sendN(t, 3, (i) => i);
    t.onAck([[2, 2]], 10);
    expect(t.onAck([[2, 0]], 11).rttSamplePacket).to.equal(null);
  });

  it(`declares a packet lost ${PACKET_THRESHOLD} packet numbers behind the largest acked`, () => {
    const t = new SentPacketTracker();
    const rtt = new RttEstimator();
    sendN(t, 6, () => 0);
    t.onAck([[4, 3]], 1);
    rtt.update(1, 0);
    const lost = t.detectLosses(1, rtt);
    expect(lost.map((p) => p.pn)).to.deep.equal([0, 1]); // 4-0 and 4-1 >= 3; pn 2 is only 2 behind
    expect(t.lossTime).to.equal(0 + rtt.lossDelay());
    expect(t.detectLosses(t.lossTime!, rtt).map((p) => p.pn)).to.deep.equal([2]); // the loss timer firing
    expect(t.lossTime).to.equal(null);
    expect(t.bytesInFlight).to.equal(MTU); // pn 5
  });

  it('reports a packet acknowledged after it was declared lost as spurious', () => {
    const t = new SentPacketTracker();
    const rtt = new RttEstimator();
    sendN(t, 5, () => 0);
    t.onAck([[4, 4]], 1);
    expect(t.detectLosses(1, rtt).map((p) => p.pn)).to.deep.equal([0, 1]);
    const r = t.onAck([[4, 4], [1, 0]], 2);
    expect(r.spurious).to.deep.equal([{ offset: 0, len: 100 }, { offset: 100, len: 100 }]);
  });

  it('reports a spurious loss once, though later ACKs repeat the range, and forgets losses below the lowest range', () => {
    const t = new SentPacketTracker();
    const rtt = new RttEstimator();
    sendN(t, 10, () => 0);
    t.onAck([[9, 9], [5, 5]], 1);
    expect(t.detectLosses(1, rtt).map((p) => p.pn)).to.deep.equal([0, 1, 2, 3, 4, 6]);
    expect(t.onAck([[9, 9], [5, 2]], 2).spurious.map((b) => b.offset)).to.deep.equal([200, 300, 400]);
    expect(t.onAck([[9, 9], [5, 2]], 3).spurious).to.deep.equal([]); // the same ranges again: nothing new
    // the receiver no longer reports pns below 6: pns 0 and 1 can never be confirmed, and are forgotten
    expect(t.onAck([[9, 9], [7, 6]], 4).spurious.map((b) => b.offset)).to.deep.equal([600]);
    expect(t.onAck([[9, 9], [7, 0]], 5).spurious).to.deep.equal([]);
  });

  it('samples the delivery rate over the send and ack intervals', () => {
    const t = new SentPacketTracker();
    sendN(t, 10, (i) => i); // one packet per ms
    const r1 = t.onAck([[0, 0]], 20);
    const r2 = t.onAck([[9, 0]], 29);
    expect(r1.rate?.delivered).to.equal(MTU);
    // pn 9 was sent when nothing had been delivered yet (delivered time 0): 10 packets over 29 ms.
    expect(r2.rate?.delivered).to.equal(10 * MTU);
    expect(r2.rate?.interval).to.equal(29);
    expect(r2.rate?.deliveryRate).to.be.closeTo((10 * MTU * 1000) / 29, 1e-6);
    expect(t.delivered).to.equal(10 * MTU);
  });

  it('marks samples app-limited until the app-limited data is delivered', () => {
    const t = new SentPacketTracker();
    t.onSent(0, 0, 100, MTU, 0);
    t.markAppLimited();
    t.onSent(1, 100, 100, MTU, 1);
    expect(t.onAck([[1, 0]], 10).rate?.isAppLimited).to.equal(true);
    t.onSent(2, 200, 100, MTU, 11);
    expect(t.onAck([[2, 0]], 20).rate?.isAppLimited).to.equal(false);
  });

  it('finds whether anything between two packet numbers was acknowledged', () => {
    const t = new SentPacketTracker();
    sendN(t, 10, () => 0);
    t.onAck([[5, 5]], 1);
    expect(t.noAckBetween(0, 4)).to.equal(true);
    expect(t.noAckBetween(0, 9)).to.equal(false);
  });
});
