// `messenger-server account add | remove | list` as a real process, on the data folder of a real running
// `messenger-server` process: the running server sees an added or removed account at the next login.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { ROOT, spawnClient, spawnServer, type ChildRun } from '../helpers/proc.js';
import { nextUdpPorts } from '../helpers/ports.js';
import { RawClient, type Frame } from '../helpers/raw.js';
import { makeTempDir, removeDir } from '../helpers/tmp.js';
import { deletePrefix, SHARED_NATS, uniquePrefix } from '../helpers/nats-broker.js';
import { JetStreamStore } from '../../runtime/store/jetstream/jetstream-store.js';

const SERVER_BIN = path.join(ROOT, 'bin/messenger-server.ts');

/** Runs `messenger-server account ARGS` to its end: exit code and output. */
function account(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const env0: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...env };
    if (!('MESSENGER_PASSWORD' in env)) delete env0.MESSENGER_PASSWORD;
    const child = spawn(process.execPath, ['--import', 'tsx', SERVER_BIN, 'account', ...args], { cwd: ROOT, env: env0 });
    let out = '', err = '';
    child.stdout.on('data', (d: Buffer) => { out += d; });
    child.stderr.on('data', (d: Buffer) => { err += d; });
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

async function hello(port: number, name: string, password?: string): Promise<Frame> {
  const r = await RawClient.connect(port);
  try {
    r.send(password === undefined ? { type: 'hello', v: 1, name } : { type: 'hello', v: 1, name, password });
    return await r.waitFor((f) => f.type === 'welcome' || f.type === 'error', 5000);
  } finally { r.destroy(); }
}

describe('messenger-server account: the admin command, with the server running', function () {
  this.timeout(60000);
  let data: string;
  let server: ChildRun | null = null;
  beforeEach(() => { data = makeTempDir('messenger-admin-'); });
  afterEach(async () => { await server?.dispose(); server = null; removeDir(data); });

  it('adds, lists and removes accounts while the server runs; logins follow at once', async () => {
    const started = await spawnServer(['--data', data, '--port', '0', '--udp-ports', (await nextUdpPorts(2)).join('-'), '--allow-insecure-auth']);
    server = started.run;
    const { port } = started;
    expect((await hello(port, 'dave')).type).to.equal('welcome');

    const pwFile = path.join(data, 'pw.txt');
    fs.writeFileSync(pwFile, 'dave secret\n');
    const added = await account(['add', 'dave', '--data', data, '--password-file', pwFile]);
    expect([added.code, added.out.trim()]).to.deep.equal([0, 'added the account "dave"']);
    const viaEnv = await account(['add', 'erin', '--data', data], { MESSENGER_PASSWORD: 'erin secret' });
    expect(viaEnv.code).to.equal(0);

    expect((await hello(port, 'dave')).code).to.equal('name-registered');
    expect((await hello(port, 'dave', 'wrong')).code).to.equal('auth-failed');
    expect((await hello(port, 'dave', 'dave secret')).type).to.equal('welcome');
    expect((await hello(port, 'erin', 'erin secret')).type).to.equal('welcome');

    const list = await account(['list', '--data', data]);
    expect(list.code).to.equal(0);
    expect(list.out.trim().split('\n').map((l) => l.split('\t')[0])).to.deep.equal(['dave', 'erin']);
    expect(list.out).to.not.contain('secret');

    expect((await account(['add', 'dave', '--data', data], { MESSENGER_PASSWORD: 'x' })).code).to.equal(1);
    const removed = await account(['remove', 'dave', '--data', data]);
    expect([removed.code, removed.out.trim()]).to.deep.equal([0, 'removed the account "dave"']);
    expect((await hello(port, 'dave')).type).to.equal('welcome');
    expect((await account(['remove', 'dave', '--data', data])).code).to.equal(1);
  });

  it('with --cluster: adds, lists and removes accounts in the clustered store that every node reads', async () => {
    const prefix = uniquePrefix('adm');
    const node = await JetStreamStore.open({ servers: [SHARED_NATS], prefix, retention: { maxCount: 10 } });
    try {
      const on = ['--cluster', SHARED_NATS, '--cluster-prefix', prefix];
      expect((await account(['add', 'Kim', ...on], { MESSENGER_PASSWORD: 'kim pw' })).code).to.equal(0);
      expect((await account(['add', 'kim', ...on], { MESSENGER_PASSWORD: 'x' })).out).to.contain('has an account already');
      const deadline = Date.now() + 5000;
      while (!node.accounts.get('kim') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(node.accounts.get('kim')?.name, 'a running node sees it').to.equal('Kim');
      const list = await account(['list', ...on]);
      expect(list.out.trim().split('\t')[0]).to.equal('Kim');
      expect((await account(['remove', 'KIM', ...on])).code).to.equal(0);
      expect((await account(['list', '--data', data, '--cluster', SHARED_NATS])).code, '--data and --cluster together').to.equal(2);
      const dead = await account(['list', '--cluster', 'nats://127.0.0.1:1']);
      expect(dead.code).to.equal(1);
      expect(dead.out).to.match(/^messenger-server: cannot reach the message broker at nats:\/\/127\.0\.0\.1:1 \(/);
    } finally {
      await node.close();
      await deletePrefix(SHARED_NATS, prefix);
    }
  });

  it('refuses to add without a password, and a bad name, with a clear message', async () => {
    const none = await account(['add', 'frank', '--data', data]);
    expect(none.code).to.equal(2);
    expect(none.err).to.contain('MESSENGER_PASSWORD');
    const bad = await account(['add', 'no spaces', '--data', data], { MESSENGER_PASSWORD: 'x' });
    expect(bad.code).to.equal(2);
    const verb = await account(['rename', 'x', '--data', data]);
    expect(verb.code).to.equal(2);
  });

  it('a client logs in with --password-file; messages kept while it was offline arrive in its history event', async () => {
    const started = await spawnServer(['--data', data, '--port', '0', '--udp-ports', (await nextUdpPorts(2)).join('-'), '--allow-insecure-auth']);
    server = started.run;
    expect((await account(['add', 'gina', '--data', data], { MESSENGER_PASSWORD: 'gina pw' })).code).to.equal(0);
    const r = await RawClient.connect(started.port);
    await r.hello('hal');
    r.send({ type: 'tell', to: 'gina', text: 'see you' });
    await r.waitForType('message', (f) => f.to === 'gina');
    r.destroy();
    const pwFile = path.join(data, 'gina.pw');
    fs.writeFileSync(pwFile, 'gina pw\n');
    const gina = spawnClient('gina', started.port, ['--password-file', pwFile]);
    try {
      const h = await gina.waitFor((e) => e.type === 'history', 10000);
      expect(h.messages).to.deep.equal([{ from: 'hal', to: 'gina', text: 'see you', ts: (h.messages as Array<{ ts: number }>)[0]!.ts }]);
      gina.endInput();
      await gina.waitEnd(10000);
    } finally { await gina.dispose(); }
  });
});
