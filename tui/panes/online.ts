// Who is online: kept current from connected.online, joined, left and online events. Enter or a click on the
// selected name makes that person the recipient of private messages.
import blessed from 'neo-blessed';
import type { Widgets } from 'neo-blessed';
import { colorNick } from '../colors.js';
import { safe } from '../sanitize.js';

const key = (n: string) => n.normalize('NFKC').toLowerCase();

export class OnlinePane {
  readonly list: Widgets.ListElement;
  private names: string[] = [];
  me = '';
  /** F5: the list has the focus so that the user picks who to write to. */
  picking = false;

  constructor(parent: Widgets.Node, position: Pick<Widgets.BoxOptions, 'top' | 'left' | 'width' | 'height'>, private readonly onPick: (name: string) => void) {
    this.list = blessed.list({
      parent, ...position, label: ' Online ', border: { type: 'line' }, tags: true, keys: true, mouse: true,
      scrollbar: { ch: ' ', style: { bg: 'grey' } },
      style: { border: { fg: 'grey' }, focus: { border: { fg: 'white' } }, selected: { inverse: true }, item: {} },
    } as Widgets.ListOptions<Widgets.ListElementStyle>);
    this.list.on('select', (_item: unknown, index: number) => { const n = this.names[index]; if (n) this.pick(n); });
    // while picking (F5), one click on a name picks it (otherwise a click selects and a second click picks);
    // blessed runs the item's own click handler (which selects it) before this bubbled event
    this.list.on('element click', (el: Widgets.BlessedElement) => {
      if (!this.picking || el === this.list) return;
      const n = this.names[(this.list as unknown as { getItemIndex(e: unknown): number }).getItemIndex(el)];
      if (n) this.pick(n);
    });
    // blessed emits blur even when the list is focused again (as its item click handler does): only a real loss
    // of the focus ends the picking
    this.list.on('blur', () => { if (this.list.screen.focused !== this.list) this.stopPicking(); });
  }

  private pick(name: string): void {
    this.stopPicking();
    this.onPick(name);
  }

  /** Focuses the list to pick a person: the first one other than us is highlighted; Enter or a click picks. */
  startPicking(): void {
    this.picking = true;
    const sel = this.selected();
    if (!sel || key(sel) === key(this.me)) {
      const i = this.names.findIndex((n) => key(n) !== key(this.me));
      if (i >= 0) this.list.select(i);
    }
    this.list.setLabel(' Pick a name: Enter ');
    this.list.focus();
    this.list.screen.render();
  }

  stopPicking(): void {
    if (!this.picking) return;
    this.picking = false;
    this.list.setLabel(` Online (${this.names.length}) `);
    this.list.screen.render();
  }

  get all(): readonly string[] { return this.names; }

  selected(): string | undefined {
    return this.names[(this.list as unknown as { selected: number }).selected];
  }

  set(names: string[]): void {
    this.names = [...new Set(names)].sort((a, b) => a.localeCompare(b));
    this.draw();
  }

  add(name: string): void { if (!this.names.some((n) => key(n) === key(name))) this.set([...this.names, name]); }
  remove(name: string): void { this.set(this.names.filter((n) => key(n) !== key(name))); }
  clear(): void { this.set([]); }

  private draw(): void {
    const sel = this.selected();
    this.list.setItems(this.names.map((n) => (key(n) === key(this.me) ? `${colorNick(n, safe(n))} {grey-fg}(you){/grey-fg}` : colorNick(n, safe(n)))) as unknown as string[]);
    const i = sel ? this.names.indexOf(sel) : -1;
    if (i >= 0) this.list.select(i);
    this.list.setLabel(this.picking ? ' Pick a name: Enter ' : ` Online (${this.names.length}) `);
    this.list.screen.render();
  }
}
