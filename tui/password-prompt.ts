// Asks for a password in a centred box, without echo (nothing typed is shown, not even its length): for /register
// and /password in the full-screen client. Resolves with the password, or null when the person gives up (Esc).
import blessed from 'neo-blessed';
import type { Widgets } from 'neo-blessed';
import { InputLine } from './input.js';

export function askPassword(screen: Widgets.Screen, title: string, hint: string): Promise<string | null> {
  return new Promise((resolve) => {
    const before = screen.focused;
    const box = blessed.box({
      parent: screen, top: 'center', left: 'center', width: 56, height: 8, border: { type: 'line' },
      label: ` ${title} `, tags: true, style: { border: { fg: 'cyan' }, bg: 'black' },
    });
    blessed.box({ parent: box, top: 0, left: 1, right: 1, height: 2, content: `${hint}\nTyping is not shown. Enter: done, Esc: cancel.`, style: { bg: 'black' } });
    const done = (pw: string | null) => {
      box.destroy();
      if (before && !before.detached) before.focus();
      screen.render();
      resolve(pw);
    };
    const input = new InputLine({
      parent: box, label: 'Password', secret: true, position: { top: 2, left: 1, right: 1, height: 3 },
      onSubmit: (line) => { if (line) done(line); },
      onEscape: () => done(null),
    });
    input.focus();
    box.setFront();
    screen.render();
  });
}
