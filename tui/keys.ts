// Keys that work wherever the focus is: function keys for the actions, Tab / Shift-Tab around the focus ring
// (Tab in the input line completes when the line ends in a partial word), PgUp/PgDn scrollback, Ctrl-C to leave.
import type { Widgets } from 'neo-blessed';
import type { Controller } from './controller.js';

export function bindKeys(screen: Widgets.Screen, ctl: Controller): void {
  const { ui } = ctl;
  const cycle = (dir: 1 | -1) => {
    const ring = ui.ring().filter((el) => el.visible);
    const at = ring.indexOf(screen.focused as Widgets.BlessedElement);
    const next = ring[(at + dir + ring.length) % ring.length] ?? ui.input.box;
    next.focus();
    screen.render();
  };
  screen.key(['tab'], () => {
    if (screen.focused === ui.input.box && ctl.completeInput()) return;
    cycle(1);
  });
  screen.key(['S-tab'], () => cycle(-1));
  screen.key(['C-c'], () => ctl.leave());
  screen.key(['pageup'], () => { if (ui.messages.atTop()) ctl.pageOlder(); else ui.messages.scroll(-1); });
  screen.key(['pagedown'], () => ui.messages.scroll(1));
  screen.key(['f1'], () => ctl.help());
  screen.key(['f2'], () => ctl.showOnline());
  screen.key(['f3'], () => ctl.showFiles());
  screen.key(['f4'], () => ctl.sendAll());
  screen.key(['f5'], () => ctl.sendPrivate());
  screen.key(['f6'], () => ctl.downloadSelected());
  screen.key(['f8'], () => ctl.answerCurrent(true));
  screen.key(['f9'], () => ctl.answerCurrent(false));
  screen.key(['f10'], () => ctl.leave());
  // Esc outside the input line goes back to typing
  screen.key(['escape'], () => {
    if (screen.focused !== ui.input.box && screen.focused !== ui.dialog.yes && screen.focused !== ui.dialog.no) {
      ui.input.focus();
      screen.render();
    }
  });
  screen.on('resize', () => {
    ui.relayout();
    ui.messages.redraw(); // rewraps at the new width and keeps the newest line in view
    ui.transfers.draw();
    ui.input.box.emit('resize');
    ui.files.list.emit('resize');
    ui.dialog.redraw();
    screen.render();
  });
}
