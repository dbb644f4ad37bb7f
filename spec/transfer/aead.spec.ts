// Downloads with AEAD datagrams end to end: the server's TransfersHost and the client's Downloads, their control frames
// carried as NDJSON over a real TLS 1.3 connection (the test fixture certificate), so that both ends key their
// datagrams from that session exactly as the server and the client runtime do. In the middle, a UDP man in the middle
// that sees every datagram (no 16-byte window of the file may appear in any) and injects replayed, bit-flipped,
// truncated, forged and reflected ones; then the link emulator's duplication, corruption and reordering. Every file
// arrives intact, and the counters show the drops.
import { expect } from 'chai';
import dgram from 'node:dgram';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import type { ClientEvent } from '../../machines/client-events.js';
import type { ClientFrame, ServerFrame, TransferServerFrame } from '../../machines/frames.js';
import { DATA_HEADER_BYTES, encodeData, HEADER_BYTES } from '../../machines/transport/packet-codec.js';
import { Catalogue } from '../../runtime/catalogue.js';
import type { ClientDownload } from '../../runtime/client-download.js';
import type { Connection } from '../../runtime/connection.js';
import { Downloads } from '../../runtime/downloads.js';
import { parseImpairments } from '../../runtime/link/index.js';
import { makeLogger } from '../../runtime/logger.js';
import { TransfersHost } from '../../runtime/transfers-host.js';
import { tlsPair, type TlsPair } from '../helpers/tls-pair.js';
import { nextUdpPorts } from '../helpers/ports.js';
import { content, expectIntact, get, sha256, TransferScope, transfers, waitUntil } from './harness.js';
import { LIMITS } from '../../machines/limits.js';
import { LineSplitter } from '../../runtime/line-splitter.js';

const SIZE = 600_000;
const DATA = content(SIZE, 77);

/** Every 6-byte prefix of every 16-byte window of DATA, as a number: a datagram's window is looked up, then compared. */
const PREFIXES = new Set<number>();
for (let i = 0; i + 16 <= SIZE; i++) PREFIXES.add(DATA.readUIntBE(i, 6));

/** Whether any 16-byte window of DATA appears anywhere in `m`. */
function leaks(m: Buffer): boolean {
  for (let i = 0; i + 16 <= m.length; i++) {
    if (PREFIXES.has(m.readUIntBE(i, 6)) && DATA.indexOf(m.subarray(i, i + 16)) >= 0) return true;
  }
  return false;
}

/** Lines of NDJSON from a stream, each handed on decoded (split by the runtime's own bounded splitter). */
function onLines(s: NodeJS.ReadableStream, f: (frame: Record<string, unknown>) => void): void {
  const lines = new LineSplitter(LIMITS.maxServerLine, {
    line: (bytes) => f(JSON.parse(bytes.toString('utf8')) as Record<string, unknown>),
    tooLong: () => { throw new Error('an overlong NDJSON line'); },
  });
  s.on('data', (chunk: Buffer) => lines.push(chunk));
}

interface Rig {
  host: TransfersHost; downloads: Downloads; events: ClientEvent[]; dir: string; pair: TlsPair;
  /** The client's download, kept once it starts (its counters outlive it). */
  download(): ClientDownload | undefined;
}

/** The transfers host and the client's downloads, talking over a real TLS connection; datagrams to `advertise`. */
async function rig(scope: TransferScope, pool: [number, number], advertise: [number, number]): Promise<Rig> {
  const files = scope.dir('messenger-aead-files-');
  fs.writeFileSync(path.join(files, 'secret.bin'), DATA);
  const dir = scope.dir('messenger-aead-dl-');
  const host = new TransfersHost(new Catalogue(files), transfers(pool, { halfway: 0, advertisePorts: advertise }), makeLogger({ quiet: true }));
  await host.start();
  const pair = await tlsPair();
  scope.onDispose(async () => { await host.stop(); await pair.close(); });
  // the server's side of the control connection: what TransfersHost reads of it is its socket, its TLS session
  // (the transfer keys come from it) and its send()
  const conn = { socket: pair.server, tlsSocket: pair.server, send: (f: ServerFrame) => { pair.server.write(`${JSON.stringify(f)}\n`); } } as unknown as Connection;
  onLines(pair.server, (f) => host.handle(conn, f as Extract<ClientFrame, { type: 'get' | 'consent' | 'stop' }>, 'alice'));
  const events: ClientEvent[] = [];
  let kept: ClientDownload | undefined;
  const downloads: Downloads = new Downloads({ host: '127.0.0.1', dir, yes: true }, {
    send: (f) => pair.client.write(`${JSON.stringify(f)}\n`),
    emit: (e) => { events.push(e); kept ??= downloads.list()[0]; },
    serverAddress: () => '127.0.0.1',
    userName: () => 'alice',
    tlsSocket: () => pair.client,
  });
  scope.onDispose(() => downloads.shutdown());
  onLines(pair.client, (f) => {
    if (f.type === 'error') downloads.onError(f as Extract<ServerFrame, { type: 'error' }>);
    else downloads.onFrame(f as TransferServerFrame);
  });
  return { host, downloads, events, dir, pair, download: () => kept };
}

async function finished(r: Rig, ms = 20000): Promise<Extract<ClientEvent, { type: 'finished' }>> {
  await waitUntil(() => r.events.some((e) => e.type === 'finished' || e.type === 'error'), ms, 'the download ended');
  const end = r.events.find((e) => e.type === 'finished' || e.type === 'error')!;
  expect(end, JSON.stringify(end)).to.include({ type: 'finished' });
  return end as Extract<ClientEvent, { type: 'finished' }>;
}

interface Middle {
  seen: { up: number; down: number };
  /** Datagrams that held a 16-byte window of the file, by direction and number. */
  leaked: string[];
  injected: { up: { replay: number; bad: number }; down: { replay: number; bad: number } };
}

/**
 * A UDP man in the middle: the client sends to `listenPort`, the middle forwards to the server's `poolPort` from its
 * own socket and back, looks at every datagram for the file's bytes, and (when `attacking`) injects every 5th
 * datagram's replay and four bad copies: bit-flipped, truncated, forged, and reflected (sent back the other way).
 */
async function middle(scope: TransferScope, listenPort: number, poolPort: number, attacking = true): Promise<Middle> {
  const front = dgram.createSocket('udp4'); const back = dgram.createSocket('udp4');
  scope.onDispose(() => { front.close(); back.close(); });
  await new Promise<void>((res) => front.bind(listenPort, '127.0.0.1', () => res()));
  await new Promise<void>((res) => back.bind(0, '127.0.0.1', () => res()));
  let client: dgram.RemoteInfo | null = null;
  const seen = { up: 0, down: 0 };
  const leaked: string[] = [];
  const sentUp: Buffer[] = []; const sentDown: Buffer[] = [];
  const injected = { up: { replay: 0, bad: 0 }, down: { replay: 0, bad: 0 } };
  const toServer = (m: Buffer) => back.send(m, poolPort, '127.0.0.1');
  const toClient = (m: Buffer) => { if (client) front.send(m, client.port, client.address); };
  const flip = (m: Buffer, at: number) => { const c = Buffer.from(m); c[at]! ^= 0x10; return c; };
  const forge = (m: Buffer) => { const c = Buffer.from(m); crypto.randomBytes(c.length - HEADER_BYTES).copy(c, HEADER_BYTES); c.writeUInt32BE(c.readUInt32BE(20) + 100_000, 20); return c; };
  /** Every 5th datagram of the first 150 in a direction: its replay and four bad copies, one of them a reflection. */
  const attack = (m: Buffer, dir: 'up' | 'down', n: number, history: Buffer[]) => {
    if (!attacking || n % 5 !== 4 || n > 150) return;
    const send = dir === 'up' ? toServer : toClient;
    const other = dir === 'up' ? toClient : toServer;
    const old = history[n - 3];
    if (old) { send(old); injected[dir].replay++; }
    send(flip(m, Math.min(m.length - 1, DATA_HEADER_BYTES + (n % 40))));
    send(m.subarray(0, m.length - 1 - (n % 20)));
    send(forge(m));
    other(m); // reflected: sealed for one direction, sent in the other
    injected[dir].bad += 3;
    injected[dir === 'up' ? 'down' : 'up'].bad += 1;
  };
  front.on('message', (m, rinfo) => {
    client = rinfo;
    if (leaks(m)) leaked.push(`up #${seen.up}`);
    toServer(m); sentUp.push(m);
    attack(m, 'up', seen.up++, sentUp);
  });
  back.on('message', (m) => {
    if (leaks(m)) leaked.push(`down #${seen.down}`);
    toClient(m); sentDown.push(m);
    attack(m, 'down', seen.down++, sentDown);
  });
  return { seen, leaked, injected };
}

describe('transfer/aead (datagrams sealed with keys from the TLS session)', function () {
  this.timeout(40000);
  const scope = new TransferScope();
  afterEach(() => scope.dispose());

  it('a man in the middle sees no byte of the file, and what it forges, replays, flips, truncates or reflects is dropped and counted', async () => {
    // the check can tell: a datagram sealed only with the CRC (--no-tls) shows the file
    expect(leaks(encodeData({ transferId: 1, token: Buffer.alloc(8), pn: 0 }, 1000, DATA.subarray(1000, 1200)))).to.equal(true);
    const pool = await nextUdpPorts(1);
    const listen = await nextUdpPorts(1);
    const r = await rig(scope, pool, listen);
    const m = await middle(scope, listen[0], pool[0]);

    r.downloads.request('secret.bin');
    const end = await finished(r);
    expect(sha256(fs.readFileSync(end.path))).to.equal(sha256(DATA));
    expect(m.seen.down, `the data went through the middle (${JSON.stringify(m.seen)})`).to.be.at.least(SIZE / 1200);
    expect(m.leaked, 'datagrams holding a 16-byte window of the file').to.deep.equal([]);
    const d = r.download()!;
    const server = r.host.stats;
    // a bad copy never opens; a replay is counted as one (unless its original was lost on the way, then it is the first copy)
    // every forged copy is dropped; the count may miss the few forged after the transfer closed its port (the end
    // comes at once now that the file is hashed as it arrives) or take a late packet of the ended transfer: within 5
    expect(server.malformed, 'at the server').to.be.within(Math.max(1, m.injected.up.bad - 5), m.injected.up.bad + 5);
    expect(server.spoofed).to.be.within(1, m.injected.up.replay);
    expect(d.malformed, 'at the client').to.equal(m.injected.down.bad);
    expect(d.spoofed).to.be.within(1, m.injected.down.replay);
  });

  it('through the link emulator: duplicated datagrams are replays, corrupted ones fail authentication, reordered ones pass', async () => {
    const pool = await nextUdpPorts(1);
    const listen = await nextUdpPorts(1);
    const spec = parseImpairments('dup=10%,corrupt=5%,reorder=10%');
    const emu = await scope.emulator(pool, listen, spec, spec, 99);
    const r = await rig(scope, pool, listen);
    r.downloads.request('secret.bin');
    const end = await finished(r);
    expect(sha256(fs.readFileSync(end.path))).to.equal(sha256(DATA));
    const s = emu.stats();
    expect(s.down.duplicated).to.be.above(10);
    expect(s.down.corrupted).to.be.above(5);
    const d = r.download()!;
    expect(d.spoofed, 'duplicates dropped as replays').to.be.above(0);
    expect(d.malformed, 'corrupted datagrams dropped').to.be.above(0);
    expect(r.host.stats.spoofed + r.host.stats.malformed, 'the same on the way up').to.be.above(0);
  });

  // MessengerServer and ClientRuntime as users run them: meaningful once the server's listener runs TLS (issue 12,
  // item 1, on another branch); until then the control connection is plain TCP and this test skips itself.
  it('MessengerServer to ClientRuntime under TLS (the client takes only an aes-128-gcm offer there): the middle sees no byte of the file, the file arrives', async function () {
    const pool = await nextUdpPorts(1);
    const listen = await nextUdpPorts(1);
    const srv = await scope.server({ files: { 'secret.bin': DATA }, ports: pool, transfers: { advertisePorts: listen, halfway: 0 } });
    const c = await scope.client(srv, 'tls-user', { yes: true });
    if (c.rt.downloads.link.tlsSocket() === null) this.skip();
    const m = await middle(scope, listen[0], pool[0]);
    const end = await get(c, 'secret.bin', 20000);
    expectIntact(end, DATA);
    expect(m.seen.down).to.be.at.least(SIZE / 1200);
    expect(m.leaked, 'datagrams holding a 16-byte window of the file').to.deep.equal([]);
    // (within 5, as above: forged copies that arrive after the transfer's port closed are not counted)
    expect(srv.server.transfers.stats.malformed).to.be.within(Math.max(1, m.injected.up.bad - 5), m.injected.up.bad + 5);
  });
});
