// The server's shared files with their sizes. Enter, or a click on the selected file, downloads it.
import blessed from 'neo-blessed';
import type { Widgets } from 'neo-blessed';
import type { FileEntry } from '../../machines/frames.js';
import { ellipsize, formatBytes } from '../format.js';
import { escapeTags, plain } from '../sanitize.js';

export class FilesPane {
  readonly list: Widgets.ListElement;
  private files: FileEntry[] = [];

  constructor(parent: Widgets.Node, position: Pick<Widgets.BoxOptions, 'top' | 'left' | 'width' | 'height'>, onPick: (f: FileEntry) => void) {
    this.list = blessed.list({
      parent, ...position, label: ' Files ', border: { type: 'line' }, tags: true, keys: true, mouse: true,
      scrollbar: { ch: ' ', style: { bg: 'grey' } },
      style: { border: { fg: 'grey' }, focus: { border: { fg: 'white' } }, selected: { inverse: true }, item: {} },
    } as Widgets.ListOptions<Widgets.ListElementStyle>);
    this.list.on('select', (_item: unknown, index: number) => { const f = this.files[index]; if (f) onPick(f); });
    this.list.on('resize', () => this.draw());
  }

  get names(): string[] { return this.files.map((f) => f.name); }

  selected(): FileEntry | undefined {
    return this.files[(this.list as unknown as { selected: number }).selected];
  }

  set(files: FileEntry[]): void {
    this.files = [...files].sort((a, b) => a.name.localeCompare(b.name));
    this.draw();
  }

  private draw(): void {
    const inner = Math.max(10, (typeof this.list.width === 'number' ? this.list.width : 30) - 4); // borders, scrollbar, and one spare column (blessed wraps a full line)
    const sel = (this.list as unknown as { selected: number }).selected;
    this.list.setItems(this.files.map((f) => {
      const size = formatBytes(f.size);
      const name = ellipsize(plain(f.name), Math.max(3, inner - size.length - 1));
      const gap = Math.max(1, inner - [...name].length - size.length);
      return `${escapeTags(name)}${' '.repeat(gap)}{grey-fg}${size}{/grey-fg}`;
    }) as unknown as string[]);
    if (this.files.length) this.list.select(Math.min(sel, this.files.length - 1));
    this.list.setLabel(` Files (${this.files.length}) `);
    this.list.screen.render();
  }
}
