// Asks for a nickname in a centred box: at start when --name is missing, and again after a refusal (name taken
// or invalid), showing the server's reason. Resolves with the name, or null when the person gives up (Esc).
// After a refusal the refused name is offered selected: typing replaces it, Enter tries it again. The box grows
// with its text, so a long reason never hides the hint.
import blessed from 'neo-blessed';
import type { Widgets } from 'neo-blessed';
import { InputLine } from './input.js';
import { safe } from './sanitize.js';

const HINT = 'Choose a nickname (letters, digits, - _ .), then Enter. Esc leaves.';

export function askName(screen: Widgets.Screen, reason: string, suggestion = ''): Promise<string | null> {
  return new Promise((resolve) => {
    const before = screen.focused;
    const box = blessed.box({
      parent: screen, top: 'center', left: 'center', width: 56, height: 9, border: { type: 'line' },
      label: ' Nickname ', tags: true, style: { border: { fg: 'cyan' }, bg: 'black' },
    });
    const text = blessed.box({
      parent: box, top: 0, left: 1, right: 1, height: 3, tags: true, style: { bg: 'black' },
    });
    const content = `${reason ? `{red-fg}${safe(reason)}{/red-fg}\n` : ''}${HINT}`;
    const input = new InputLine({
      parent: box, label: 'Your nickname', position: { top: 3, left: 1, right: 1, height: 3 },
      onSubmit: (line) => { if (line.trim()) done(line.trim()); },
      onEscape: () => done(null),
    });
    // the text's height is what it takes wrapped at the box's width; the box is that plus the input and borders
    const fit = () => {
      box.width = Math.max(20, Math.min(56, (screen.width as number) - 2));
      text.setContent(content); // wraps at the new width
      const lines = Math.max(1, text.getScreenLines().length);
      text.height = lines;
      input.box.top = lines;
      box.height = Math.min(lines + 5, screen.height as number);
      input.box.emit('resize');
    };
    const done = (name: string | null) => {
      screen.removeListener('resize', onResize);
      box.destroy();
      if (before && !before.detached) before.focus();
      screen.render();
      resolve(name);
    };
    const onResize = () => { fit(); screen.render(); };
    screen.on('resize', onResize);
    fit();
    input.value = suggestion;
    input.focus();
    input.selectAll();
    box.setFront();
    screen.render();
  });
}
