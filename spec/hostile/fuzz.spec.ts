// A bounded slice of `npm run fuzz`: ~15 s of generated hostile lines from many connections at once, every answer
// checked against docs/PROTOCOL.md, while well-behaved clients chat and download through the same server.
import { expect } from 'chai';
import { formatResult, runFuzz } from '../../bench/fuzz/engine.js';
import { hostilePorts } from './helpers.js';

describe('hostile: protocol fuzz against a live server', function () {
  this.timeout(40000);

  it('answers every bad line as documented, never crashes or stalls, and the good clients lose nothing', async () => {
    const r = await runFuzz({ seconds: 12, seed: 20240601, fuzzers: 16, good: 3, udpPorts: await hostilePorts(4), fileBytes: 1_000_000 });
    console.log(formatResult(r).split('\n').map((l) => `      ${l}`).join('\n'));
    expect(r.crashes, 'crashes').to.equal(0);
    expect(r.stalls, 'stalls').to.equal(0);
    expect(r.unexpected, 'unexpected answers').to.deep.equal([]);
    expect(r.serverAlive, 'server still serving').to.equal(true);
    expect(r.framesTried).to.be.greaterThan(1000);
    expect(r.errorsAnswered).to.be.greaterThan(500);
    expect(r.good.messagesLost, 'messages to all lost').to.equal(0);
    expect(r.good.privateLost, 'private messages lost').to.equal(0);
    expect(r.good.badDownloads, 'downloads not intact').to.equal(0);
    expect(r.good.downloads).to.be.greaterThan(0);
  });
});
