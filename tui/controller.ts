// The view over a ClientRuntime: draws its events into the panes and turns keys, clicks and typed lines into
// runtime commands. No protocol logic: the runtime carries out every command (client.run), and what is drawn is what
// its events and run()'s outcome say.
import type { Widgets } from 'neo-blessed';
import type { ClientEvent } from '../machines/client-events.js';
import { parseCommand, HELP_TEXT, type Command } from '../machines/commands.js';
import { NAME_REFUSAL_CODES } from '../machines/errors.js';
import type { ChatLine, FileEntry } from '../machines/frames.js';
import type { ClientRuntime, Reply } from '../runtime/client-runtime.js';
import { finishedText } from '../runtime/finished-text.js';
import { colorNick } from './colors.js';
import { complete, partialWord } from './completion.js';
import { formatBytes } from './format.js';
import { buildLayout, type Ui } from './layout.js';
import { askName } from './name-prompt.js';
import { askPassword } from './password-prompt.js';
import { safe } from './sanitize.js';

// One line per key: the message pane wraps a line that does not fit.
export const KEYS_HELP = [
  'Keys:',
  '  Enter sends (to all, or to the person picked with F5); Esc goes back to "to all".',
  '  Up/Down recall earlier lines; PgUp/PgDn scroll the messages (PgUp at the top: older history).',
  '  Tab completes a partial nickname, file name or command, otherwise moves the focus (Shift-Tab back).',
  '  F1 this help; F2 who is online; F3 files; F4 send to all.',
  '  F5 write privately: pick a name in Online (Enter or click), then type; with a name picked, F5 sends what is typed.',
  '  F6 download: pick a file in Files (Enter or click).',
  '  F8 / F9 answer yes / no to the halfway question.',
  '  F10 or Ctrl-C log out. Everything also works with the mouse.',
].join('\n');

type Client = Pick<ClientRuntime, 'on' | 'run' | 'rename' | 'quit' | 'name' | 'isOnline'>;

/** Joins or leaves arriving together: up to this many are shown one by one; more as one line naming the first few. */
const BURST_SHOWN = 3;
const BURST_NAMES = 8;

export class Controller {
  readonly ui: Ui;
  private client: Client | null = null;
  private recipient: string | null = null;
  private everConnected = false;
  /** A page of older history is on its way; the server has none older. */
  private olderAsked = false;
  private historyStart = false;
  private leaving = false;
  private drawTimer: NodeJS.Timeout | null = null;
  /** Called on a second Ctrl-C while leaving, or a leave before any client exists. */
  onForceExit: () => void = () => {};

  constructor(readonly screen: Widgets.Screen, server: string) {
    this.ui = buildLayout(screen, {
      submit: (line) => this.submit(line),
      escape: () => this.setRecipient(null),
      pickName: (n) => this.pickName(n),
      pickFile: (f) => this.download(f),
      answer: (id, yes) => this.answer(id, yes),
      actions: [
        { key: 'F2', label: 'Online', run: () => this.showOnline() },
        { key: 'F3', label: 'Files', run: () => this.showFiles() },
        { key: 'F4', label: 'Send all', run: () => this.sendAll() },
        { key: 'F5', label: 'Private', run: () => this.sendPrivate() },
        { key: 'F6', label: 'Download', run: () => this.downloadSelected() },
        { key: 'F10', label: 'Log out', run: () => this.leave() },
      ],
    });
    this.ui.status.set({ server, connection: 'starting', hint: 'F1 help' });
    this.ui.dialog.box.on('closed-with-focus', () => this.ui.input.focus());
    this.ui.input.focus();
  }

  attach(client: Client): void {
    this.client = client;
    this.ui.status.set({ name: client.name, connection: 'connecting' });
    client.on('event', (ev) => this.onEvent(ev));
  }

  get me(): string { return this.client?.name ?? ''; }

  // ---- events -> panes
  onEvent(ev: ClientEvent): void {
    const { messages, online, files, model, dialog, status } = this.ui;
    // joins and leaves told together (a server's presence tick) are shown together, before anything after them
    if (ev.type !== 'joined' && ev.type !== 'left') this.flushPresence();
    const now = Date.now();
    if (model.apply(ev, now)) this.scheduleDraw(ev.type === 'progress');
    switch (ev.type) {
      case 'connected':
        this.everConnected = true;
        online.me = ev.name;
        online.set(ev.online);
        status.set({ name: ev.name, connection: 'online', server: ev.server });
        messages.system(`connected to ${safe(ev.server)} as ${colorNick(ev.name, safe(ev.name))}; ${ev.online.length} online`);
        this.client?.run({ kind: 'files' }); // fills the Files list; only a list the user asked for is printed
        break;
      case 'joined':
        online.add(ev.name);
        this.presence('joined', ev.name);
        break;
      case 'left':
        online.remove(ev.name);
        this.presence('left', ev.name, ev.reason);
        break;
      case 'message': messages.message(ev.from, ev.text, ev.ts || now, ev.to, this.me); break;
      case 'history': if (ev.older) this.olderArrived(ev.messages); else messages.history(ev.messages); break;
      case 'online': online.set(ev.names); break;
      case 'files': files.set(ev.files); break;
      case 'download':
        messages.system(`download #${ev.id} ${safe(ev.file)} (${formatBytes(ev.size)}) ${ev.resumed ? `resumes at ${formatBytes(ev.offset)}` : 'started'}`);
        break;
      case 'consent':
        dialog.ask({ id: ev.id, file: ev.file, received: ev.received, size: ev.size });
        messages.system(`download #${ev.id} ${safe(ev.file)} is halfway: continue? F8 yes, F9 no (or /yes ${ev.id}, /no ${ev.id})`);
        break;
      case 'finished':
        dialog.drop(ev.id);
        messages.system(`{green-fg}${safe(finishedText(ev))}{/green-fg}`); // the text names the last byte, size and SHA-256
        break;
      case 'stopped':
        dialog.drop(ev.id);
        messages.system(`download #${ev.id} ${safe(ev.file)} stopped at ${formatBytes(ev.received)} (${safe(ev.reason)}); partial file kept at ${safe(ev.path)}`);
        break;
      case 'error':
        if (ev.id !== undefined) dialog.drop(ev.id);
        messages.error(ev.code, ev.message);
        if (!this.everConnected && NAME_REFUSAL_CODES.has(ev.code)) void this.askAgain(ev.message);
        break;
      case 'reconnecting':
        online.clear();
        status.set({ connection: `reconnecting in ${(ev.inMs / 1000).toFixed(1)}s (attempt ${ev.attempt})`, server: ev.host });
        messages.system(`{yellow-fg}connection lost (${safe(ev.reason)}); reconnecting to ${safe(ev.host)} in ${(ev.inMs / 1000).toFixed(1)}s{/yellow-fg}`);
        this.everConnected = false;
        break;
      case 'disconnected':
        dialog.clear();
        status.set({ connection: 'disconnected' });
        messages.system(`{red-fg}disconnected (${safe(ev.reason)}){/red-fg}`);
        break;
      case 'registered':
        messages.system(ev.changed ? `the password of ${safe(ev.name)} is changed` : `${safe(ev.name)} is registered: from now on it connects only with its password`);
        break;
      case 'info': messages.system(safe(ev.text)); break;
      case 'trusted': messages.system(safe(ev.text)); break;
      case 'help': messages.block(ev.text); messages.block(KEYS_HELP); break;
    }
    status.set({ transfers: model.running });
  }

  /** Joins (or leaves) that arrived in one go: a few are shown one by one, many as one line ("12 people joined"). */
  private burst: { kind: 'joined' | 'left'; people: { name: string; reason?: string }[] } | null = null;

  private presence(kind: 'joined' | 'left', name: string, reason?: string): void {
    if (this.burst && this.burst.kind !== kind) this.flushPresence();
    if (!this.burst) {
      this.burst = { kind, people: [] };
      setImmediate(() => this.flushPresence());
    }
    this.burst.people.push(reason ? { name, reason } : { name });
  }

  private flushPresence(): void {
    const b = this.burst;
    if (!b) return;
    this.burst = null;
    const { messages } = this.ui;
    const nick = (n: string) => colorNick(n, safe(n));
    if (b.people.length <= BURST_SHOWN) {
      for (const p of b.people) messages.system(`${nick(p.name)} ${b.kind}${p.reason ? ` (${safe(p.reason)})` : ''}`);
      return;
    }
    const shown = b.people.slice(0, BURST_NAMES).map((p) => nick(p.name)).join(', ');
    const more = b.people.length > BURST_NAMES ? ` and ${b.people.length - BURST_NAMES} more` : '';
    messages.system(`${b.people.length} people ${b.kind}: ${shown}${more}`);
  }

  private scheduleDraw(throttle: boolean): void {
    if (!throttle) { this.ui.transfers.draw(); return; }
    if (this.drawTimer) return;
    this.drawTimer = setTimeout(() => { this.drawTimer = null; this.ui.transfers.draw(); }, 100);
  }

  private async askAgain(reason: string): Promise<void> {
    this.ui.status.set({ connection: 'nickname refused' });
    const name = await askName(this.screen, reason, this.me);
    if (name === null) { this.leave(); return; }
    this.ui.status.set({ name, connection: 'connecting' });
    this.client?.rename(name);
  }

  // ---- typed lines and actions -> commands
  submit(line: string): void {
    if (!line.trim()) return;
    if (line.startsWith('/')) { this.run(parseCommand(line)); return; }
    if (this.recipient) this.run({ kind: 'msg', to: this.recipient, text: line });
    else this.run({ kind: 'all', text: line });
  }

  /** Hands a command to the runtime, which carries it out, and shows what it did that no event tells. */
  run(cmd: Command): void {
    // leaving is the view's too: its status, and a second Ctrl-C that does not wait
    if (cmd.kind === 'quit') { this.leave(); return; }
    if (!this.client) {
      if (cmd.kind === 'help') this.ui.messages.block(`${HELP_TEXT}\n${KEYS_HELP}`);
      else this.ui.messages.error('not-connected', 'not connected yet');
      return;
    }
    // a password is asked in a dialog without echo, then the runtime carries the command out with it
    if ((cmd.kind === 'register' || cmd.kind === 'password') && cmd.password === undefined) {
      const hint = cmd.kind === 'register' ? `Protect the nickname ${this.me} with a password.` : `The new password for ${this.me}.`;
      const client = this.client;
      void askPassword(this.screen, cmd.kind === 'register' ? 'Register' : 'New password', hint).then((pw) => {
        if (pw !== null) client.run({ kind: cmd.kind, password: pw });
      });
      return;
    }
    const ran = this.client.run(cmd);
    if (ran.answered) {
      const { id, answer } = ran.answered;
      this.ui.dialog.drop(id);
      this.ui.model.answered(id, answer === 'yes');
      this.ui.transfers.draw();
    }
    void ran.reply?.then((r) => { if (r) this.showReply(r); });
  }

  /** The answer to a /who or /files the user gave: the lists are filled by the events, the answer is printed. */
  private showReply(r: Reply): void {
    const { messages } = this.ui;
    if (r.type === 'history') return; // older lines are drawn from the event, above the others
    if (r.type === 'online') messages.system(`online (${r.names.length}): ${r.names.map((n) => colorNick(n, safe(n))).join(', ')}`);
    else {
      messages.system(r.files.length
        ? `files (${r.files.length}): ${r.files.map((f) => `${safe(f.name)} (${formatBytes(f.size)})`).join(', ')}`
        : 'the server shares no files');
    }
  }

  private answer(id: number, yes: boolean): void { this.run({ kind: yes ? 'yes' : 'no', id }); }

  answerCurrent(yes: boolean): void {
    if (this.ui.dialog.open) this.ui.dialog.answer(yes);
    else this.ui.messages.system('no halfway question is waiting');
  }

  /** The runtime answers with a help event, drawn with KEYS_HELP. */
  help(): void { this.run({ kind: 'help' }); }

  /** PgUp with the first line in view: asks the server for the page of history before the oldest line shown. */
  pageOlder(): void {
    if (this.olderAsked || this.historyStart || !this.client) return;
    this.olderAsked = true;
    // no answer (not sent, refused, the connection gone): PgUp may ask again
    void this.client.run({ kind: 'history' }).reply?.then((r) => { if (!r) this.olderAsked = false; });
  }

  private olderArrived(lines: ChatLine[]): void {
    this.olderAsked = false;
    if (!lines.length) this.historyStart = true;
    this.ui.messages.older(lines);
  }

  showOnline(): void { this.run({ kind: 'who' }); if (this.ui.sideShown()) this.ui.online.list.focus(); this.screen.render(); }

  showFiles(): void { this.run({ kind: 'files' }); if (this.ui.sideShown()) this.ui.files.list.focus(); this.screen.render(); }

  /** Sends what is typed to everyone, and makes "to all" the mode of the input line. */
  sendAll(): void {
    const text = this.takeInput();
    this.setRecipient(null);
    if (text) this.run({ kind: 'all', text });
    this.ui.input.focus();
  }

  /**
   * F5 / the Private button. With a person picked and something typed: sends it to them. Otherwise the Online list
   * takes the focus so that the user picks who to write to (Enter or a click); the input line then writes to them.
   */
  sendPrivate(): void {
    if (this.recipient && this.ui.input.value.trim()) {
      const text = this.takeInput();
      this.run({ kind: 'msg', to: this.recipient, text });
      this.ui.input.focus();
      return;
    }
    if (!this.ui.sideShown()) {
      this.ui.messages.system('the window is too narrow for the Online list: write privately with /msg NAME TEXT');
      return;
    }
    if (!this.ui.online.all.some((n) => n.toLowerCase() !== this.me.toLowerCase())) {
      this.ui.messages.system('nobody else is online');
      return;
    }
    this.ui.messages.system('pick who to write to: Enter or click a name in Online');
    this.ui.online.startPicking();
  }

  private takeInput(): string {
    const text = this.ui.input.value;
    if (text.trim()) { this.ui.input.history.push(text); this.ui.input.value = ''; return text; }
    return '';
  }

  pickName(name: string): void {
    if (name.toLowerCase() === this.me.toLowerCase()) {
      this.ui.messages.system('that is you: pick someone else');
      if (this.screen.focused === this.ui.online.list) this.ui.online.startPicking();
      return;
    }
    this.setRecipient(name);
    this.ui.input.focus();
  }

  setRecipient(name: string | null): void {
    this.recipient = name;
    this.ui.input.setLabel(name ? `Private to ${safe(name)} (Esc: to all)` : 'Message to all');
  }

  /** F6 / the Download button: the selected file when the Files list has the focus, else go pick one. */
  downloadSelected(): void {
    const f = this.ui.files.selected();
    if (f && this.screen.focused === this.ui.files.list) { this.download(f); return; }
    if (!this.ui.sideShown()) { this.ui.messages.system('the window is too narrow for the Files list: download with /get FILE'); return; }
    this.ui.messages.system('pick a file in Files: Enter, or click it twice');
    this.ui.files.list.focus();
    this.screen.render();
  }

  download(f: FileEntry): void {
    this.run({ kind: 'get', file: f.name });
    this.ui.input.focus(); // back to chatting; the transfers panel shows the download
  }

  /** Tab in the input line: completes a partial word; false when there is none (the focus moves instead). */
  completeInput(): boolean {
    const value = this.ui.input.value;
    if (!partialWord(value)) return false;
    const r = complete(value, { names: this.ui.online.all, files: this.ui.files.names });
    if (r.text !== value) this.ui.input.value = r.text;
    this.ui.status.set({ hint: r.matches.length > 1 ? `matches: ${r.matches.slice(0, 8).join(' ')}` : r.matches.length ? '' : 'no completion' });
    return true;
  }

  leave(): void {
    if (!this.client || this.leaving) { this.onForceExit(); return; }
    this.leaving = true;
    this.ui.status.set({ connection: 'leaving' });
    void this.client.quit();
  }
}
