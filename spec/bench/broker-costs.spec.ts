// bench:cluster's broker-alone measure against a real private nats-server: it returns a figure for every count it
// was asked for, the broker's own CPU read from /proc, and leaves no stream behind; and the fitted line.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { jetstreamManager } from '@nats-io/jetstream';
import { brokerCosts, fitLine } from '../../bench/cluster/broker-costs.js';
import { startPrivateBroker, type BenchBroker } from '../../bench/cluster/broker.js';

describe('bench/cluster/broker-costs', function () {
  this.timeout(60000);

  it('fits a line through the points (cost per message and per receiver)', () => {
    const f = fitLine(new Map([[0, 20], [1, 28], [3, 44]]));
    expect(f.a).to.be.closeTo(20, 1e-9);
    expect(f.b).to.be.closeTo(8, 1e-9);
    expect(fitLine(new Map([[2, 5]]))).to.deep.equal({ a: 5, b: 0 });
  });

  describe('with a private nats-server', () => {
    let dir = '';
    let broker: BenchBroker | null = null;
    beforeEach(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spec-broker-costs-'));
      broker = await startPrivateBroker(dir);
    });
    afterEach(async () => {
      await broker?.stop();
      broker = null;
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('measures every count asked for and deletes its stream', async () => {
      const b = broker!;
      const costs = await brokerCosts(b.url, b.pid, 'SPECPROBE', 300, [0, 2]);
      expect([...costs.streamUsPerMsg.keys()]).to.deep.equal([0, 2]);
      expect([...costs.serialUsPerMsg.keys()]).to.deep.equal([0, 2]);
      expect([...costs.coreUsPerMsg.keys()]).to.deep.equal([2]);
      for (const v of [...costs.streamUsPerMsg.values(), ...costs.serialUsPerMsg.values(), ...costs.coreUsPerMsg.values()]) expect(v).to.be.at.least(0).and.be.finite;
      const jsm = await jetstreamManager(b.nc);
      const left: string[] = [];
      for await (const si of jsm.streams.list()) left.push(si.config.name);
      expect(left).to.deep.equal([]);
    });
  });
});
