import { expect } from 'chai';
import { INITIAL_WINDOW_DATAGRAMS, RecoveryPeriod, createController } from '../../../machines/transport/congestion/controller.js';

describe('transport/congestion/controller', () => {
  it('creates each controller by name with a 10-datagram initial window', () => {
    for (const name of ['newreno', 'cubic', 'bbr'] as const) {
      const cc = createController(name, { maxDatagram: 1200, now: 0 });
      expect(cc.name).to.equal(name);
      expect(cc.window()).to.equal(INITIAL_WINDOW_DATAGRAMS * 1200);
      expect(cc.recovering).to.equal(false);
    }
  });

  it('opens one recovery period per window of losses and closes it on a later ack', () => {
    const r = new RecoveryPeriod();
    expect(r.onLoss(5, 10)).to.equal(true);
    expect(r.onLoss(8, 11)).to.equal(false); // sent before the period began: same event
    expect(r.active).to.equal(true);
    r.onAck([{ sentAt: 9, bytes: 1 }]);
    expect(r.active).to.equal(true);
    r.onAck([{ sentAt: 12, bytes: 1 }]);
    expect(r.active).to.equal(false);
    expect(r.onLoss(12, 20)).to.equal(true);
  });
});
