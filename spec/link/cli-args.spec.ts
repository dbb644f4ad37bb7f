import { expect } from 'chai';
import { buildMappings, formatStats, parsePortRange, parseSeconds, parseSeed, parseTarget } from '../../runtime/link/cli-args.js';
import { SpecError, describeImpairments } from '../../runtime/link/impairment-spec.js';
import type { DirectionStats } from '../../runtime/link/link-emulator.js';

describe('link/cli-args', () => {
  it('parses port ranges and single ports', () => {
    expect(parsePortRange('56000-56015', 'x')).to.deep.equal({ first: 56000, last: 56015 });
    expect(parsePortRange('56000', 'x')).to.deep.equal({ first: 56000, last: 56000 });
    expect(parsePortRange('0', 'x')).to.deep.equal({ first: 0, last: 0 });
    for (const bad of ['56015-56000', '70000', 'a-b', '0-5', '']) expect(() => parsePortRange(bad, 'x'), bad).to.throw(SpecError);
  });

  it('parses targets, IPv6 in brackets', () => {
    expect(parseTarget('127.0.0.1:55000-55015')).to.deep.equal({ host: '127.0.0.1', ports: { first: 55000, last: 55015 } });
    expect(parseTarget('localhost:55000')).to.deep.equal({ host: 'localhost', ports: { first: 55000, last: 55000 } });
    expect(parseTarget('[::1]:55000-55001')).to.deep.equal({ host: '::1', ports: { first: 55000, last: 55001 } });
    for (const bad of ['127.0.0.1', '::1:55000', 'host:0', ':55000']) expect(() => parseTarget(bad), bad).to.throw(SpecError);
  });

  it('maps ranges one to one and refuses unequal lengths', () => {
    expect(buildMappings({ first: 56000, last: 56001 }, 'h', { first: 55000, last: 55001 })).to.deep.equal([
      { listenPort: 56000, targetHost: 'h', targetPort: 55000 },
      { listenPort: 56001, targetHost: 'h', targetPort: 55001 },
    ]);
    expect(() => buildMappings({ first: 1, last: 2 }, 'h', { first: 5, last: 7 })).to.throw(SpecError, /one to one/);
  });

  it('parses seeds and seconds', () => {
    expect(parseSeed('42')).to.equal(42);
    expect(parseSeed('-3')).to.equal(-3);
    expect(() => parseSeed('1.5')).to.throw(SpecError);
    expect(parseSeconds('0.5', 'x')).to.equal(0.5);
    expect(() => parseSeconds('0', 'x')).to.throw(SpecError);
  });

  it('formats stats on one line, naming only the causes that dropped something', () => {
    const d = (over: Partial<DirectionStats>): DirectionStats => ({
      received: 10, forwarded: 9, duplicated: 0, corrupted: 0, reordered: 0, queueMaxPackets: 0, queueMaxBytes: 0,
      dropped: { blackout: 0, loss: 0, burst: 0, queue: 0, closed: 0, sendError: 0, natBacklog: 0 }, ...over,
    });
    const line = formatStats({
      up: d({ dropped: { blackout: 0, loss: 1, burst: 0, queue: 0, closed: 0, sendError: 0, natBacklog: 0 } }),
      down: d({}),
      nat: { active: 1, opened: 2, expired: 1 },
    });
    expect(line).to.not.include('\n');
    expect(line).to.include('up in=10 out=9 dropped=loss:1');
    expect(line).to.include('down in=10 out=9 dropped=0');
    expect(line).to.include('nat active=1 opened=2 expired=1');
  });

  it('describes rates in readable units', () => {
    expect(describeImpairments({ rateBitsPerSec: 10e6 })).to.equal('rate=10mbit');
    expect(describeImpairments({ rateBitsPerSec: 1.5e6 })).to.equal('rate=1500kbit');
    expect(describeImpairments({ rateBitsPerSec: 1234 })).to.equal('rate=1234bit');
  });
});
