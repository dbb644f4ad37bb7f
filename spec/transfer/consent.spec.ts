// The halfway question: others download the same file while one client is being asked; no keeps a resumable
// partial file; a later /get resumes it (or starts over when the server's file changed); a yes after a long wait
// still works (a paused transfer does not time out).
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { content, delay, expectIntact, get, poolFull, sha256, TransferScope, waitEnding, waitUntil, finishedFiles, type TestClient } from './harness.js';
import { nextUdpPorts } from '../helpers/ports.js';
import { partPath } from '../../runtime/download-files.js';


/** Sends /get, waits for the halfway question, returns it. */
async function getUntilAsked(c: TestClient, file: string, ms = 10000) {
  const since = c.mark();
  c.command(`/get ${file}`);
  const ev = await c.waitFor((e) => (e.type === 'consent' && e.file === file) || ((e.type === 'finished' || e.type === 'error' || e.type === 'stopped') && 'file' in e && e.file === file), { since, ms });
  if (ev.type !== 'consent') throw new Error(`expected the halfway question, got ${JSON.stringify(ev)}`);
  return { ev, since };
}

describe('transfer/consent', function () {
  this.timeout(40000);
  const scope = new TransferScope();
  afterEach(() => scope.dispose());

  it('five clients download the same file while a sixth sits at the question; then the sixth says yes', async () => {
    const data = content(1_000_000, 41);
    const srv = await scope.server({ files: { 'shared.bin': data }, ports: await nextUdpPorts(8) });
    const waiting = await scope.client(srv, 'ponder');
    const asked = await getUntilAsked(waiting, 'shared.bin');
    expect(asked.ev.received).to.equal(500_000);
    expect(asked.ev.size).to.equal(data.length);

    const five = await Promise.all([1, 2, 3, 4, 5].map((i) => scope.client(srv, `eager${i}`, { yes: true })));
    const ends = await Promise.all(five.map((c) => get(c, 'shared.bin', 20000)));
    for (const end of ends) expectIntact(end, data);
    expect(srv.server.transfers.stats.finished).to.equal(5);

    // the sixth is still paused: still asked, holding its port, nothing finished
    expect(waiting.rt.downloads.list().map((d) => d.awaitingConsent)).to.deep.equal([true]);
    expect(waiting.ofType('finished')).to.have.length(0);
    expect(srv.server.transfers.active).to.equal(1);
    expect(srv.server.transfers.pool.available).to.equal(srv.server.transfers.pool.size - 1);

    waiting.command('/yes');
    expectIntact(await waitEnding(waiting, 'shared.bin', asked.since, 15000), data);
    await poolFull(srv);
  });

  it('/no stops with a kept partial file; a later /get resumes it and finishes with the right hash', async () => {
    const data = content(1_200_001, 42);
    const srv = await scope.server({ files: { 'movie.bin': data }, ports: await nextUdpPorts(2) });
    const c = await scope.client(srv, 'resumer');
    const first = await getUntilAsked(c, 'movie.bin');
    c.command('/no');
    const stopped = await waitEnding(c, 'movie.bin', first.since, 10000);
    if (stopped.type !== 'stopped') throw new Error(`expected stopped, got ${JSON.stringify(stopped)}`);
    expect(stopped.received).to.be.above(0);
    expect(stopped.received).to.equal(Math.floor(data.length / 2));
    expect(fs.existsSync(stopped.path), 'the partial file is kept').to.equal(true);
    expect(fs.statSync(stopped.path).size).to.equal(stopped.received);
    expect(sha256(fs.readFileSync(stopped.path))).to.equal(sha256(data.subarray(0, stopped.received)));
    await poolFull(srv);

    const since = c.mark();
    c.command('/get movie.bin');
    const dl = await c.waitForType('download', (e) => e.file === 'movie.bin', { since, ms: 5000 });
    expect(dl.resumed).to.equal(true);
    expect(dl.offset).to.equal(stopped.received);
    const end = await waitEnding(c, 'movie.bin', since, 15000);
    const fin = expectIntact(end, data);
    expect(path.basename(fin.path)).to.equal('movie.bin');
    // the question was asked once, before the stop: not again on the resumed half
    expect(c.ofType('consent', since)).to.have.length(0);
    expect(finishedFiles(c.rt.opts.downloadsDir)).to.deep.equal(['movie.bin']);
    const part = partPath(c.rt.opts.downloadsDir, 'movie.bin');
    expect(fs.existsSync(part) || fs.existsSync(`${part}.json`), 'no partial copy left after finishing').to.equal(false);
    await poolFull(srv);
  });

  it('a /get after /no starts over when the server\'s file changed meanwhile, and finishes with the new hash', async () => {
    const old = content(800_000, 43);
    const fresh = content(900_003, 44);
    const srv = await scope.server({ files: { 'doc.bin': old }, ports: await nextUdpPorts(2) });
    const c = await scope.client(srv, 'changer');
    const first = await getUntilAsked(c, 'doc.bin');
    c.command('/no');
    const stopped = await waitEnding(c, 'doc.bin', first.since, 10000);
    expect(stopped.type).to.equal('stopped');
    await poolFull(srv);

    fs.writeFileSync(path.join(srv.filesDir, 'doc.bin'), fresh);
    const again = await getUntilAsked(c, 'doc.bin');
    const dl = c.ofType('download', again.since).find((e) => e.file === 'doc.bin')!;
    expect(dl.resumed).to.equal(false);
    expect(dl.offset).to.equal(0);
    expect(again.ev.size).to.equal(fresh.length);
    c.command('/yes');
    const fin = expectIntact(await waitEnding(c, 'doc.bin', again.since, 15000), fresh);
    expect(fin.sha256).to.equal(sha256(fresh));
    await poolFull(srv);
  });

  it('a same-size change with the old modification time restored is still noticed (no resume onto new bytes)', async () => {
    // rsync -t, cp -p or touch -r keep the mtime: only the content (and the inode's ctime) tell the versions apart
    const old = content(700_000, 47);
    const fresh = content(700_000, 48);
    const srv = await scope.server({ files: { 'same.bin': old }, ports: await nextUdpPorts(2) });
    const file = path.join(srv.filesDir, 'same.bin');
    const c = await scope.client(srv, 'sneaky');
    const first = await getUntilAsked(c, 'same.bin');
    c.command('/no');
    expect((await waitEnding(c, 'same.bin', first.since, 10000)).type).to.equal('stopped');
    await poolFull(srv);
    const st = fs.statSync(file);
    const ref = path.join(c.rt.opts.downloadsDir, '..', `${path.basename(c.rt.opts.downloadsDir)}-mtime-ref`);
    fs.writeFileSync(ref, '');
    scope.onDispose(() => fs.rmSync(ref, { force: true }));
    execFileSync('touch', ['-r', file, ref]); // keeps the nanoseconds, which utimes() would round
    fs.writeFileSync(file, fresh); // in place: same inode, same size
    execFileSync('touch', ['-r', ref, file]);
    expect(fs.statSync(file).mtimeMs).to.equal(st.mtimeMs);
    expect(fs.statSync(file).ino).to.equal(st.ino);
    const since = c.mark();
    c.command('/get same.bin');
    const dl = await c.waitForType('download', (e) => e.file === 'same.bin', { since, ms: 5000 });
    const end = await c.waitFor((e) => (e.type === 'consent' || e.type === 'finished' || e.type === 'error') && 'file' in e && e.file === 'same.bin', { since, ms: 10000 });
    if (end.type === 'consent') c.command('/yes');
    const fin = await waitEnding(c, 'same.bin', since, 15000);
    expect(dl.resumed, `the changed file must not be resumed (it ended: ${JSON.stringify(fin).slice(0, 200)})`).to.equal(false);
    expectIntact(fin, fresh);
  });

  it('a fresh download after a same-size in-place change with the mtime kept gets the new content', async () => {
    const old = content(200_000, 49);
    const fresh = content(200_000, 50);
    const srv = await scope.server({ files: { 'cached.bin': old }, ports: await nextUdpPorts(2) });
    const file = path.join(srv.filesDir, 'cached.bin');
    const a = await scope.client(srv, 'first', { yes: true });
    expectIntact(await get(a, 'cached.bin'), old); // the server hashes (and caches) the old version
    const ref = path.join(srv.filesDir, '..', `${path.basename(srv.filesDir)}-mtime-ref`);
    fs.writeFileSync(ref, '');
    scope.onDispose(() => fs.rmSync(ref, { force: true }));
    execFileSync('touch', ['-r', file, ref]);
    fs.writeFileSync(file, fresh);
    execFileSync('touch', ['-r', ref, file]);
    const b = await scope.client(srv, 'second', { yes: true });
    expectIntact(await get(b, 'cached.bin'), fresh);
  });

  it('a yes after a wait longer than the silence deadline still finishes (a paused transfer does not time out)', async () => {
    const data = content(600_000, 45);
    const srv = await scope.server({ files: { 'slow.bin': data }, ports: await nextUdpPorts(2), transfers: { silentMs: 1000 } });
    const c = await scope.client(srv, 'thinker');
    const asked = await getUntilAsked(c, 'slow.bin');
    await delay(2500);
    expect(c.after(asked.since).filter((e) => e.type === 'error' || e.type === 'stopped')).to.deep.equal([]);
    expect(srv.server.transfers.active).to.equal(1);
    c.command('/yes');
    expectIntact(await waitEnding(c, 'slow.bin', asked.since, 15000), data);
    expect(srv.server.transfers.stats.failed).to.equal(0);
    await poolFull(srv);
  });

  it('/yes and /no with nothing waiting are refused clearly', async () => {
    const srv = await scope.server({ files: { 'x.bin': content(10, 1) }, ports: await nextUdpPorts(2) });
    const c = await scope.client(srv, 'nothing');
    const since = c.mark();
    c.command('/yes');
    c.command('/no');
    await c.waitForCount((e) => e.type === 'error' && e.code === 'no-such-transfer', 2, { since, ms: 3000 });
  });
});

describe('transfer/consent: control frames and the session rate limit', function () {
  this.timeout(40000);
  const scope = new TransferScope();
  afterEach(() => scope.dispose());

  // Each download with --yes costs two control frames (get, then the consent yes) and a small one ends in a few ms,
  // so a script fetching small files in a row passes the default 20 frames/s (burst 40) within a second. A refused
  // consent must not leave the download waiting forever (the server paused, the client saying HELLO).
  it('50 small downloads in a row with --yes all end (none hangs at the question)', async () => {
    const data = content(3000, 46);
    const srv = await scope.server({ files: { 'small.bin': data }, ports: await nextUdpPorts(2) });
    const c = await scope.client(srv, 'scripted', { yes: true });
    for (let i = 0; i < 50; i++) {
      const since = c.mark();
      c.command('/get small.bin');
      let end;
      try { end = await waitEnding(c, 'small.bin', since, 3000); }
      catch {
        const tail = c.after(since).map((e) => JSON.stringify(e)).join('\n  ');
        throw new Error(`download ${i + 1} of 50 never ended (port held: ${srv.server.transfers.pool.available}/${srv.server.transfers.pool.size} free); events:\n  ${tail}`);
      }
      // finishing or a clear refusal are both fine; silence is not
      if (end.type !== 'finished') expect(end.type, JSON.stringify(end)).to.equal('error');
    }
    await poolFull(srv, 3000);
  });

  it('a burst of /get requests is answered one way or another for every request (no request left pending)', async () => {
    const names = Array.from({ length: 50 }, (_, i) => `b${i}.bin`);
    const srv = await scope.server({ files: Object.fromEntries(names.map((n, i) => [n, content(100, 100 + i)])), ports: await nextUdpPorts(8) });
    const c = await scope.client(srv, 'burster', { yes: true });
    const since = c.mark();
    for (const n of names) c.command(`/get ${n}`);
    await waitUntil(() => c.rt.downloads.pending === 0, 5000, `every request answered (pending ${c.rt.downloads.pending})`).catch((e: Error) => {
      const answered = new Set(c.after(since).filter((e) => e.type === 'finished' || e.type === 'error').map((e) => ('file' in e ? e.file : '?')));
      const missing = names.filter((n) => !answered.has(n));
      const unattributed = c.after(since).filter((e) => e.type === 'error' && !('file' in e && e.file));
      throw new Error(`${e.message}; never answered: ${missing.join(', ')}; errors naming no file: ${JSON.stringify(unattributed.slice(0, 2))}`);
    });
    await poolFull(srv, 3000);
  });
});
