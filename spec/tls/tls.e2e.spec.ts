// TLS as users get it, with the real bins: the fingerprint logged at start, trust on first use, a changed identity
// refused before anything is sent, --trust, the identity kept across restarts, broken identity files, openssl
// s_client (a client written by no one here), TLS 1.2 refused, and --no-tls on both sides.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { KnownHosts } from '../../runtime/tls/known-hosts.js';
import { spawnClient, spawnServer, type ChildRun } from '../helpers/proc.js';
import { RawClient } from '../helpers/raw.js';
import { otherIdentity, TEST_IDENTITY } from '../helpers/tls.js';
import { makeTempDir, removeDir } from '../helpers/tmp.js';
import { nextUdpPorts } from '../helpers/ports.js';
import { startServer } from '../helpers/server.js';
import { TestClient } from '../helpers/client.js';
import { until } from '../model/wire.js';

const udp = async () => { const [a, b] = await nextUdpPorts(2); return ['--port', '0', '--udp-ports', `${a}-${b}`]; };
const FP = /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/;

/** Runs `openssl s_client` with `args`, writes `input` lines (one every 150 ms), and returns what it printed. */
function sClient(port: number, args: string[], input: string[], ms = 8000): Promise<{ out: string; err: string; code: number | null }> {
  return new Promise((resolve) => {
    const p = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-quiet', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '', err = '';
    p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    p.stdin.on('error', () => {});
    const timer = setTimeout(() => p.kill('SIGKILL'), ms);
    p.on('exit', (code) => { clearTimeout(timer); resolve({ out, err, code }); });
    let i = 0;
    const next = () => { if (i < input.length) { p.stdin.write(input[i++] + '\n'); setTimeout(next, 150); } else p.stdin.end(); };
    setTimeout(next, 300);
  });
}

describe('TLS end to end (real processes, real TLS sockets)', function () {
  this.timeout(30000);
  const runs: ChildRun[] = [];
  const dirs: string[] = [];
  const dir = (p: string) => { const d = makeTempDir(p); dirs.push(d); return d; };
  afterEach(async () => {
    for (const r of runs.splice(0)) await r.dispose();
    for (const d of dirs.splice(0)) removeDir(d);
  });

  it('logs the fingerprint at start; a new client trusts it on first use (shown once), remembers it, and chats', async () => {
    const { run: srv, port } = await spawnServer(await udp());
    runs.push(srv);
    const line = srv.items.find((l) => typeof l.fingerprint === 'string' && String(l.msg).includes('fingerprint'))!;
    expect(line.fingerprint).to.match(FP);
    expect(String(line.msg)).to.contain(String(line.fingerprint));
    const listening = srv.items.find((l) => l.msg === 'listening')!;
    expect(listening).to.include({ tls: 'TLSv1.3', fingerprint: line.fingerprint });
    const home = dir('home-');
    const a = spawnClient('ann', port, [], { MESSENGER_HOME: home });
    runs.push(a);
    const trusted = await a.waitFor((e) => e.type === 'trusted', 10000);
    expect(trusted).to.include({ fingerprint: line.fingerprint, how: 'first-use', server: `127.0.0.1:${port}` });
    await a.waitFor((e) => e.type === 'connected', 10000);
    expect(KnownHosts.in(home).get(`127.0.0.1:${port}`)).to.equal(line.fingerprint);
    a.type('hello over TLS');
    await a.waitFor((e) => e.type === 'message' && e.text === 'hello over TLS', 5000);
    a.type('/quit');
    await a.waitEnd(10000);
    // the second time it is known: no trusted event
    const b = spawnClient('ann', port, [], { MESSENGER_HOME: home });
    runs.push(b);
    await b.waitFor((e) => e.type === 'connected', 10000);
    expect(b.items.filter((e) => e.type === 'trusted')).to.have.length(0);
  });

  it('keeps its identity across a restart on the same data folder', async () => {
    const data = dir('data-');
    const first = await spawnServer(['--data', data, ...(await udp())]);
    const fp1 = first.run.items.find((l) => l.msg === 'listening')!.fingerprint;
    await first.run.dispose();
    expect(fs.statSync(path.join(data, 'tls', 'key.pem')).mode & 0o777).to.equal(0o600);
    const second = await spawnServer(['--data', data, ...(await udp())]);
    runs.push(second.run);
    expect(second.run.items.find((l) => l.msg === 'listening')!.fingerprint).to.equal(fp1);
  });

  it('refuses a server with another identity on the same address before sending anything (hello included): server-identity-changed, disconnected, no reconnect', async () => {
    const first = await startServer();
    const port = first.port;
    const home = dir('home-');
    const kh = KnownHosts.in(home);
    const a = new TestClient(port, 'ann', { tls: { knownHosts: kh }, reconnect: true });
    await a.connect();
    await a.close();
    await first.stop();
    expect(kh.get(`127.0.0.1:${port}`)).to.equal(TEST_IDENTITY.fingerprint);
    // an impostor on the same address: a TLS listener that records every byte it is sent
    const other = await otherIdentity();
    let received = 0, connections = 0;
    const impostor = tls.createServer({ cert: other.cert, key: other.key }, (s) => { s.on('data', (d: Buffer) => { received += d.length; }); s.on('error', () => {}); });
    impostor.on('connection', () => { connections++; });
    await new Promise<void>((r) => impostor.listen(port, '127.0.0.1', r));
    try {
      const b = new TestClient(port, 'ann', { tls: { knownHosts: kh }, reconnect: true });
      b.start();
      const err = await b.waitForType('error');
      expect(err.code).to.equal('server-identity-changed');
      expect(err.message).to.contain(other.fingerprint).and.contain(TEST_IDENTITY.fingerprint).and.contain('--trust');
      const bye = await b.waitForType('disconnected');
      expect(bye.reason).to.equal('server-identity-changed');
      expect(b.ofType('reconnecting')).to.have.length(0);
      expect(b.rt.state).to.equal('closed');
      expect(received, 'bytes the impostor read').to.equal(0);
      expect(connections).to.equal(1);
      expect(kh.get(`127.0.0.1:${port}`)).to.equal(TEST_IDENTITY.fingerprint); // not overwritten
      await b.close();
      // --trust with the new fingerprint accepts it, and remembers it
      const c = spawnClient('ann', port, ['--trust', other.fingerprint.replace(/:/g, '').toLowerCase(), '--no-reconnect'], { MESSENGER_HOME: home });
      runs.push(c);
      const t = await c.waitFor((e) => e.type === 'trusted', 10000);
      expect(t).to.include({ how: 'trust', fingerprint: other.fingerprint });
      expect(await until(() => received > 0, 10000), 'the hello went out').to.equal(true);
      expect(kh.get(`127.0.0.1:${port}`)).to.equal(other.fingerprint);
    } finally { impostor.close(); }
  });

  it('the line-mode client refuses a changed identity with exit 1 and says how to accept it', async () => {
    const { run: srv, port } = await spawnServer(await udp());
    runs.push(srv);
    const home = dir('home-');
    KnownHosts.in(home).set(`127.0.0.1:${port}`, TEST_IDENTITY.fingerprint); // what it "remembers" is another key
    const a = spawnClient('ann', port, [], { MESSENGER_HOME: home });
    runs.push(a);
    const err = await a.waitFor((e) => e.type === 'error', 10000);
    expect(err.code).to.equal('server-identity-changed');
    expect((await a.waitFor((e) => e.type === 'disconnected', 5000)).reason).to.equal('server-identity-changed');
    await a.waitEnd(5000);
    expect(a.exitCode).to.equal(1);
    expect(srv.items.filter((l) => l.msg === 'joined')).to.have.length(0);
  });

  it('gives a clear start error and exit 1 for a corrupt or unreadable certificate or key', async () => {
    const d = dir('bad-');
    fs.writeFileSync(path.join(d, 'ok.crt'), TEST_IDENTITY.cert);
    fs.writeFileSync(path.join(d, 'ok.key'), TEST_IDENTITY.key);
    fs.writeFileSync(path.join(d, 'bad.crt'), 'not a certificate');
    fs.writeFileSync(path.join(d, 'bad.key'), '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n');
    const cases: Array<[string[], RegExp]> = [
      [['--tls-cert', path.join(d, 'bad.crt'), '--tls-key', path.join(d, 'ok.key')], /bad\.crt is not a PEM certificate/],
      [['--tls-cert', path.join(d, 'ok.crt'), '--tls-key', path.join(d, 'bad.key')], /bad\.key is not a PEM private key/],
      [['--tls-cert', path.join(d, 'none.crt'), '--tls-key', path.join(d, 'ok.key')], /cannot read the certificate .*none\.crt/],
    ];
    // the kept identity, corrupted in the data folder
    const data = path.join(d, 'data');
    fs.mkdirSync(path.join(data, 'tls'), { recursive: true });
    fs.writeFileSync(path.join(data, 'tls', 'cert.pem'), 'garbage');
    fs.writeFileSync(path.join(data, 'tls', 'key.pem'), TEST_IDENTITY.key);
    cases.push([['--data', data], /cert\.pem is not a PEM certificate/]);
    for (const [args, re] of cases) {
      const err = await spawnServer([...args, ...(await udp())], 15000).then(() => null, (e: Error) => e);
      expect(err, args.join(' ')).to.be.instanceOf(Error);
      expect(err!.message).to.match(/exited \(1\)/).and.match(re);
    }
  });

  it('chats with openssl s_client over TLS 1.3, and refuses TLS 1.2', async function () {
    const { run: srv, port } = await spawnServer(await udp());
    runs.push(srv);
    const r = await sClient(port, ['-tls1_3'], ['{"type":"hello","v":1,"name":"ossl"}', '{"type":"say","text":"from openssl"}', '{"type":"who"}', '{"type":"bye"}']);
    const frames = r.out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; text?: string; names?: string[] });
    expect(frames.map((f) => f.type)).to.include.members(['welcome', 'message', 'online', 'bye']);
    expect(frames.find((f) => f.type === 'message')!.text).to.equal('from openssl');
    expect(frames.find((f) => f.type === 'online')!.names).to.deep.equal(['ossl']);
    const old = await sClient(port, ['-tls1_2'], ['{"type":"hello","v":1,"name":"old"}']);
    expect(old.out).to.not.contain('welcome');
    expect(old.err).to.match(/alert protocol version|no protocols available|wrong version|unsupported protocol/i);
    await srv.waitFor((l) => l.msg === 'TLS handshake failed', 5000);
    expect(srv.items.filter((l) => l.msg === 'joined').map((l) => l.name)).to.deep.equal(['ossl']);
  });

  it('--no-tls on both sides: plain NDJSON, as for nc; a plain client to a TLS server and a TLS client to a plain server fail at once with a clear error', async () => {
    const plain = await spawnServer(['--no-tls', ...(await udp())]);
    runs.push(plain.run);
    expect(plain.run.items.find((l) => l.msg === 'listening')).to.include({ tls: 'off' });
    const raw = await RawClient.connect(plain.port, '127.0.0.1', 'nc', false);
    await raw.hello('nc');
    const a = spawnClient('ann', plain.port, ['--no-tls']);
    runs.push(a);
    await a.waitFor((e) => e.type === 'connected', 10000);
    a.type('plain words');
    await raw.waitForType('message', (f) => f.text === 'plain words');
    raw.destroy();
    // a TLS client (the default) against the plain server
    const b = spawnClient('bob', plain.port, []);
    runs.push(b);
    const bErr = await b.waitFor((e) => e.type === 'error', 10000);
    expect(bErr.code).to.equal('tls-handshake-failed');
    expect(String(bErr.message)).to.contain('--no-tls');
    await b.waitEnd(10000);
    expect(b.exitCode).to.equal(1);
    // a plain client against a TLS server is told in plain text
    const tlsSrv = await spawnServer(await udp());
    runs.push(tlsSrv.run);
    const c = spawnClient('cat', tlsSrv.port, ['--no-tls']);
    runs.push(c);
    const cErr = await c.waitFor((e) => e.type === 'error', 10000);
    expect(cErr.code).to.equal('tls-required');
    await c.waitEnd(10000);
    expect(c.exitCode).to.equal(1);
    const nc = await RawClient.connect(tlsSrv.port, '127.0.0.1', 'nc', false);
    nc.send({ type: 'hello', v: 1, name: 'nc' });
    expect((await nc.waitError(5000)).code).to.equal('tls-required');
    await nc.waitEnd(5000);
  });
});
