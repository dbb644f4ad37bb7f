import { expect } from 'chai';
import {
  SpecError, describeImpairments, parseImpairments, validateImpairments,
} from '../../runtime/link/impairment-spec.js';

describe('link/impairment-spec', () => {
  it('parses the full example', () => {
    const s = parseImpairments('loss=2%,delay=15ms,jitter=3ms,rate=10mbit,queue=25,dup=1%,reorder=2%,corrupt=1%,ge=0.01/0.3,blackout=2000+500');
    expect(s).to.deep.equal({
      loss: 0.02, delayMs: 15, jitterMs: 3, rateBitsPerSec: 10e6, queuePackets: 25, duplicate: 0.01, reorder: 0.02,
      corrupt: 0.01, gilbertElliott: { p: 0.01, r: 0.3, lossBad: 1, lossGood: 0 }, blackouts: [{ at: 2000, for: 500 }],
    });
  });

  it('treats empty and "none" as a clean link', () => {
    expect(parseImpairments('')).to.deep.equal({});
    expect(parseImpairments(' none ')).to.deep.equal({});
    expect(describeImpairments({})).to.equal('none');
  });

  it('understands units: durations, rates (tc style), byte queues, fractions, several blackouts', () => {
    const s = parseImpairments('delay=1.5s,jitter=500us,rate=2mbps,queue=64kib,loss=0.1,blackout=2s+500ms;5000+1s,blackout=9s+1,reorder-delay=20ms,ge=5%/50%/80%/1%');
    expect(s.delayMs).to.equal(1500);
    expect(s.jitterMs).to.equal(0.5);
    expect(s.rateBitsPerSec).to.equal(16e6); // mbps is megaBYTES per second, as in tc
    expect(s.queueBytes).to.equal(65536);
    expect(s.loss).to.equal(0.1);
    expect(s.reorderDelayMs).to.equal(20);
    expect(s.blackouts).to.deep.equal([{ at: 2000, for: 500 }, { at: 5000, for: 1000 }, { at: 9000, for: 1 }]);
    expect(s.gilbertElliott).to.deep.equal({ p: 0.05, r: 0.5, lossBad: 0.8, lossGood: 0.01 });
  });

  it('refuses nonsense with a clear message', () => {
    for (const bad of ['loss=2', 'loss=150%', 'delay=fast', 'rate=10', 'rate=0mbit', 'queue=0', 'frob=1', 'loss', 'ge=0.1', 'ge=0.1/0', 'blackout=100']) {
      expect(() => parseImpairments(bad), bad).to.throw(SpecError);
    }
  });

  it('round-trips through describeImpairments', () => {
    const text = 'loss=2.5%,delay=15ms,jitter=3ms,rate=10mbit,queue=25,queue=30000b,dup=1%,reorder=2%,reorder-delay=7ms,corrupt=1%,ge=0.01/0.3,blackout=2000+500';
    const s = parseImpairments(text);
    expect(parseImpairments(describeImpairments(s))).to.deep.equal(s);
  });

  it('validates specs built in code', () => {
    expect(() => validateImpairments({ loss: 1.5 })).to.throw(RangeError);
    expect(() => validateImpairments({ delayMs: -1 })).to.throw(RangeError);
    expect(() => validateImpairments({ rateBitsPerSec: 0 })).to.throw(RangeError);
    expect(() => validateImpairments({ queuePackets: 2.5 })).to.throw(RangeError);
    expect(() => validateImpairments({ gilbertElliott: { p: 2, r: 0.1 } })).to.throw(RangeError);
    expect(() => validateImpairments({ loss: 0.5, delayMs: 10, blackouts: [{ at: 0, for: 10 }] })).to.not.throw();
  });
});
