// The full-screen client end to end: a real server in-process, the client in a real pseudo-terminal, the screen
// read back through a headless xterm. Assertions read the screen, not internal state.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { KEY, peer, relay, startServer, Tui } from './harness.js';

type Server = Awaited<ReturnType<typeof startServer>>;
type Peer = Awaited<ReturnType<typeof peer>>;

describe('full-screen client (pty)', function () {
  this.timeout(60000);
  let srv: Server;
  let tui: Tui | null = null;
  const peers: Peer[] = [];

  before(async () => {
    srv = await startServer({ 'notes.txt': 'hello\n', 'photo.jpg': Buffer.alloc(150_000, 1) });
  });
  afterEach(async () => {
    await tui?.stop();
    tui = null;
    for (const p of peers.splice(0)) await p.stop();
  });
  after(async () => { await srv.stop(); });

  const open = (name: string | null, cols = 100, rows = 30, port = srv.server.port) => {
    const args = ['--port', String(port)];
    if (port === srv.server.port) args.push('--no-reconnect');
    if (name) args.push('--name', name);
    tui = new Tui(args, cols, rows);
    return tui;
  };

  it('connects and shows the panes, the join of a second client, chat to all and private both ways', async () => {
    const t = open('alice');
    await t.waitFor(/connected to .* as alice/);
    await t.waitFor('Files (2)');
    expect(t.text()).to.include('notes.txt').and.include('photo.jpg').and.include('146 KiB');
    expect(t.text()).to.match(/nick: alice \| online/);

    const bob = await peer(srv.server.port, 'bob');
    peers.push(bob);
    await t.waitFor('bob joined');
    await t.waitFor('Online (2)');

    t.type(`hello everyone${KEY.enter}`);
    await t.waitFor('alice: hello everyone');
    await bob.waitEvent((e) => e.type === 'message' && e.text === 'hello everyone' && e.to === undefined);

    t.type(`/msg bob just for you${KEY.enter}`);
    await t.waitFor('[private] you -> bob: just for you');
    await bob.waitEvent((e) => e.type === 'message' && e.text === 'just for you' && e.to === 'bob');

    bob.client.command('/msg alice a secret back');
    await t.waitFor('[private] bob -> you: a secret back');
    bob.client.command('and one for all');
    await t.waitFor('bob: and one for all');

    await bob.stop();
    peers.length = 0;
    await t.waitFor('bob left');
    await t.waitFor('Online (1)');
  });

  it('shows who is online and the files on request, by keyboard and by mouse', async () => {
    const t = open('carol');
    await t.waitFor('Files (2)');
    const dave = await peer(srv.server.port, 'dave');
    peers.push(dave);
    await t.waitFor('dave joined');

    t.type(KEY.f2);
    await t.waitFor(/online \(2\): carol, dave|online \(2\): dave, carol/);
    await t.key(KEY.esc);
    t.type(`/files${KEY.enter}`);
    await t.waitFor(/files \(2\): notes\.txt \(6 B\), photo\.jpg \(146 KiB\)/);

    // mouse: click "Online" in the button row, then pick dave in the Online list and send privately
    const button = t.find('F2 Online')!;
    await t.click(button.x + 1, button.y);
    await t.waitFor((s) => (s.match(/online \(2\)/g) ?? []).length >= 2);
    const daveRow = t.find('dave', t.cols - 28)!; // in the Online panel
    await t.click(daveRow.x, daveRow.y); // select
    await t.click(daveRow.x, daveRow.y); // click the selected name: it becomes the recipient
    await t.waitFor('Private to dave');
    const inputBox = t.find('Private to dave')!;
    await t.click(inputBox.x, inputBox.y + 1); // click into the input line, then type
    t.type('psst');
    await t.waitFor(() => t.lines()[t.rows - 4]!.includes('psst'));
    const priv = t.find('F5 Private')!;
    await t.click(priv.x + 1, priv.y);
    await t.waitFor('[private] you -> dave: psst');
    await dave.waitEvent((e) => e.type === 'message' && e.text === 'psst' && e.to === 'dave');
    // Esc: back to everyone; the Send all button sends what is typed
    await t.key(KEY.esc);
    t.type('to the room');
    await t.waitFor(() => t.lines()[t.rows - 4]!.includes('to the room'));
    await t.waitFor('Message to all');
    const all = t.find('F4 Send all')!;
    await t.click(all.x + 1, all.y);
    await t.waitFor('carol: to the room');
  });

  it('shows remote text literally: tags escaped, escape sequences stripped, emoji narrowed', async () => {
    const own = await startServer({}); // a history of its own, short enough to stay in view
    try {
      const early = await peer(own.server.port, 'trent');
      peers.push(early);
      early.client.command('hist {bold}H{/bold} {blue-fg}C{/blue-fg}');
      await early.waitEvent((e) => e.type === 'message' && e.text.startsWith('hist'));
      const t = open('erin', 120, 30, own.server.port);
      await t.waitFor('(history) trent: hist {bold}H{/bold} {blue-fg}C{/blue-fg}');
      const eve = await peer(own.server.port, 'mallory');
      peers.push(eve);
      await t.waitFor('mallory joined');
      eve.client.command('/all {red-fg}red?{/red-fg} \x1b[2J\x1b]0;pwned\x07clear? \u{1F600} \u4E2D\u6587 end');
      await t.waitFor('mallory: {red-fg}red?{/red-fg} clear? :D 中文 end');
      expect(t.text()).to.include('erin'); // the screen was not cleared by the remote escape sequence
      // markup stays literal after more lines arrive (a blessed Log re-parsed every earlier line on each new one)
      eve.client.command('pub {underline}U{/underline} {red-fg}R{/red-fg}');
      eve.client.command('/msg erin priv {bold}B{/bold} {red-fg}R{/red-fg}');
      await t.waitFor('[private] mallory -> you: priv {bold}B{/bold} {red-fg}R{/red-fg}');
      for (let i = 1; i <= 4; i++) eve.client.command(`more ${i}`);
      await t.waitFor('mallory: more 4');
      t.type(`and mine${KEY.enter}`);
      await t.waitFor('erin: and mine');
      const literal = [
        'trent: hist {bold}H{/bold} {blue-fg}C{/blue-fg}', 'mallory: {red-fg}red?{/red-fg} clear?',
        'mallory: pub {underline}U{/underline} {red-fg}R{/red-fg}', 'you: priv {bold}B{/bold} {red-fg}R{/red-fg}',
      ];
      for (const l of literal) expect(t.text()).to.include(l);
      for (const l of ['pub {underline}U{/underline} {red-fg}R{/red-fg}', 'priv {bold}B{/bold} {red-fg}R{/red-fg}']) {
        expect(t.plainAt(l), `${l} drawn plainly`).to.equal(true);
      }
      // the replayed line is dimmed as a whole (one colour, no bold or underline): its markup is not applied either
      const hist = 'hist {bold}H{/bold} {blue-fg}C{/blue-fg}';
      const at = t.find(hist)!;
      const cells = Array.from(hist, (_, i) => t.cell(at.x + i, at.y));
      expect(cells.some((c) => c.bold || c.underline || c.defaultFg), `${hist} drawn dimmed and plainly`).to.equal(false);
    } finally {
      await tui?.stop();
      tui = null;
      for (const p of peers.splice(0)) await p.stop();
      await own.stop();
    }
  });

  it('F5 lets the user pick who to write to (keyboard or one click), then writes privately; Esc back to all', async () => {
    const t = open('quinn');
    await t.waitFor('Files (2)');
    const abby = await peer(srv.server.port, 'abby');
    const zack = await peer(srv.server.port, 'zack');
    peers.push(abby, zack);
    await t.waitFor('Online (3)'); // abby, quinn (you), zack
    await t.key(KEY.f5);
    await t.waitFor('Pick a name: Enter');
    expect(t.text()).to.include('Message to all').and.not.include('Private to'); // nobody chosen for the user
    await t.key(KEY.down); // abby -> quinn (you)
    await t.key(KEY.down); // -> zack
    await t.key(KEY.enter);
    await t.waitFor('Private to zack');
    await t.waitFor('Online (3)');
    t.type(`hi z${KEY.enter}`);
    await t.waitFor('[private] you -> zack: hi z');
    await zack.waitEvent((e) => e.type === 'message' && e.text === 'hi z' && e.to === 'zack');
    await t.key(KEY.esc);
    await t.waitFor('Message to all');
    // with the mouse: F5, then one click on a name picks it
    await t.key(KEY.f5);
    await t.waitFor('Pick a name: Enter');
    const row = t.find('abby', t.cols - 28)!;
    await t.click(row.x, row.y);
    await t.waitFor('Private to abby');
    // with a name picked, F5 sends what is typed
    t.type('hey a');
    await t.waitFor(() => t.lines()[t.rows - 4]!.includes('hey a'));
    await t.key(KEY.f5);
    await t.waitFor('[private] you -> abby: hey a');
    await abby.waitEvent((e) => e.type === 'message' && e.text === 'hey a' && e.to === 'abby');
    expect(zack.events.some((e) => e.type === 'message' && e.text === 'hey a')).to.equal(false);
  });

  it('/help shows one line per command and key, wrapped by the pane', async () => {
    const t = open('uma', 120, 50);
    await t.waitFor('Files (2)');
    t.type(`/help${KEY.enter}`);
    await t.waitFor('F10 or Ctrl-C log out');
    const rows = t.lines().filter((l) => l.startsWith('│')).map((l) => l.slice(1));
    const starts = (s: string) => rows.some((r) => r.startsWith(s));
    for (const s of ['Commands:', '  /msg NAME TEXT        send TEXT to NAME only', 'Keys:', '  Up/Down recall earlier lines;',
      '  Tab completes a partial nickname', '  F5 write privately:', '  F8 / F9 answer yes / no', '  F10 or Ctrl-C log out.']) {
      expect(starts(s), s).to.equal(true);
    }
  });

  it('asks for a nickname when --name is missing, and again after a refusal', async () => {
    const frank = await peer(srv.server.port, 'frank');
    peers.push(frank);
    const t = open(null);
    await t.waitFor('Choose a nickname');
    t.type(`frank${KEY.enter}`);
    await t.waitFor(/taken/i);
    await t.waitFor('Choose a nickname');
    await t.waitFor(/│frank\s/); // the refused name is offered, selected
    t.type(`bad name!${KEY.enter}`); // typing replaces it
    await t.waitFor(/a nickname holds letters/);
    expect(t.text()).to.not.include('frankbad');
    // a two-line reason: the box grows, the hint stays whole
    await t.waitFor((s) => {
      const rows = s.split('\n');
      const at = (text: string) => rows.findIndex((r) => r.includes(text));
      const reason = at('and starts with a letter or digit');
      const hint = at('Esc leaves.');
      return reason > 0 && at('Choose a nickname') > reason && hint >= at('Choose a nickname') && at('Your nickname') > hint;
    });
    await t.waitFor(/│bad name!\s/);
    t.type(`grace${KEY.enter}`);
    await t.waitFor(/connected to .* as grace/);
    await t.waitFor('nick: grace');
    expect(t.text()).to.not.include('bad name!grace');
  });

  it('redraws cleanly when the terminal is resized, and wraps long lines', async () => {
    const t = open('heidi', 100, 30);
    await t.waitFor('Files (2)');
    const long = 'word '.repeat(40).trim();
    t.type(`${long}${KEY.enter}`);
    await t.waitFor('heidi: word word');
    t.resize(80, 24);
    await t.waitFor((s) => {
      const lines = s.split('\n');
      return lines.length === 24 && lines[0]!.startsWith('┌─ Messages') && lines[0]!.endsWith('┐') && lines[0]!.length === 80
        && /F10 Log out/.test(lines[22]!) && /nick: heidi/.test(lines[23]!);
    });
    t.resize(120, 40);
    await t.waitFor((s) => {
      const lines = s.split('\n');
      return lines.length === 40 && lines[0]!.length === 120 && /nick: heidi/.test(lines[39]!);
    });
    // the long message wraps inside the message pane: several rows of "word"
    const rows = t.lines().filter((l) => /^│.*word word/.test(l));
    expect(rows.length).to.be.greaterThan(1);
    for (const l of t.lines()) expect(l.length).to.be.at.most(120);
  });

  it('keeps the newest line in view after a resize, and degrades sanely in small terminals', async () => {
    const t = open('rita', 100, 30);
    await t.waitFor('Files (2)');
    const sam = await peer(srv.server.port, 'sam');
    peers.push(sam);
    await t.waitFor('sam joined');
    for (let i = 1; i <= 40; i++) sam.client.command(`line ${i}`);
    await t.waitFor('sam: line 40');
    const framed = (s: string, cols: number, rows: number) => {
      const lines = s.split('\n');
      return lines.length === rows && lines[0]!.startsWith('┌─ Messages') && lines[0]!.endsWith('┐') && lines[0]!.length === cols
        && /F2 Online/.test(lines[rows - 2]!) && /nick: rita/.test(lines[rows - 1]!);
    };
    t.resize(70, 20);
    await t.waitFor((s) => framed(s, 70, 20) && s.includes('sam: line 40') && s.includes('Online (2)') && s.includes('Transfers'));
    t.resize(40, 12);
    await t.waitFor((s) => framed(s, 40, 12) && s.includes('sam: line 40') && s.includes('Message to all'));
    let lines = t.lines();
    expect(t.text()).to.not.match(/─ Online|─ Files|─ Transfers/); // side panels and transfers hidden
    // the message pane is whole: its bottom border right above the input line's top border, nothing stray
    const bottom = lines.findIndex((l) => l.startsWith('└'));
    expect(lines[bottom]).to.match(/^└─+┘$/);
    expect(lines[bottom + 1]).to.match(/^┌─ Message to all ─+┐$/);
    for (const l of lines.slice(1, bottom)) expect(l).to.match(/^│.*│$/);
    // typing and sending still work
    t.type(`small${KEY.enter}`);
    await t.waitFor('rita: small');
    t.resize(100, 30);
    await t.waitFor((s) => framed(s, 100, 30) && s.includes('rita: small') && s.includes('Online (2)') && s.includes('Transfers'));
    lines = t.lines();
    for (const l of lines) expect(l.length).to.be.at.most(100);
  });

  it('Ctrl-C leaves cleanly: exit status 0 and the terminal restored', async () => {
    const t = open('ivan');
    await t.waitFor('Files (2)');
    expect(t.alternate).to.equal(true);
    t.type(KEY.ctrlC);
    const code = await Promise.race([t.exited, new Promise((r) => setTimeout(() => r('timeout'), 8000))]);
    expect(code).to.equal(0);
    await new Promise<void>((r) => t.term.write('', r));
    expect(t.alternate).to.equal(false);
    expect(t.term.modes.mouseTrackingMode).to.equal('none');
    expect(t.raw.lastIndexOf('\x1b[?25h')).to.be.greaterThan(t.raw.lastIndexOf('\x1b[?25l')); // cursor shown again
  });

  it('/quit and the Log out button leave too', async () => {
    const t = open('judy');
    await t.waitFor('Files (2)');
    t.type(`/quit${KEY.enter}`);
    expect(await Promise.race([t.exited, new Promise((r) => setTimeout(() => r('timeout'), 8000))])).to.equal(0);
    await t.stop();
    const u = open('kate');
    await u.waitFor('Files (2)');
    const out = u.find('F10 Log out')!;
    await u.click(out.x + 2, out.y);
    expect(await Promise.race([u.exited, new Promise((r) => setTimeout(() => r('timeout'), 8000))])).to.equal(0);
  });

  it('Tab completes a partial word and otherwise moves the focus; Up recalls; PgUp/PgDn scroll back', async () => {
    const t = open('olga');
    await t.waitFor('Files (2)');
    const oscar = await peer(srv.server.port, 'oscar');
    peers.push(oscar);
    await t.waitFor('oscar joined');
    const inputRow = () => t.lines()[t.rows - 4]!;
    t.type('hi os');
    await t.key(KEY.tab);
    await t.waitFor(() => inputRow().includes('hi oscar '));
    await t.key(KEY.enter);
    await t.waitFor('olga: hi oscar');
    await t.key(KEY.up);
    await t.waitFor(() => inputRow().includes('hi oscar'));
    await t.key('\x15'); // Ctrl-U
    await t.key(KEY.tab); // nothing to complete: the focus moves on, keys no longer reach the input line
    t.type('x');
    await t.key(KEY.shiftTab);
    t.type('y');
    await t.waitFor(() => /│y\s/.test(inputRow()));
    await t.key('\x15');

    for (let i = 1; i <= 40; i++) oscar.client.command(`line ${i}`);
    await t.waitFor('oscar: line 40');
    expect(t.text()).to.not.include('oscar: line 3\n');
    await t.key(KEY.pageUp);
    await t.key(KEY.pageUp);
    await t.waitFor(/oscar: line 1\b/);
    expect(t.text()).to.not.include('oscar: line 40');
    await t.key(KEY.pageDown);
    await t.key(KEY.pageDown);
    await t.waitFor('oscar: line 40');
  });

  it('shows a lost connection and the reconnection', async () => {
    const own = await startServer({}); // a server of its own: no history to scroll the notices away
    const link = await relay(own.server.port);
    try {
      const t = open('pat', 100, 30, link.port); // reconnect on: the runtime comes back by itself
      await t.waitFor(/connected to .* as pat/);
      link.cut();
      await t.waitFor('* connection lost ('); // the line goes on "; reconnecting in 0.3s", wrapped where it fits
      await t.waitFor((s) => (s.match(/connected to .* as pat/g) ?? []).length === 2, 20000);
      await t.waitFor('nick: pat | online');
    } finally {
      await tui?.stop();
      tui = null;
      await link.stop();
      await own.stop();
    }
  });

  it('given two servers (--host A,B), moves to the other when its own goes away, and shows which', async () => {
    const a = await startServer({}), b = await startServer({});
    const A = `127.0.0.1:${a.server.port}`, B = `127.0.0.1:${b.server.port}`;
    try {
      const t = new Tui(['--host', `${A},${B}`, '--name', 'quinn'], 100, 30);
      tui = t;
      await t.waitFor(`${A} | nick: quinn | online`);
      await a.stop(); // its shutdown bye: with another server to go to, the client goes there
      await t.waitFor(`${B} | nick: quinn | reconnecting`);
      await t.waitFor(`${B} | nick: quinn | online`, 20000);
      await t.waitFor(new RegExp(`connected to ${B.replace(/\./g, '\\.')} as quinn`));
    } finally {
      await tui?.stop();
      tui = null;
      await a.stop().catch(() => undefined);
      await b.stop();
    }
  });

  it('downloads a file through the halfway dialog while chat goes on',
    async () => {
      const big = await startServer({ 'a.bin': Buffer.alloc(4_000_000, 0x41), 'b.bin': Buffer.alloc(4_000_000, 0x42) });
      try {
        const args = ['--port', String(big.server.port), '--no-reconnect', '--name', 'lena'];
        const t = new Tui(args, 100, 30);
        tui = t;
        await t.waitFor('Files (2)');
        const bob = await peer(big.server.port, 'mike');
        peers.push(bob);
        // pick the files with the keyboard: F6 focuses Files, Enter downloads the selected one
        await t.key(KEY.f6);
        await t.key(KEY.enter);
        await t.key(KEY.f6);
        await t.key(KEY.down);
        await t.key(KEY.enter);
        await t.waitFor('Continue download?', 30000);
        // two questions for two downloads: one dialog, the other waits its turn
        await t.waitFor('1 more question(s) waiting', 30000);
        await t.waitFor((s) => (s.match(/paused: waiting for your answer/g) ?? []).length === 2);
        // the dialog blocks nothing: chat goes on while it is open
        bob.client.command('still here');
        await t.waitFor('mike: still here');
        t.type(`typing works${KEY.enter}`);
        await t.waitFor('lena: typing works');
        // answer the first with the keyboard (yes), the second with the mouse (no)
        const first = /Download #(\d+) (\w)\.bin is paused/.exec(t.text())!;
        await t.key(KEY.f8);
        await t.waitFor((s) => !s.includes('more question(s) waiting') && s.includes('Continue download?'));
        const no = t.find('No (F9)')!;
        await t.click(no.x + 1, no.y); // one click, taken at once even while the screen is busy with two downloads
        await t.waitFor((s) => !s.includes('Continue download?'), 4000);
        const kept = first[2] === 'a' ? 'b' : 'a';
        await t.waitFor(/done, last byte 6[56]/, 30000);
        await t.waitFor(/downloaded 100% out of file\. Last byte is: 6[56]/);
        await t.waitFor(/stopped .*partial kept/, 30000);
        expect(t.text()).to.not.include('Continue download?');
        expect(fs.statSync(path.join(t.downloads, `${first[2]}.bin`)).size).to.equal(4_000_000);
        await t.waitFor(new RegExp(`download #\\d+ ${kept}\\.bin stopped at`)); // the declined one, its partial copy kept
        // every transfer row ends with its whole state inside the border, whatever the ids' width (in a full test
        // run the server's ids have four digits); so too in a narrower window
        const rowsEndWithState = (s: string) => {
          const rows = s.split('\n').filter((l) => /^│#\d+ /.test(l));
          return rows.length === 2 && rows.every((l) => /(done, last byte 6[56]|partial kept) *│$/.test(l));
        };
        await t.waitFor(rowsEndWithState);
        t.resize(70, 30);
        await t.waitFor((s) => s.split('\n')[0]!.length === 70 && rowsEndWithState(s));
      } finally {
        await tui?.stop();
        tui = null;
        await big.stop();
      }
    },
  );
});
