// Many transfers in a row leave nothing behind: no UDP or TCP handles, no pending file-system requests, no timers,
// no file descriptors, and the pool is full again; after everything closes, the process is back where it started.
import { expect } from 'chai';
import fs from 'node:fs';
import { content, expectIntact, finishedFiles, get, poolFull, TransferScope, waitEnding, waitUntil } from './harness.js';
import { nextUdpPorts } from '../helpers/ports.js';
import { heapMode } from '../../runtime/heap-mode.js';

const WATCHED = ['UDPWRAP', 'TCPWRAP', 'TCPSocketWrap', 'TCPServerWrap', 'FSReqCallback', 'FSReqPromise', 'Timeout', 'Immediate', 'FileHandle'];

interface Snapshot { resources: Record<string, number>; fds: number }

function snapshot(): Snapshot {
  const resources: Record<string, number> = Object.fromEntries(WATCHED.map((k) => [k, 0]));
  for (const r of process.getActiveResourcesInfo()) if (r in resources) resources[r]!++;
  return { resources, fds: fs.readdirSync('/proc/self/fd').length };
}

/** The snapshot once it has stopped changing (the same over 5 polls 20 ms apart, within `ms`): closes under way are done. */
async function steady(ms = 3000): Promise<Snapshot> {
  const key = (x: Snapshot) => JSON.stringify(x);
  let last = key(snapshot());
  let same = 0;
  await waitUntil(() => {
    const now = key(snapshot());
    same = now === last ? same + 1 : 0;
    last = now;
    return same >= 5;
  }, ms, 'handles steady', 20);
  return snapshot();
}

/** Waits (bounded) until the snapshot equals `want`, then compares: closes finish on later event-loop turns. */
async function settleTo(want: Snapshot, ms = 3000): Promise<Snapshot> {
  const same = (s: Snapshot) => s.fds === want.fds && WATCHED.every((k) => s.resources[k] === want.resources[k]);
  await waitUntil(() => same(snapshot()), ms, 'handles back to the baseline', 25).catch(() => undefined);
  return snapshot();
}

describe('transfer/leaks', function () {
  this.timeout(60000);
  const scope = new TransferScope();
  afterEach(() => scope.dispose());

  it('200 small transfers in a row (and 10 declined then resumed) leave no handles, timers or descriptors open', async () => {
    const outside = await steady();
    const files: Record<string, Buffer> = {};
    for (let i = 0; i < 10; i++) files[`f${i}.bin`] = content(i === 0 ? 0 : i * 997, 80 + i);
    // each download costs two control frames (get, consent): lift the chat rate limit, which is not what this measures
    const srv = await scope.server({ files, ports: await nextUdpPorts(4), limits: { ratePerSec: 10000, burst: 10000 } });
    const c = await scope.client(srv, 'many', { yes: true });
    const asker = await scope.client(srv, 'decliner');
    // warm up: the first transfer loads modules and caches hashes
    expectIntact(await get(c, 'f1.bin'), files['f1.bin']!);
    await poolFull(srv);
    const baseline = await steady();

    for (let i = 0; i < 200; i++) {
      const name = `f${i % 10}.bin`;
      expectIntact(await get(c, name, 5000), files[name]!);
    }
    for (let i = 0; i < 10; i++) {
      // declined at the question, then resumed to the end
      let since = asker.mark();
      asker.command('/get f9.bin');
      await asker.waitForType('consent', () => true, { since, ms: 5000 });
      asker.command('/no');
      expect((await waitEnding(asker, 'f9.bin', since, 5000)).type).to.equal('stopped');
      since = asker.mark();
      asker.command('/get f9.bin');
      expectIntact(await waitEnding(asker, 'f9.bin', since, 5000), files['f9.bin']!);
    }
    await poolFull(srv);
    const after = await settleTo(baseline);
    expect(after.resources, 'active resources after 221 transfers').to.deep.equal(baseline.resources);
    expect(after.fds, 'open file descriptors').to.equal(baseline.fds);
    expect(srv.server.transfers.active).to.equal(0);
    expect(srv.server.transfers.scheduler.size).to.equal(0);
    expect(heapMode.transfers, 'downloads counted as running by the heap mode').to.equal(0);
    expect(srv.server.transfers.stats).to.include({ finished: 211, stopped: 10, failed: 0, cancelled: 0 });
    expect(c.rt.downloads.pending).to.equal(0);
    expect(finishedFiles(c.rt.opts.downloadsDir)).to.have.length(201);

    await scope.dispose();
    const closed = await settleTo(outside);
    const net = (s: Snapshot) => ({ UDPWRAP: s.resources.UDPWRAP, TCPWRAP: s.resources.TCPWRAP, TCPSocketWrap: s.resources.TCPSocketWrap, TCPServerWrap: s.resources.TCPServerWrap, FSReqCallback: s.resources.FSReqCallback, fds: s.fds });
    expect(net(closed), 'after closing the server and clients').to.deep.equal(net(outside));
  });
});
