// The button row: every action reachable by mouse (click) and by keyboard (its function key, or Tab to it then
// Enter or Space). Buttons do not take the focus when clicked, so typing goes on in the input line.
import blessed from 'neo-blessed';
import type { Widgets } from 'neo-blessed';

export interface Action { key: string; label: string; run: () => void }

export class ButtonRow {
  readonly row: Widgets.BoxElement;
  readonly buttons: Widgets.ButtonElement[] = [];

  constructor(parent: Widgets.Node, actions: Action[]) {
    this.row = blessed.box({ parent, bottom: 1, left: 0, width: '100%', height: 1 });
    let left = 0;
    for (const a of actions) {
      const content = ` ${a.key} ${a.label} `;
      const b = blessed.button({
        parent: this.row, left, top: 0, width: content.length, height: 1, content, mouse: true, autoFocus: false,
        style: { bg: 'grey', fg: 'black', hover: { bg: 'white' }, focus: { bg: 'cyan' } },
      } as Widgets.ButtonOptions);
      b.on('press', () => a.run());
      this.buttons.push(b);
      left += content.length + 1;
    }
  }
}
