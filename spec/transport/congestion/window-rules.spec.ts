import { expect } from 'chai';
import { RecoveryPeriod } from '../../../machines/transport/congestion/window-rules.js';

describe('transport/congestion/window-rules', () => {
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
