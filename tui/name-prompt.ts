// Asks for a nickname in a centred box: at start when --name is missing, and again after a refusal (name taken
// or invalid), showing the server's reason. Resolves with the name, or null when the person gives up (Esc).
import blessed from 'neo-blessed';
import type { Widgets } from 'neo-blessed';
import { InputLine } from './input.js';
import { safe } from './sanitize.js';

export function askName(screen: Widgets.Screen, reason: string, suggestion = ''): Promise<string | null> {
  return new Promise((resolve) => {
    const before = screen.focused;
    const box = blessed.box({
      parent: screen, top: 'center', left: 'center', width: 56, height: 9, border: { type: 'line' },
      label: ' Nickname ', tags: true, style: { border: { fg: 'cyan' }, bg: 'black' },
    });
    blessed.box({
      parent: box, top: 0, left: 1, right: 1, height: 3, tags: true, style: { bg: 'black' },
      content: `${reason ? `{red-fg}${safe(reason)}{/red-fg}\n` : ''}Choose a nickname (letters, digits, - _ .), then Enter. Esc leaves.`,
    });
    const done = (name: string | null) => {
      box.destroy();
      if (before && !before.detached) before.focus();
      screen.render();
      resolve(name);
    };
    const input = new InputLine({
      parent: box, label: 'Your nickname', position: { top: 3, left: 1, right: 1, height: 3 },
      onSubmit: (line) => { if (line.trim()) done(line.trim()); },
      onEscape: () => done(null),
    });
    input.value = suggestion;
    input.focus();
    box.setFront();
    screen.render();
  });
}
