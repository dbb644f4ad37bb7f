// End to end with a real IRC client written by no one here: Debian's irssi, driven through tmux (send-keys,
// capture-pane), against the real messenger-server bin with --irc-port, beside messenger's own line-mode client.
// irssi registers and is in #messenger, chats both ways, sees a messenger user come and go, and receives a shared
// file with /dcc get, byte-identical. Every wait is bounded; the tmux server (a private socket) and the folders are
// removed on every exit.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, type ChildRun } from '../helpers/proc.js';
import { delay } from '../helpers/recorder.js';
import { Scope } from '../helpers/scope.js';
import { nextUdpPorts } from '../helpers/ports.js';

class Tmux {
  private started = false;

  /** A tmux server of its own, on a socket in `dir` (removed with the test's folders). */
  constructor(private readonly socket: string) {}

  private run(args: string[]): string {
    const env = { ...process.env };
    delete env.TMUX;
    return execFileSync('tmux', ['-S', this.socket, ...args], { encoding: 'utf8', env, timeout: 5000 });
  }

  start(command: string[]): void {
    this.run(['new-session', '-d', '-s', 'irc', '-x', '200', '-y', '50', ...command]);
    this.started = true;
  }

  /** Types a line into the pane (literally), then Enter. */
  type(line: string): void {
    this.run(['send-keys', '-t', 'irc', '-l', line]);
    this.run(['send-keys', '-t', 'irc', 'Enter']);
  }

  /** The whole pane with its scrollback, wrapped lines joined. */
  screen(): string {
    try { return this.run(['capture-pane', '-p', '-J', '-S', '-', '-t', 'irc']); } catch { return ''; }
  }

  /** Waits until the screen matches `re` (at least `count` times). */
  async waitScreen(re: RegExp, ms = 20000, count = 1): Promise<string> {
    const deadline = Date.now() + ms;
    const global = new RegExp(re.source, re.flags.includes('g') ? re.flags : `${re.flags}g`);
    for (;;) {
      const s = this.screen();
      if ((s.match(global)?.length ?? 0) >= count) return s;
      if (Date.now() > deadline) throw new Error(`irssi: ${re} not on the screen within ${ms} ms; the screen:\n${s.split('\n').filter(Boolean).slice(-25).join('\n')}`);
      await delay(100);
    }
  }

  kill(): void {
    if (!this.started) return;
    this.started = false;
    try { this.run(['kill-server']); } catch { /* already gone */ }
  }
}

describe('irssi end to end (tmux): an irssi user and messenger users in one chat', function () {
  this.timeout(180000);
  let scope: Scope;
  let tmux: Tmux;
  beforeEach(() => { scope = new Scope(); tmux = new Tmux(path.join(scope.tempDir('messenger-tmux-'), 'sock')); });
  afterEach(async () => { tmux.kill(); await scope.dispose(); });

  it('registers, is in #messenger, chats both ways, sees joins and quits, and gets a file with /dcc get', async () => {
    try { execFileSync('irssi', ['--version'], { timeout: 5000 }); } catch {
      throw new Error('irssi is not installed (apt-get install -y irssi tmux; .ci/run installs them)');
    }
    const files = scope.tempDir('messenger-irssi-files-');
    const home = scope.tempDir('messenger-irssi-home-');
    const downloads = scope.tempDir('messenger-irssi-dl-');
    const content = crypto.randomBytes(3 * 1024 * 1024 + 17);
    fs.writeFileSync(path.join(files, 'photo.jpg'), content);
    fs.writeFileSync(path.join(home, 'config'), [
      'settings = {',
      '  core = { real_name = "Irssi Tester"; user_name = "ircy"; nick = "ircy"; };',
      '  "fe-common/core" = { autocreate_windows = "no"; use_status_window = "no"; autocreate_query_level = "NONE"; };',
      `  "irc/dcc" = { dcc_download_path = "${downloads}"; dcc_autoget = "no"; };`,
      '};',
      '',
    ].join('\n'));

    const ports = await nextUdpPorts(2);
    const { run: server, port } = await scope.spawnServer(['--no-tls', '--port', '0', '--irc-port', '0', '--files', files, '--udp-ports', `${ports[0]}-${ports[1]}`]);
    const ircPort = Number((await server.waitFor((l) => l.msg === 'IRC listening', 20000)).ircPort);
    expect(ircPort).to.be.greaterThan(0);

    const bob: ChildRun = scope.spawnClient('bob', port, ['--no-tls']);
    await bob.waitFor((e) => e.type === 'connected', 15000);

    // irssi connects, registers and is joined to #messenger, where it finds bob
    tmux.start(['irssi', `--home=${home}`, '-n', 'ircy', '-c', '127.0.0.1', '-p', String(ircPort)]);
    await tmux.waitScreen(/ircy \[ircy@messenger\] has joined #messenger/, 20000);
    await tmux.waitScreen(/#messenger: Total of 2 nicks/, 20000);
    await bob.waitFor((e) => e.type === 'joined' && e.name === 'ircy', 20000);

    // chat both ways in the channel
    tmux.type('hello from irssi');
    const heard = await bob.waitFor((e) => e.type === 'message' && e.text === 'hello from irssi', 20000);
    expect(heard.from).to.equal('ircy');
    expect(heard.to).to.equal(undefined);
    bob.type('hi ircy, welcome');
    await tmux.waitScreen(/< ?bob> hi ircy, welcome/, 20000);

    // private both ways
    bob.type('/msg ircy just between us');
    await tmux.waitScreen(/bob.*just between us/, 20000);
    tmux.type('/msg bob agreed');
    expect(await bob.waitFor((e) => e.type === 'message' && e.text === 'agreed', 20000)).to.include({ from: 'ircy', to: 'bob' });

    // a messenger user comes and goes: irssi sees the join and the quit
    const carol = scope.spawnClient('carol', port, ['--no-tls']);
    await carol.waitFor((e) => e.type === 'connected', 15000);
    await tmux.waitScreen(/carol \[carol@messenger\] has joined #messenger/, 20000);
    carol.type('/quit');
    await tmux.waitScreen(/carol \[carol@messenger\] has quit \[Quit\]/, 20000);

    // a file: the service offers it over DCC SEND, /dcc get takes it
    tmux.type('/msg files get photo.jpg');
    await tmux.waitScreen(/DCC SEND from files .*photo\.jpg/, 20000);
    tmux.type('/dcc get files');
    await tmux.waitScreen(/DCC received file photo\.jpg/, 30000);
    const got = fs.readFileSync(path.join(downloads, 'photo.jpg'));
    expect(got.length).to.equal(content.length);
    expect(got.equals(content)).to.equal(true);
    await tmux.waitScreen(/photo\.jpg: sent, \d+ bytes/, 20000);

    // irssi quits: messenger's users are told
    tmux.type('/quit see you');
    expect(await bob.waitFor((e) => e.type === 'left' && e.name === 'ircy', 20000)).to.include({ reason: 'quit' });
  });

  it('over TLS pinned to the server\'s fingerprint, logs in to a registered nickname with SASL PLAIN and talks as it', async () => {
    const data = scope.tempDir('messenger-irssi-data-');
    const home = scope.tempDir('messenger-irssi-home-');
    const password = 'correct horse battery';
    execFileSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bin/messenger-server.ts'), 'account', 'add', 'dora', '--data', data],
      { cwd: ROOT, env: { ...process.env, MESSENGER_PASSWORD: password }, timeout: 30000 });
    const ports = await nextUdpPorts(2);
    const { run: server, port } = await scope.spawnServer(['--data', data, '--port', '0', '--irc-port', '0', '--udp-ports', `${ports[0]}-${ports[1]}`]);
    const fingerprint = String(server.find((l) => typeof l.fingerprint === 'string')?.fingerprint ?? '');
    expect(fingerprint).to.match(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    const ircPort = Number((await server.waitFor((l) => l.msg === 'IRC listening', 20000)).ircPort);
    fs.writeFileSync(path.join(home, 'config'), [
      'servers = (',
      `  { address = "127.0.0.1"; chatnet = "mnet"; port = "${ircPort}"; use_tls = "yes"; tls_verify = "no"; tls_pinned_cert = "${fingerprint}"; }`,
      ');',
      `chatnets = { mnet = { type = "IRC"; sasl_mechanism = "PLAIN"; sasl_username = "dora"; sasl_password = "${password}"; }; };`,
      'settings = {',
      '  core = { real_name = "Dora"; user_name = "dora"; nick = "guest"; };',
      '  "fe-common/core" = { autocreate_windows = "no"; use_status_window = "no"; };',
      '};',
      '',
    ].join('\n'));

    const bob: ChildRun = scope.spawnClient('bob', port);
    await bob.waitFor((e) => e.type === 'connected', 15000);
    tmux.start(['irssi', `--home=${home}`]);
    await delay(500);
    tmux.type('/connect mnet');
    await tmux.waitScreen(/Protocol: TLSv1\.3/, 20000);
    await tmux.waitScreen(/You are now logged in as dora/, 20000);
    await tmux.waitScreen(/dora \[dora@messenger\] has joined #messenger/, 20000);
    await bob.waitFor((e) => e.type === 'joined' && e.name === 'dora', 20000);
    tmux.type('signed in with SASL');
    expect(await bob.waitFor((e) => e.type === 'message' && e.text === 'signed in with SASL', 20000)).to.include({ from: 'dora' });
    tmux.type('/whois dora');
    await tmux.waitScreen(/is logged in as|authenticated as|account\s*:\s*dora/i, 20000);
  });
});
