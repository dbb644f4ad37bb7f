// A short slice of `npm run soak`: connect, chat, download, disconnect cycles; connections, ports, handles steady, and
// the heap each session leaves behind (after full GC, settled) under MAX_RETAINED_BYTES_PER_SESSION. Each soak runs
// in a process of its own (soak-child.ts) so that its heap holds nothing else. The second test shows that the
// measurement catches a leak of 1 KB per session: the child's harness keeps 1 KB per session (nothing in the server
// or client leaks on purpose) and the soak must report it.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { expect } from 'chai';
import { formatSoak, MAX_RETAINED_BYTES_PER_SESSION, type SoakOptions, type SoakResult } from '../../bench/fuzz/soak.js';
import { hostilePorts } from './helpers.js';

const CHILD = path.join(import.meta.dirname, 'soak-child.ts');
const indent = (s: string) => s.split('\n').map((l) => `      ${l}`).join('\n');

function soakInChild(o: Omit<SoakOptions, 'onSession' | 'log'> & { leakBytesPerSession?: number }): Promise<SoakResult & { kept: number }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--expose-gc', '--import', 'tsx', CHILD, JSON.stringify(o)], { maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) { reject(new Error(`soak child: ${err.message}\n${stderr}`)); return; }
      resolve(JSON.parse(stdout.trim().split('\n').at(-1)!) as SoakResult & { kept: number });
    });
  });
}

describe('hostile: soak slice', function () {
  this.timeout(150_000);

  it('400 connect/chat/disconnect cycles with 40 downloads leave no connection, port, handle or retained heap behind', async () => {
    const r = await soakInChild({ cycles: 400, workers: 10, downloadEvery: 10, udpPorts: await hostilePorts(4) });
    console.log(indent(formatSoak(r)));
    expect(r.failures).to.deep.equal([]);
    expect(r.cycles).to.equal(400);
    expect(r.downloads).to.equal(40);
    expect(r.connectionsAfter).to.equal(0);
    expect(r.onlineAfter).to.equal(0);
    expect(r.portsFreeAfter).to.equal(r.portsTotal);
    expect(r.transfersActiveAfter).to.equal(0);
    expect(r.handlesAfter.TCPSocketWrap ?? 0).to.be.at.most(r.handlesBefore.TCPSocketWrap ?? 0);
    expect(r.handlesAfter.UDPWrap ?? 0).to.be.at.most(r.handlesBefore.UDPWrap ?? 0);
    expect(r.heapSamples).to.have.length(5);
    expect(r.retainedPerSession, 'bytes of heap retained per session').to.be.below(MAX_RETAINED_BYTES_PER_SESSION);
  });

  it('catches a leak of 1 KB per session (kept by the test harness, not by the code under test)', async () => {
    const r = await soakInChild({ cycles: 200, workers: 10, downloadEvery: 10, udpPorts: await hostilePorts(4), warmup: 120, rounds: 2, leakBytesPerSession: 1024 });
    console.log(indent(formatSoak(r)));
    expect(r.failures).to.deep.equal([]);
    expect(r.kept).to.equal(200);
    expect(r.retainedPerSession, 'the injected leak, in bytes per session').to.be.at.least(MAX_RETAINED_BYTES_PER_SESSION);
  });
});
