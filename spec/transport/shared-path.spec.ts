import { expect } from 'chai';
import { SharedPath, sharable } from '../../machines/transport/shared-path.js';
import { SenderCore } from '../../machines/transport/sender-core.js';

const DGRAM = 1240;
const member = (bytesInFlight: number, wantsWindow = false) => ({ bytesInFlight, wantsWindow });

describe('transport/shared-path', () => {
  it('gives a lone member the whole window', () => {
    const p = new SharedPath('cubic', DGRAM, 0);
    const a = member(0);
    p.join(a);
    expect(p.allowance(a)).to.equal(p.cc.window());
  });

  it('counts every member against the one window', () => {
    const p = new SharedPath('cubic', DGRAM, 0);
    const a = member(3000), b = member(5000);
    p.join(a); p.join(b);
    expect(p.bytesInFlight).to.equal(8000);
    expect(p.allowance(a)).to.equal(p.cc.window() - 5000);
  });

  it('caps a member at an equal share while another waits for window, and frees it when that one leaves', () => {
    const p = new SharedPath('cubic', DGRAM, 0);
    const cwnd = p.cc.window();
    const a = member(cwnd * 0.2), b = member(cwnd * 0.2, true), c = member(0, true);
    p.join(a); p.join(b); p.join(c);
    expect(p.allowance(a)).to.equal(cwnd / 3);
    p.leave(b); p.leave(c);
    expect(p.allowance(a)).to.equal(cwnd);
  });

  it('is used by sender cores given it: their packets in flight add up against one window', () => {
    const p = new SharedPath('cubic', DGRAM, 0);
    const mk = () => new SenderCore({ size: 10_000_000, chunk: 1200, startOffset: 0, holdAt: null, cc: 'cubic', now: 0, initialCredit: 1 << 30, maxDatagram: DGRAM, path: p });
    const a = mk(), b = mk();
    const sentA = a.poll(0, 1000).length;
    const sentB = b.poll(0, 1000).length;
    expect((sentA + sentB) * DGRAM).to.be.at.most(p.cc.window());
    expect(p.bytesInFlight).to.equal(a.bytesInFlight + b.bytesInFlight);
    a.detach();
    expect(p.bytesInFlight).to.equal(b.bytesInFlight);
  });

  it('shares window-based controllers only (BBR models its own delivery rate)', () => {
    expect(sharable('cubic')).to.equal(true);
    expect(sharable('newreno')).to.equal(true);
    expect(sharable('bbr')).to.equal(false);
  });
});
