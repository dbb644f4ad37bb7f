// The one UDP port allocator of the tests: ranges inside the test range, each port free when handed out, a port in
// use skipped.
import dgram from 'node:dgram';
import { expect } from 'chai';
import { nextUdpPorts, TEST_UDP_FIRST, TEST_UDP_LAST, udpPortFree } from './ports.js';

describe('spec/helpers/ports', () => {
  it('hands out consecutive free ranges from the test range, never the same range twice in turn', async () => {
    const a = await nextUdpPorts(4);
    const b = await nextUdpPorts(4);
    for (const r of [a, b]) {
      expect(r[1] - r[0]).to.equal(3);
      expect(r[0]).to.be.at.least(TEST_UDP_FIRST);
      expect(r[1]).to.be.at.most(TEST_UDP_LAST);
      for (let p = r[0]; p <= r[1]; p++) expect(await udpPortFree(p), `port ${p}`).to.equal(true);
    }
    expect(b[0] > a[1] || b[1] < a[0], `${a} and ${b} overlap`).to.equal(true);
  });

  it('skips a range holding a port that something else has bound', async () => {
    const a = await nextUdpPorts(2);
    const taken = a[1] + 2; // inside the next candidate range
    const s = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => s.bind(taken, '127.0.0.1', resolve));
    try {
      expect(await udpPortFree(taken)).to.equal(false);
      const b = await nextUdpPorts(4);
      expect(taken < b[0] || taken > b[1], `${b} includes the bound port ${taken}`).to.equal(true);
    } finally {
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  });
});
