// The halfway question as a dialog that blocks nothing: it appears without taking the focus (typing goes on in the
// input line), so chat and other downloads go on while it is open. Answer with the mouse (Yes / No), with F8 / F9
// from anywhere, or Tab to it and press y, n, Enter or Space (Esc goes back to typing and leaves it open). Several
// questions queue up; the dialog shows the oldest and how many more wait.
import blessed from 'neo-blessed';
import type { Widgets } from 'neo-blessed';
import { ConsentQueue, type Question } from './consent-queue.js';
import { formatBytes, percent } from './format.js';
import { escapeTags, plain } from './sanitize.js';
import { elideMiddle } from './transfer-line.js';

export class ConsentDialog {
  readonly queue = new ConsentQueue();
  readonly box: Widgets.BoxElement;
  private readonly text: Widgets.BoxElement;
  readonly yes: Widgets.ButtonElement;
  readonly no: Widgets.ButtonElement;

  /**
   * `room()` is the width and height it may take: it sits over the top of the message pane, leaving the side panels
   * free; in a small terminal it shrinks to stay inside the pane.
   */
  constructor(parent: Widgets.Node, private readonly onAnswer: (id: number, yes: boolean) => void, private readonly room: () => { width: number; height: number }) {
    this.box = blessed.box({
      parent, top: 1, left: 2, width: 60, height: 7, border: { type: 'line' }, label: ' Continue download? ',
      tags: true, hidden: true, style: { border: { fg: 'yellow' }, bg: 'black' },
    });
    this.text = blessed.box({ parent: this.box, top: 0, left: 1, right: 1, height: 3, tags: true, style: { bg: 'black' } });
    const button = (label: string, left: number | string) => blessed.button({
      parent: this.box, top: 4, left, width: label.length, height: 1, content: label, mouse: true, autoFocus: false,
      style: { bg: 'grey', fg: 'black', hover: { bg: 'white' }, focus: { bg: 'cyan' } },
    } as Widgets.ButtonOptions);
    this.yes = button(' Yes (F8) ', 4);
    this.no = button(' No (F9) ', 20);
    this.yes.on('press', () => this.answer(true));
    this.no.on('press', () => this.answer(false));
    for (const b of [this.yes, this.no]) {
      b.on('keypress', (_ch: string | undefined, key: Widgets.Events.IKeyEventArg) => {
        if (key.name === 'y') this.answer(true);
        else if (key.name === 'n') this.answer(false);
        else if (key.name === 'escape') this.box.emit('closed-with-focus'); // back to typing; the question stays
        else if (key.name === 'left' || key.name === 'right') (b === this.yes ? this.no : this.yes).focus();
      });
    }
  }

  get open(): boolean { return this.queue.length > 0; }
  get focusables(): Widgets.BlessedElement[] { return this.open ? [this.yes, this.no] : []; }

  ask(q: Question): void { this.queue.push(q); this.draw(); }

  /** The download ended or was answered elsewhere (/yes, /no): forget its question. */
  drop(id: number): void { if (this.queue.remove(id)) this.draw(); }

  clear(): void { this.queue.clear(); this.draw(); }

  /** After a resize. */
  redraw(): void { if (this.open) this.draw(); }

  /** Answers the question on show. */
  answer(yes: boolean): void {
    const q = this.queue.current;
    if (!q) return;
    const hadFocus = this.box.screen.focused === this.yes || this.box.screen.focused === this.no;
    this.queue.remove(q.id);
    this.draw();
    this.onAnswer(q.id, yes);
    if (hadFocus && this.open) this.yes.focus();
  }

  private draw(): void {
    const q = this.queue.current;
    if (!q) {
      const hadFocus = this.box.screen.focused === this.yes || this.box.screen.focused === this.no;
      this.box.hide();
      if (hadFocus) this.box.emit('closed-with-focus');
      this.box.screen.render();
      return;
    }
    const { width, height } = this.room();
    this.box.width = Math.max(34, Math.min(60, width));
    // inside the message pane, below its top border: 7 rows when the pane has 9 or more; less (and over the border) below
    const top = height >= 9 ? 1 : 0;
    const h = Math.max(4, Math.min(7, height - 1 - top));
    const inner = h - 2;
    this.box.top = top;
    this.box.height = h;
    this.yes.top = this.no.top = inner - 1;
    this.text.height = Math.max(1, inner >= 5 ? inner - 2 : inner - 1);
    const file = escapeTags(elideMiddle(plain(q.file), Math.max(8, (this.box.width as number) - 24)));
    const more = this.queue.waiting ? `\n{yellow-fg}${this.queue.waiting} more question(s) waiting{/yellow-fg}` : '';
    this.text.setContent(
      `Download #${q.id} {bold}${file}{/bold} is paused at ${percent(q.received, q.size)}% ` +
      `(${formatBytes(q.received)} of ${formatBytes(q.size)}). Continue?${more}`,
    );
    this.box.show();
    this.box.setFront();
    this.box.screen.render();
  }
}
