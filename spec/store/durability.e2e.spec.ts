// Durable history end to end: the real `messenger-server` process on a data folder, real sockets. Stops with
// Ctrl-C and SIGKILL in the middle of a flood, restarts on the same folder, a store that cannot be used, a full
// disk (a small tmpfs mounted for the test, as root) and a store file removed while the server runs.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { SCHEMA_VERSION } from '../../runtime/store/sqlite/migrations.js';
import { migrate, STORE_FILE } from '../../runtime/store/sqlite/sqlite-store.js';
import { nextUdpPorts } from '../helpers/ports.js';
import { spawnServer, type ChildRun } from '../helpers/proc.js';
import { RawClient, type Frame } from '../helpers/raw.js';
import { waitUntil } from '../helpers/recorder.js';
import { Scope } from '../helpers/scope.js';

const isRoot = process.getuid?.() === 0;

function mountTmpfs(dir: string, opts: string): boolean {
  if (!isRoot) return false;
  return spawnSync('mount', ['-t', 'tmpfs', '-o', opts, 'tmpfs', dir]).status === 0;
}
function unmount(dir: string): void { spawnSync('umount', ['-l', dir]); }

/** The server refuses to start: its exit code and what it said. */
async function refusedStart(args: string[]): Promise<string> {
  try {
    const { run } = await spawnServer(args);
    await run.dispose();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('the server started');
}

const texts = (frames: Frame[]) => frames.filter((f) => f.type === 'message').map((f) => String(f.text));

describe('durable history: messenger-server processes on a data folder', function () {
  this.timeout(60000);
  let scope: Scope;
  let data: string;
  let files: string;
  beforeEach(() => {
    scope = new Scope();
    data = path.join(scope.tempDir('messenger-durable-'), 'data');
    files = scope.tempDir('messenger-durable-files-');
  });
  afterEach(() => scope.dispose());

  const start = async (extra: string[] = []): Promise<{ run: ChildRun; port: number }> => {
    const [a, b] = await nextUdpPorts(2);
    return scope.spawnServer(['--port', '0', '--files', files, '--udp-ports', `${a}-${b}`, '--data', data, '--rate', '100000', ...extra]);
  };

  const login = async (port: number, name: string): Promise<{ raw: RawClient; history: Frame[] }> => {
    const raw = await scope.raw(port, name);
    const since = raw.mark();
    await raw.hello(name, 10000);
    // the history frame, when there is one, comes right behind the welcome: a ping answered means it is here
    raw.send({ type: 'ping', t: 1 });
    await raw.waitForType('pong', () => true, { ms: 10000, since });
    const h = raw.find((f) => f.type === 'history', since);
    return { raw, history: h ? (h.messages as Frame[]) : [] };
  };

  /** The whole history as a client can read it: the replay at login, then older pages until the beginning. */
  const wholeHistory = async (raw: RawClient, replay: Frame[]): Promise<Frame[]> => {
    const all = [...replay];
    for (;;) {
      const before = all.length ? Number(all[0]!.id) : undefined;
      const since = raw.mark();
      raw.send(before === undefined ? { type: 'history', limit: 500 } : { type: 'history', before, limit: 500 });
      const page = await raw.waitFor((f) => f.type === 'history' && f.older === true, { ms: 10000, since });
      const lines = page.messages as Frame[];
      if (!lines.length) return all;
      all.unshift(...lines);
    }
  };

  it('keeps the conversation across Ctrl-C and a restart; a new line-mode client gets it as its history event', async () => {
    let { run, port } = await start();
    expect(fs.existsSync(path.join(data, STORE_FILE)), 'the data folder is created on first start').to.equal(true);
    const { raw } = await login(port, 'ann');
    for (const t of ['one', 'two', 'three']) raw.send({ type: 'say', text: t });
    await raw.waitForCount((f) => f.type === 'message', 3, 5000);
    run.kill('SIGINT');
    expect(await run.waitEnd(10000)).to.equal('0');
    ({ run, port } = await start(['--history', '2']));
    const bob = scope.spawnClient('bob', port, ['--downloads', scope.tempDir()]);
    const ev = await bob.waitFor((e) => e.type === 'history', 15000);
    const messages = ev.messages as Array<Record<string, unknown>>;
    expect(messages.map((m) => [m.from, m.text])).to.deep.equal([['ann', 'two'], ['ann', 'three']]);
    for (const m of messages) expect(m.ts).to.be.a('number').and.be.greaterThan(1.6e12);
    // older pages on request, before the oldest line held; an empty page at the beginning
    bob.type('/history 5');
    const page = await bob.waitFor((e) => e.type === 'history' && e.older === true, 10000);
    expect((page.messages as Array<Record<string, unknown>>).map((m) => m.text)).to.deep.equal(['one']);
    const since = bob.mark();
    bob.type('/history');
    const end = await bob.waitFor((e) => e.type === 'history' && e.older === true, { ms: 10000, since });
    expect(end.messages).to.deep.equal([]);
  });

  it('loses no delivered message to SIGKILL in the middle of a flood; the next start opens the store as it is', async () => {
    const { run, port } = await start();
    const watcher = (await login(port, 'watcher')).raw;
    const flooder = (await login(port, 'flooder')).raw;
    const total = 200_000; // a bound only: the server is killed long before
    const sent: string[] = [];
    let stop = false;
    // 5 messages a millisecond at most (about 2 s for all): the flood is still going when the server dies, and what was
    // delivered fits one history replay (192 KiB)
    const pump = () => {
      if (stop || flooder.closed) return;
      for (let i = 0; i < 5 && sent.length < total; i++) {
        const text = `flood ${sent.length}`;
        sent.push(text);
        flooder.send({ type: 'say', text });
      }
      if (sent.length < total) setTimeout(pump, 1);
    };
    pump();
    await watcher.waitForCount((f) => f.type === 'message', 1500, 20000);
    run.kill('SIGKILL');
    await run.waitEnd(5000);
    stop = true;
    expect(sent.length, 'killed mid-flood').to.be.below(total);
    // everything the kernel already held reaches the clients; then the sockets close
    await watcher.waitEnd(5000);
    await flooder.waitEnd(5000);
    const seen = [texts(watcher.items), texts(flooder.items)].sort((a, b) => b.length - a.length);
    const delivered = seen[0]!;
    expect(seen[1]).to.deep.equal(delivered.slice(0, seen[1]!.length));
    expect(delivered).to.deep.equal(sent.slice(0, delivered.length));

    const again = await start(['--history', '10000']);
    // the replay at login is bounded (its oldest lines left out past the frame limit): page back to the beginning
    const { raw: late, history: replay } = await login(again.port, 'late');
    const history = await wholeHistory(late, replay);
    const kept = history.map((m) => String(m.text));
    expect(kept.length, 'every delivered message is kept').to.be.at.least(delivered.length);
    expect(kept.slice(0, delivered.length)).to.deep.equal(delivered);
    // beyond what was delivered, at most the batch being written at the kill: in order, nothing invented
    expect(kept).to.deep.equal(sent.slice(0, kept.length));
    expect(history.every((m) => m.from === 'flooder')).to.equal(true);
  });

  it('a corrupt store file: a clear message, exit 1, before listening; the file is left as it was', async () => {
    fs.mkdirSync(data, { recursive: true });
    const junk = Buffer.from('this is not an SQLite database, and it must not be overwritten\n'.repeat(100));
    fs.writeFileSync(path.join(data, STORE_FILE), junk);
    const said = await refusedStart(['--port', '0', '--files', files, '--data', data]);
    expect(said).to.match(/exited \(1\)/).and.match(/is not a sound database/);
    expect(said).not.to.match(/listening/);
    expect(fs.readFileSync(path.join(data, STORE_FILE)).equals(junk)).to.equal(true);
  });

  it('a store of a newer schema: a clear message and exit 1; the file is left as it was', async () => {
    fs.mkdirSync(data, { recursive: true });
    const db = new Database(path.join(data, STORE_FILE));
    migrate(db, 0);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    const before = fs.readFileSync(path.join(data, STORE_FILE));
    const said = await refusedStart(['--port', '0', '--files', files, '--data', data]);
    expect(said).to.match(/exited \(1\)/).and.match(/newer than this server/);
    expect(fs.readFileSync(path.join(data, STORE_FILE)).equals(before)).to.equal(true);
  });

  it('a data folder that cannot be created: a clear message and exit 1', async () => {
    const file = path.join(files, 'a-file');
    fs.writeFileSync(file, 'x');
    const said = await refusedStart(['--port', '0', '--files', files, '--data', path.join(file, 'data')]);
    expect(said).to.match(/exited \(1\)/).and.match(/cannot create the data folder/);
  });

  it('a data folder that cannot be written (a read-only mount): a clear message and exit 1', async function () {
    fs.mkdirSync(data, { recursive: true });
    if (!mountTmpfs(data, 'ro,size=64k')) this.skip();
    try {
      const said = await refusedStart(['--port', '0', '--files', files, '--data', data]);
      expect(said).to.match(/exited \(1\)/).and.match(/cannot write in the data folder/);
    } finally {
      unmount(data);
    }
  });

  describe('a full disk (a 1 MB tmpfs)', () => {
    let mounted = false;
    afterEach(() => { if (mounted) unmount(data); mounted = false; });

    it('refuses new messages with store-unavailable, says so in its log, never crashes, and chats again when space returns', async function () {
      fs.mkdirSync(data, { recursive: true });
      mounted = mountTmpfs(data, 'size=1m');
      if (!mounted) this.skip();
      const { run, port } = await start();
      const a = (await login(port, 'amy')).raw;
      const b = (await login(port, 'ben')).raw;
      // fill the disk
      const filler = path.join(data, 'filler');
      const fd = fs.openSync(filler, 'w');
      try { for (;;) fs.writeSync(fd, Buffer.alloc(16384, 1)); } catch (e) { expect((e as NodeJS.ErrnoException).code).to.equal('ENOSPC'); }
      fs.closeSync(fd);
      const big = 'x'.repeat(3000);
      let refusal: Frame | undefined;
      for (let i = 0; i < 1000 && !refusal; i++) {
        const since = a.mark();
        a.send({ type: 'say', text: `${i} ${big}` });
        const f = await a.waitFor((x) => x.type === 'error' || (x.type === 'message' && String(x.text).startsWith(`${i} `)), { ms: 5000, since });
        if (f.type === 'error') refusal = f;
      }
      expect(refusal).to.include({ code: 'store-unavailable', re: 'say' });
      await run.waitFor((l) => typeof l.msg === 'string' && l.msg.includes('cannot keep messages'), 5000);
      expect(run.running).to.equal(true);
      fs.rmSync(filler);
      const since = b.mark();
      a.send({ type: 'say', text: 'space is back' });
      await b.waitForType('message', (f) => f.text === 'space is back', { ms: 5000, since });
      await run.waitFor((l) => typeof l.msg === 'string' && l.msg.includes('writable again'), 5000);
      run.kill('SIGTERM');
      expect(await run.waitEnd(10000)).to.equal('0');
    });
  });

  it('a store file removed while the server runs: said in the log, written back, nothing lost', async () => {
    let { run, port } = await start();
    const { raw } = await login(port, 'cat');
    raw.send({ type: 'say', text: 'before' });
    await raw.waitForType('message', (f) => f.text === 'before', 5000);
    fs.rmSync(path.join(data, STORE_FILE));
    await run.waitFor((l) => typeof l.msg === 'string' && l.msg.includes('written back'), 10000);
    raw.send({ type: 'say', text: 'after' });
    await raw.waitForType('message', (f) => f.text === 'after', 5000);
    run.kill('SIGKILL');
    await run.waitEnd(5000);
    ({ run, port } = await start());
    const { history } = await login(port, 'dan');
    expect(history.map((m) => m.text)).to.deep.equal(['before', 'after']);
    await waitUntil(() => run.running, 100);
  });
});
