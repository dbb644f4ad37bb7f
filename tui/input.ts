// The input line: a one-line editor drawn in a blessed box (blessed's textbox doubles input when re-armed and owns
// the keyboard while reading; this one only reacts to keys while it has the focus). Enter submits, Up/Down browse
// the history, Left/Right/Home/End/Ctrl-A/Ctrl-E move, Backspace/Delete/Ctrl-U/Ctrl-W/Ctrl-K delete. Tab is left
// to the screen (tui/keys.ts), which completes when the input ends in a partial word and moves the focus otherwise.
import blessed from 'neo-blessed';
import type { Widgets } from 'neo-blessed';
import { InputHistory } from './history.js';
import { escapeTags, plain } from './sanitize.js';

export interface InputLineOptions {
  parent: Widgets.Node;
  label: string;
  onSubmit: (line: string) => void;
  onEscape?: () => void;
  /** A password: nothing typed is shown (not even its length) and nothing goes into the history. */
  secret?: boolean;
  position: Pick<Widgets.BoxOptions, 'top' | 'bottom' | 'left' | 'right' | 'width' | 'height'>;
}

export class InputLine {
  readonly box: Widgets.BoxElement;
  readonly history = new InputHistory();
  private chars: string[] = [];
  private cursor = 0;
  /** The whole text is selected: typing replaces it, a deleting key clears it, a moving key just unselects. */
  private selected = false;

  constructor(private readonly opts: InputLineOptions) {
    this.box = blessed.box({
      parent: opts.parent, ...opts.position, border: { type: 'line' }, label: ` ${opts.label} `, tags: true,
      mouse: true, clickable: true, style: { border: { fg: 'grey' }, focus: { border: { fg: 'white' } } },
    } as Widgets.BoxOptions);
    this.box.on('keypress', (ch: string | undefined, key: Widgets.Events.IKeyEventArg) => this.onKey(ch, key));
    this.box.on('focus', () => this.draw());
    this.box.on('blur', () => this.draw());
    this.box.on('resize', () => this.draw());
    this.box.on('click', () => this.box.focus());
    this.draw();
  }

  get value(): string { return this.chars.join(''); }
  set value(text: string) {
    this.selected = false;
    this.chars = [...plain(text)];
    this.cursor = this.chars.length;
    this.draw();
  }

  /** Selects the whole text (a suggestion the user will usually replace). */
  selectAll(): void {
    this.selected = this.chars.length > 0;
    this.cursor = this.chars.length;
    this.draw();
  }

  setLabel(label: string): void { this.box.setLabel(` ${label} `); this.box.screen.render(); }
  focus(): void { this.box.focus(); }
  get focused(): boolean { return this.box.screen.focused === this.box; }

  private onKey(ch: string | undefined, key: Widgets.Events.IKeyEventArg): void {
    if (this.selected && key.full !== 'enter' && key.full !== 'return' && key.full !== 'tab' && key.full !== 'S-tab' && key.full !== 'escape') {
      this.selected = false;
      if (['backspace', 'C-h', 'delete', 'C-d', 'C-u', 'C-k', 'C-w'].includes(key.full)) { this.value = ''; return; }
      const printable = ch && !key.ctrl && !key.meta && !/^[\x00-\x1f\x7f]$/.test(ch);
      if (printable) { this.chars = []; this.cursor = 0; }
    }
    switch (key.full) {
      case 'enter': {
        const line = this.value;
        this.selected = false;
        if (!this.opts.secret) this.history.push(line);
        this.chars = [];
        this.cursor = 0;
        this.draw();
        this.opts.onSubmit(line);
        return;
      }
      case 'return': case 'tab': case 'S-tab': return;
      case 'escape': this.opts.onEscape?.(); return;
      case 'up': case 'down': if (this.opts.secret) return; break;
    }
    switch (key.full) {
      case 'up': { const l = this.history.up(this.value); if (l !== null) this.value = l; return; }
      case 'down': { const l = this.history.down(); if (l !== null) this.value = l; return; }
      case 'left': this.cursor = Math.max(0, this.cursor - 1); break;
      case 'right': this.cursor = Math.min(this.chars.length, this.cursor + 1); break;
      case 'home': case 'C-a': this.cursor = 0; break;
      case 'end': case 'C-e': this.cursor = this.chars.length; break;
      case 'backspace': case 'C-h':
        if (this.cursor > 0) { this.chars.splice(this.cursor - 1, 1); this.cursor--; }
        break;
      case 'delete': case 'C-d': this.chars.splice(this.cursor, 1); break;
      case 'C-u': this.chars.splice(0, this.cursor); this.cursor = 0; break;
      case 'C-k': this.chars.splice(this.cursor); break;
      case 'C-w': {
        let i = this.cursor;
        while (i > 0 && this.chars[i - 1] === ' ') i--;
        while (i > 0 && this.chars[i - 1] !== ' ') i--;
        this.chars.splice(i, this.cursor - i);
        this.cursor = i;
        break;
      }
      default: {
        if (!ch || key.ctrl || key.meta || /^[\x00-\x1f\x7f]$/.test(ch) || key.name === 'escape') return;
        const add = [...plain(ch)];
        this.chars.splice(this.cursor, 0, ...add);
        this.cursor += add.length;
      }
    }
    this.draw();
  }

  /** Shows the part of the text around the cursor; the cursor is an inverse cell while focused. */
  private draw(): void {
    const width = Math.max(1, (typeof this.box.width === 'number' ? this.box.width : 40) - 3);
    const start = Math.max(0, this.cursor - width + 1);
    const shown = this.chars.slice(start, start + width);
    const at = this.cursor - start;
    const focused = this.box.screen.focused === this.box;
    if (this.opts.secret) {
      this.box.setContent(focused ? '{inverse} {/inverse}' : '');
      this.box.screen.render();
      return;
    }
    if (this.selected && focused) {
      this.box.setContent(`{black-fg}{cyan-bg}${escapeTags(shown.join(''))}{/cyan-bg}{/black-fg}{inverse} {/inverse}`);
      this.box.screen.render();
      return;
    }
    const before = escapeTags(shown.slice(0, at).join(''));
    const under = escapeTags(shown[at] ?? ' ');
    const after = escapeTags(shown.slice(at + 1).join(''));
    this.box.setContent(focused ? `${before}{inverse}${under}{/inverse}${after}` : `${before}${under === ' ' ? '' : under}${after}`);
    this.box.screen.render();
  }
}
