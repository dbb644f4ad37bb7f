import { expect } from 'chai';
import { createController } from '../../../machines/transport/congestion/factory.js';
import { INITIAL_WINDOW_DATAGRAMS } from '../../../machines/transport/congestion/window-rules.js';

describe('transport/congestion/factory', () => {
  it('creates each controller by name with a 10-datagram initial window', () => {
    for (const name of ['newreno', 'cubic', 'bbr'] as const) {
      const cc = createController(name, { maxDatagram: 1200, now: 0 });
      expect(cc.name).to.equal(name);
      expect(cc.window()).to.equal(INITIAL_WINDOW_DATAGRAMS * 1200);
      expect(cc.recovering).to.equal(false);
    }
  });
});
