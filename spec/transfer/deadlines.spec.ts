// The transfer deadlines reached by time passing, not by waiting: the server's transfers and the client's
// downloads run on WarpClocks (runtime/clock.ts) that the test moves forward; sockets, files and the chat connection
// are real. Each deadline has its default from TIMING (machines/timing.ts).
import { expect } from 'chai';
import dgram from 'node:dgram';
import fs from 'node:fs';
import { TIMING } from '../../machines/timing.js';
import { WarpClock } from '../../runtime/clock.js';
import type { TransferEndpoint } from '../../runtime/udp-endpoint.js';
import { nextUdpPorts } from '../helpers/ports.js';
import { content, poolFull, TransferScope, waitEnding, waitUntil } from './harness.js';

/** A bound UDP socket that reads nothing back: datagrams sent to it go nowhere. */
async function blackHole(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return s;
}

describe('transfer/deadlines on a warp clock', function () {
  this.timeout(20000);
  const scope = new TransferScope();
  const clocks: WarpClock[] = [];
  const warp = () => { const c = new WarpClock(); clocks.push(c); return c; };
  afterEach(async () => {
    await scope.dispose();
    for (const c of clocks.splice(0)) c.dispose();
  });

  it("sender's silent-client deadline: no ACK for TIMING.senderSilentMs of the server's time fails a running download and frees its port", async () => {
    const data = content(3_000_000, 91);
    const pool = await nextUdpPorts(1);
    const listen = await nextUdpPorts(1);
    // 16 Mbit/s: the download runs for about 1.5 s, so it is still sending when the server's time jumps
    await scope.emulator(pool, listen, {}, { rateBitsPerSec: 16e6, queuePackets: 400 });
    const clock = warp();
    const srv = await scope.server({ files: { 'quiet.bin': data }, ports: pool, transfers: { advertisePorts: listen, silentMs: undefined, clock } });
    const c = await scope.client(srv, 'quiet', { yes: true });
    const since = c.mark();
    c.command('/get quiet.bin');
    await c.waitForType('progress', (e) => e.received > 0, { since, ms: 10000 });
    expect(srv.server.transfers.active).to.equal(1);
    // the client goes silent: its download socket reads no more data, so it sends no more ACKs
    const download = c.rt.downloads.list()[0]!;
    (download as unknown as { endpoint: TransferEndpoint }).endpoint.socket.removeAllListeners('message');
    // an ACK already on its way may still arrive after a jump and count as heard: jump again until the deadline ends it
    let end: Awaited<ReturnType<typeof waitEnding>> | null = null;
    for (let i = 0; i < 4 && !end; i++) {
      clock.advance(TIMING.senderSilentMs + 1000);
      end = await waitEnding(c, 'quiet.bin', since, 500).catch(() => null);
    }
    if (!end) throw new Error('the download did not end after the silent deadline');
    expect(end).to.include({ type: 'error', code: 'transfer-failed' });
    if (end.type === 'error') expect(end.message).to.match(/the client went silent/);
    await poolFull(srv, 3000);
    expect(srv.server.transfers.stats).to.include({ failed: 1, finished: 0 });
  });

  it('consent deadline: a question unanswered for TIMING.consentTimeoutMs stops the download, keeps the partial copy and frees the port', async () => {
    const data = content(400_000, 92);
    const clock = warp();
    const srv = await scope.server({ files: { 'ask.bin': data }, ports: await nextUdpPorts(1), transfers: { clock } });
    const c = await scope.client(srv, 'ponder');
    const since = c.mark();
    c.command('/get ask.bin');
    const ask = await c.waitForType('consent', () => true, { since, ms: 10000 });
    expect(ask.received).to.equal(200_000);
    clock.advance(TIMING.consentTimeoutMs - 1000);
    expect(c.ofType('stopped', since), 'still waiting a second before the deadline').to.have.length(0);
    expect(srv.server.transfers.active).to.equal(1);
    clock.advance(1000);
    const end = await waitEnding(c, 'ask.bin', since, 5000);
    expect(end).to.include({ type: 'stopped', reason: 'consent-timeout', received: 200_000 });
    if (end.type === 'stopped') expect(fs.existsSync(end.path), 'the partial copy is kept').to.equal(true);
    await poolFull(srv, 3000);
    expect(srv.server.transfers.stats).to.include({ stopped: 1 });
  });

  it("receiver's connect timeout and the sender's silent-client deadline before any HELLO: UDP never gets through", async () => {
    const hole = await blackHole();
    scope.onDispose(() => new Promise<void>((r) => hole.close(() => r())));
    const serverClock = warp();
    const clientClock = warp();
    const port = hole.address().port;
    // the offer names the black hole's port: the client's HELLOs never reach the server, no data comes back
    const srv = await scope.server({ files: { 'blocked.bin': content(100_000, 93) }, ports: await nextUdpPorts(1), transfers: { advertisePorts: [port, port], silentMs: undefined, clock: serverClock } });
    const c = await scope.client(srv, 'walled', { download: { clock: clientClock } });
    const since = c.mark();
    c.command('/get blocked.bin');
    await c.waitForType('download', () => true, { since, ms: 5000 });

    clientClock.advance(TIMING.connectTimeoutMs - 500);
    expect(c.ofType('error', since), 'no failure before the connect timeout').to.have.length(0);
    clientClock.advance(500 + 2 * TIMING.downloadTickMs);
    const end = await waitEnding(c, 'blocked.bin', since, 5000);
    expect(end).to.include({ type: 'error', code: 'transfer-failed' });
    if (end.type === 'error') expect(end.message).to.match(/no data arrived/);
    expect(c.rt.downloads.pending, 'the download has ended on the client').to.equal(0);

    // the server still holds the port: it has heard nothing, and its own deadline has not passed on its clock
    expect(srv.server.transfers.active).to.equal(1);
    serverClock.advance(TIMING.senderSilentMs + 1000);
    await poolFull(srv, 3000);
    await waitUntil(() => srv.server.transfers.stats.failed === 1, 3000, 'the sender failed');
    expect(srv.server.transfers.active).to.equal(0);
  });
});
