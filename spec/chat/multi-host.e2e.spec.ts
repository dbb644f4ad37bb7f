// A client given several servers (`messenger --host A,B`): real `messenger-server` processes (TLS on, each with its
// own --data and so its own certificate, sharing one --files folder) and a real `messenger --plain --json` process.
// The server the client is on is killed with SIGKILL: the client reconnects to the other one with the same name
// (retrying a while when the name is still held there), and the downloads the kill interrupted, one running and one
// paused at the halfway question, resume from their partial files and finish byte-identical. All servers down: a
// bounded number of attempts, then `disconnected`. One server: the reconnect of before (exact backoff, same host,
// no jitter). Every child is killed and every folder removed on every exit (the Scope, in afterEach).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { LinkEmulator } from '../../runtime/link/index.js';
import { parseImpairments } from '../../runtime/link/impairment-spec.js';
import { TIMING } from '../../machines/timing.js';
import { nextUdpPorts } from '../helpers/ports.js';
import type { ChildRun, Json } from '../helpers/proc.js';
import { Scope } from '../helpers/scope.js';

const is = (type: string, pred: (e: Json) => boolean = () => true) => (e: Json) => e.type === type && pred(e);
const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

describe('end to end: a client given several servers (--host A,B) reconnects to a live one and resumes its downloads', function () {
  this.timeout(120_000);
  const scope = new Scope();
  let link: LinkEmulator | null = null;
  afterEach(async () => {
    await link?.close();
    link = null;
    await scope.dispose();
  });

  /** A server process on a port of its own, with its own data folder, sharing `files`. */
  async function server(files: string, extra: string[] = [], data = scope.tempDir('messenger-mh-data-')): Promise<{ run: ChildRun; port: number; data: string }> {
    const [a, b] = await nextUdpPorts(4);
    const s = await scope.spawnServer(['--port', '0', '--files', files, '--data', data, '--udp-ports', `${a}-${b}`, ...extra]);
    return { ...s, data };
  }

  async function online(c: ChildRun, since = 0): Promise<Json> {
    const first = await c.waitFor((e) => e.type === 'connected' || e.type === 'disconnected', { ms: 30_000, since });
    if (first.type !== 'connected') throw new Error(`not connected: ${JSON.stringify(first)}; stderr: ${c.stderr.join('\n')}`);
    return first;
  }

  it('SIGKILL of its server: reconnects to the other as the same name, resumes a running and a paused download, byte-identical', async () => {
    const files = scope.tempDir('messenger-mh-files-');
    const downloads = scope.tempDir('messenger-mh-dl-');
    const big = crypto.randomBytes(12_000_000), mid = crypto.randomBytes(3_000_000);
    fs.writeFileSync(path.join(files, 'big.bin'), big);
    fs.writeFileSync(path.join(files, 'mid.bin'), mid);
    // A's downloads go through a link emulator at 16 Mbit/s (2 MB/s), so that one is still running when A dies
    const [la, lb] = await nextUdpPorts(4);
    const [pa, pb] = await nextUdpPorts(4);
    const a = await scope.spawnServer(['--port', '0', '--files', files, '--data', scope.tempDir('messenger-mh-data-'),
      '--udp-ports', `${pa}-${pb}`, '--udp-advertise-ports', `${la}-${lb}`, '--chunk', '1200']);
    link = new LinkEmulator({
      host: '127.0.0.1', seed: 1, up: {}, down: parseImpairments('rate=16mbit,queue=64'),
      mappings: Array.from({ length: lb - la + 1 }, (_, i) => ({ listenPort: la + i, targetHost: '127.0.0.1', targetPort: pa + i })),
    });
    await link.start();
    const b = await server(files);
    const A = `127.0.0.1:${a.port}`, B = `127.0.0.1:${b.port}`;

    const ann = scope.spawnClient('ann', a.port, ['--host', `${A},${B}`, '--downloads', downloads]);
    const first = await online(ann);
    expect(first.server).to.equal(A);
    expect(first.name).to.equal('ann');

    // mid.bin stops at the halfway question (no --yes, not answered); big.bin runs
    ann.type('/get mid.bin');
    const asked = await ann.waitFor(is('consent', (e) => e.file === 'mid.bin'), 30_000);
    ann.type('/get big.bin');
    const running = await ann.waitFor(is('progress', (e) => e.file === 'big.bin' && Number(e.received) > 0), 30_000);
    expect(Number(running.received)).to.be.below(big.length);

    // the name is still held on B (as a cluster holds it until it notices that A's users are gone): retried a while
    const holder = await scope.raw(b.port, 'holder');
    await holder.hello('ann');

    const beforeKill = ann.mark();
    a.run.kill('SIGKILL');
    const lost = await ann.waitFor(is('reconnecting'), { since: beforeKill, ms: 15_000 });
    expect(lost.host).to.equal(B);
    expect(lost.attempt).to.equal(1);
    const retake = await ann.waitFor(is('reconnecting', (e) => /name-taken/.test(String(e.reason))), { since: beforeKill, ms: 20_000 });
    expect(retake.host, 'a name-taken is retried on the same (live) server').to.equal(B);
    holder.destroy(); // the old session is gone at last
    const again = await online(ann, beforeKill);
    expect(again.server).to.equal(B);
    expect(again.name).to.equal('ann');
    expect(ann.after(beforeKill).filter(is('disconnected')), 'no disconnected while it reconnects').to.have.length(0);
    expect(ann.after(beforeKill).find(is('trusted', (e) => e.server === B)), 'B trusted on first use, per host:port').to.not.equal(undefined);

    // both interrupted downloads: their partials were kept, and they are asked for again from B and resumed
    const stopped = ann.after(beforeKill).filter(is('stopped'));
    expect(stopped.map((e) => e.file).sort()).to.deep.equal(['big.bin', 'mid.bin']);
    const sinceBack = ann.items.indexOf(again);
    // the halfway questions B asks are answered yes: mid.bin's again (it was never answered), big.bin's at its halfway
    const answered = new Set<unknown>();
    const answerAll = setInterval(() => {
      for (const q of ann.after(sinceBack).filter(is('consent'))) if (!answered.has(q.id)) { answered.add(q.id); ann.type(`/yes ${String(q.id)}`); }
    }, 50);
    try {
      const resumedMid = await ann.waitFor(is('download', (e) => e.file === 'mid.bin'), { since: sinceBack, ms: 20_000 });
      expect(resumedMid.resumed).to.equal(true);
      expect(Number(resumedMid.offset), 'mid.bin resumes just before its halfway point, where it is asked again').to.equal(Number(asked.received) - 1);
      const resumedBig = await ann.waitFor(is('download', (e) => e.file === 'big.bin'), { since: sinceBack, ms: 20_000 });
      expect(resumedBig.resumed).to.equal(true);
      expect(Number(resumedBig.offset)).to.be.greaterThan(0);
      const midAgain = await ann.waitFor(is('consent', (e) => e.file === 'mid.bin'), { since: sinceBack, ms: 20_000 });
      expect(midAgain.received).to.equal(asked.received);
      for (const [name, content] of [['mid.bin', mid], ['big.bin', big]] as const) {
        const done = await ann.waitFor(is('finished', (e) => e.file === name), { since: sinceBack, ms: 60_000 });
        expect(done.sha256).to.equal(sha(content));
        expect(done.lastByte).to.equal(content[content.length - 1]);
        expect(String(done.text)).to.match(/User ann downloaded 100% out of file\. Last byte is: \d+\./);
        expect(fs.readFileSync(String(done.path)).equals(content), `${name} byte-identical`).to.equal(true);
      }
    } finally { clearInterval(answerAll); }

    // chat goes on through B
    ann.type('/who');
    const who = await ann.waitFor(is('online'), { since: sinceBack, ms: 10_000 });
    expect(who.names).to.include('ann');
    ann.endInput();
    expect(await ann.waitEnd(15_000)).to.equal('0');
  });

  it('all servers down: a bounded number of attempts, taking turns between them, then disconnected (exit 1)', async () => {
    const files = scope.tempDir('messenger-mh-files-');
    const a = await server(files), b = await server(files);
    const A = `127.0.0.1:${a.port}`, B = `127.0.0.1:${b.port}`;
    const ann = scope.spawnClient('ann', a.port, ['--host', `${A},${B}`, '--reconnect-tries', '4']);
    await online(ann);
    const mark = ann.mark();
    a.run.kill('SIGKILL');
    b.run.kill('SIGKILL');
    const gone = await ann.waitFor(is('disconnected'), { since: mark, ms: 30_000 });
    const tries = ann.after(mark).filter(is('reconnecting'));
    expect(tries.map((e) => e.attempt)).to.deep.equal([1, 2, 3, 4]);
    expect(tries.map((e) => e.host)).to.deep.equal([B, A, B, A]);
    // the backoff doubles per round over the list, with jitter: between half and all of it
    tries.forEach((e, i) => {
      const full = TIMING.backoffBaseMs * 2 ** Math.floor(i / 2);
      expect(Number(e.inMs)).to.be.within(full * (1 - TIMING.backoffJitter), full);
    });
    expect(String(gone.reason)).to.match(/ECONNREFUSED/);
    expect(await ann.waitEnd(10_000)).to.equal('1');
    expect(ann.after(mark).filter(is('connected'))).to.have.length(0);
  });

  it('given servers that are all down at the start: tries each in turn, then disconnected', async () => {
    const files = scope.tempDir('messenger-mh-files-');
    const a = await server(files), b = await server(files);
    a.run.kill('SIGKILL');
    b.run.kill('SIGKILL');
    await Promise.all([a.run.waitEnd(10_000), b.run.waitEnd(10_000)]);
    const ann = scope.spawnClient('ann', a.port, ['--host', `127.0.0.1:${a.port},127.0.0.1:${b.port}`, '--reconnect-tries', '3']);
    const gone = await ann.waitFor(is('disconnected'), 30_000);
    expect(ann.items.filter(is('reconnecting')).map((e) => e.host)).to.deep.equal([`127.0.0.1:${b.port}`, `127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`]);
    expect(String(gone.reason)).to.match(/ECONNREFUSED/);
    expect(await ann.waitEnd(10_000)).to.equal('1');
  });

  it('one server, as before: the same host again, the exact backoff (no jitter, no bound), and back when it restarts', async () => {
    const files = scope.tempDir('messenger-mh-files-');
    const data = scope.tempDir('messenger-mh-data-');
    const a = await server(files, [], data);
    const ann = scope.spawnClient('ann', a.port, []); // --host 127.0.0.1 --port P, as ever
    const first = await online(ann);
    expect(first.server).to.equal(`127.0.0.1:${a.port}`);
    const mark = ann.mark();
    a.run.kill('SIGKILL');
    await ann.waitForCount(is('reconnecting'), 4, { since: mark, ms: 30_000 });
    const tries = ann.after(mark).filter(is('reconnecting')).slice(0, 4);
    expect(tries.map((e) => e.inMs)).to.deep.equal([0, 1, 2, 3].map((i) => TIMING.backoffBaseMs * 2 ** i));
    expect(new Set(tries.map((e) => e.host))).to.deep.equal(new Set([`127.0.0.1:${a.port}`]));
    // the same server back on its port and data folder (its identity, remembered in known_hosts, unchanged)
    const [u1, u2] = await nextUdpPorts(4);
    await scope.spawnServer(['--port', String(a.port), '--files', files, '--data', data, '--udp-ports', `${u1}-${u2}`]);
    const back = await online(ann, mark);
    expect(back.server).to.equal(`127.0.0.1:${a.port}`);
    expect(ann.after(mark).filter(is('disconnected'))).to.have.length(0);
  });
});
