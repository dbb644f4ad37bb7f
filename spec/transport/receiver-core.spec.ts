import { expect } from 'chai';
import { MAX_ACK_RANGES } from '../../machines/transport/packet-codec.js';
import { MAX_ACK_DELAY_MS, MIN_BUFFER_WINDOW, ReceiverCore, receiveWindowFor } from '../../machines/transport/receiver-core.js';

const make = (size = 10_000, startOffset = 0, window = 3000) => new ReceiverCore({ size, startOffset, window, now: 0 });

describe('transport/receiver-core', () => {
  it('grants no more credit than a window limit (the receive buffer\'s room), and a limit never widens it', () => {
    const r = make(10_000, 0, 3000);
    r.limitWindow(1000);
    expect(r.windowBytes).to.equal(1000);
    r.onData(0, 0, 100, 0);
    expect(r.makeAck(0).maxData).to.equal(1100);
    r.limitWindow(5000);
    expect(r.windowBytes).to.equal(1000);
    expect(() => r.limitWindow(0)).to.throw(RangeError);
  });

  it('backs a window with half the receive buffer the kernel reports, never less than MIN_BUFFER_WINDOW', () => {
    expect(receiveWindowFor(8 << 20)).to.equal(4 << 20); // 4 MiB asked for, 8 MiB reported
    expect(receiveWindowFor(2 * 212_992)).to.equal(MIN_BUFFER_WINDOW); // the kernel's default maximum
  });

  it('acks every second in-order packet, else after the max ack delay', () => {
    const r = make();
    r.onData(0, 0, 100, 1);
    expect(r.ackDue(1)).to.equal(false);
    expect(r.ackDeadline()).to.equal(1 + MAX_ACK_DELAY_MS);
    expect(r.ackDue(1 + MAX_ACK_DELAY_MS)).to.equal(true);
    r.onData(1, 100, 100, 2);
    expect(r.ackDue(2)).to.equal(true);
    const ack = r.makeAck(3);
    expect(ack).to.deep.equal({ ranges: [[1, 0]], ackDelayMs: 1, maxData: 3200, contiguous: 200 });
    expect(r.ackDeadline()).to.equal(null);
    expect(r.ackDue(100)).to.equal(false);
  });

  it('acks at once on a gap and on a reordered packet', () => {
    const r = make();
    r.onData(0, 0, 100, 0);
    r.makeAck(0);
    r.onData(2, 200, 100, 1); // pn 1 missing
    expect(r.ackDue(1)).to.equal(true);
    expect(r.makeAck(1).ranges).to.deep.equal([[2, 2], [0, 0]]);
    r.onData(1, 100, 100, 2); // late arrival
    expect(r.ackDue(2)).to.equal(true);
    const ack = r.makeAck(2);
    expect(ack.ranges).to.deep.equal([[2, 0]]);
    expect(ack.contiguous).to.equal(300);
  });

  it('counts duplicates, returns false for old bytes, and acks old bytes under a new number at once', () => {
    const r = make();
    expect(r.onData(0, 0, 100, 0)).to.equal(true);
    expect(r.onData(0, 0, 100, 0)).to.equal(false); // network duplicate
    expect(r.duplicates).to.equal(1);
    r.makeAck(0);
    expect(r.onData(1, 0, 100, 1)).to.equal(false); // needless retransmission
    expect(r.ackDue(1)).to.equal(true);
    expect(r.onData(2, 50, 100, 2)).to.equal(true); // partly new
    expect(r.received).to.equal(150);
  });

  it('counts startOffset as received, and completes at size', () => {
    const r = make(1000, 600, 10_000);
    expect(r.received).to.equal(600);
    expect(r.contiguous).to.equal(600);
    expect(r.credit).to.equal(1000);
    r.onData(0, 600, 400, 0);
    expect(r.complete).to.equal(true);
  });

  it('reports at most MAX_ACK_RANGES ranges, newest first, and forgets older ones', () => {
    const r = make(1_000_000, 0, 1_000_000);
    for (let pn = 0; pn < 2 * (MAX_ACK_RANGES + 50); pn += 2) r.onData(pn, pn * 10, 10, pn);
    const ack = r.makeAck(1000);
    expect(ack.ranges).to.have.length(MAX_ACK_RANGES);
    expect(ack.ranges[0]).to.deep.equal([2 * (MAX_ACK_RANGES + 49), 2 * (MAX_ACK_RANGES + 49)]);
    expect(ack.contiguous).to.equal(10);
    expect(r.makeAck(1001).ranges).to.have.length(MAX_ACK_RANGES);
  });
});
