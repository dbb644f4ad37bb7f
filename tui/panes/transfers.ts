// The transfers panel: one row per download with a progress bar, percent, rate, time left and state.
import blessed from 'neo-blessed';
import type { Widgets } from 'neo-blessed';
import { transferLine } from '../transfer-line.js';
import type { Transfer, TransfersModel } from '../transfers-model.js';
import { escapeTags, plain } from '../sanitize.js';

const COLORS: Record<Transfer['state'], string> = {
  starting: 'white', running: 'cyan', consent: 'yellow', paused: 'yellow', done: 'green', stopped: 'grey', failed: 'red',
};

export class TransfersPane {
  readonly box: Widgets.BoxElement;

  constructor(parent: Widgets.Node, position: Pick<Widgets.BoxOptions, 'bottom' | 'left' | 'width' | 'height'>, private readonly model: TransfersModel) {
    this.box = blessed.box({
      parent, ...position, label: ' Transfers ', border: { type: 'line' }, tags: true, scrollable: true,
      alwaysScroll: true, keys: true, mouse: true, wrap: false,
      style: { border: { fg: 'grey' }, focus: { border: { fg: 'white' } } },
    } as Widgets.BoxOptions);
    this.box.on('resize', () => this.draw());
    this.draw();
  }

  draw(): void {
    const width = Math.max(20, (typeof this.box.width === 'number' ? this.box.width : 80) - 3); // borders, one spare column
    const rows = this.model.list().reverse(); // newest first
    this.box.setContent(rows.length
      ? rows.map((t) => `{${COLORS[t.state]}-fg}${escapeTags(transferLine(t, plain(t.file), width))}{/}`).join('\n')
      : '{grey-fg}No downloads yet: pick a file in Files (Enter or click), or /get FILE{/grey-fg}');
    this.box.screen.render();
  }
}
