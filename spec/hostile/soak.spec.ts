// A short slice of `npm run soak`: connect, chat, download, disconnect cycles; memory, handles and ports steady.
import { expect } from 'chai';
import { formatSoak, runSoak } from '../../bench/fuzz/soak.js';
import { hostilePorts } from './helpers.js';

describe('hostile: soak slice', function () {
  this.timeout(40000);
  it('400 connect/chat/disconnect cycles with 40 downloads leave no connection, port, handle or memory behind', async () => {
    const r = await runSoak({ cycles: 400, workers: 10, downloadEvery: 10, udpPorts: await hostilePorts(4) });
    console.log(formatSoak(r).split('\n').map((l) => `      ${l}`).join('\n'));
    expect(r.failures).to.deep.equal([]);
    expect(r.cycles).to.equal(400);
    expect(r.downloads).to.equal(40);
    expect(r.connectionsAfter).to.equal(0);
    expect(r.onlineAfter).to.equal(0);
    expect(r.portsFreeAfter).to.equal(r.portsTotal);
    expect(r.transfersActiveAfter).to.equal(0);
    expect(r.handlesAfter.TCPSocketWrap ?? 0).to.be.at.most(r.handlesBefore.TCPSocketWrap ?? 0);
    expect(r.handlesAfter.UDPWrap ?? 0).to.be.at.most(r.handlesBefore.UDPWrap ?? 0);
    expect(r.heapAfterMB - r.heapBeforeMB).to.be.lessThan(15);
  });
});
