// The screen and its panes:
//   +- Messages ----------------------------+- Online -+
//   |                                       |          |
//   |                                       +- Files --+
//   |                                       |          |
//   +- Transfers ---------------------------+----------+
//   +- Message to all ---------------------------------+   input line
//    F1 Help  F2 Online  F3 Files  ...                      button row
//    server | nick | connection | transfers               status bar
// Below MIN_WIDTH_FOR_SIDE columns the side panels are hidden, below MIN_HEIGHT_FOR_TRANSFERS rows the transfers panel.
import blessed from 'neo-blessed';
import type { Widgets } from 'neo-blessed';
import type { FileEntry } from '../machines/frames.js';
import { ConsentDialog } from './consent-dialog.js';
import { InputLine } from './input.js';
import { splitMouseReports } from './input-chunks.js';
import { ButtonRow, type Action } from './panes/buttons.js';
import { FilesPane } from './panes/files.js';
import { MessagesPane } from './panes/messages.js';
import { OnlinePane } from './panes/online.js';
import { StatusBar } from './panes/status.js';
import { TransfersPane } from './panes/transfers.js';
import { TransfersModel } from './transfers-model.js';

export const SIDE_WIDTH = 28;
export const TRANSFERS_HEIGHT = 6;
/** Below this width the side panels (Online, Files) are hidden: the messages take the whole width. */
export const MIN_WIDTH_FOR_SIDE = 64;
/** Below this height the transfers panel is hidden (the status bar still counts the running downloads). */
export const MIN_HEIGHT_FOR_TRANSFERS = 20;

export interface LayoutHandlers {
  submit: (line: string) => void;
  escape: () => void;
  pickName: (name: string) => void;
  pickFile: (file: FileEntry) => void;
  answer: (id: number, yes: boolean) => void;
  actions: Action[];
}

export interface Ui {
  screen: Widgets.Screen;
  messages: MessagesPane;
  online: OnlinePane;
  files: FilesPane;
  transfers: TransfersPane;
  model: TransfersModel;
  input: InputLine;
  buttons: ButtonRow;
  status: StatusBar;
  dialog: ConsentDialog;
  /** The focus ring for Tab / Shift-Tab, in order (the dialog's buttons only while it is open). */
  ring(): Widgets.BlessedElement[];
  /** Whether the side panels (Online, Files) are on screen: not in a narrow terminal. */
  sideShown(): boolean;
  /** Fits the panes to the terminal's size (at start and after a resize). */
  relayout(): void;
}

export function createScreen(): Widgets.Screen {
  const screen = blessed.screen({
    smartCSR: true, fullUnicode: true, autoPadding: true, title: 'messenger', dockBorders: true,
    warnings: false, sendFocus: false, ignoreLocked: ['C-c'],
  } as Widgets.IScreenOptions);
  splitMouseReports(screen.program.input); // a click and keys read together are each seen (see input-chunks.ts)
  return screen;
}

/** Where the panes go for a terminal of `cols` x `rows`: small terminals lose the side panels, then transfers. */
export function fit(cols: number, rows: number): { side: boolean; transfers: boolean; bottom: number } {
  const side = cols >= MIN_WIDTH_FOR_SIDE;
  const transfers = rows >= MIN_HEIGHT_FOR_TRANSFERS;
  return { side, transfers, bottom: 5 + (transfers ? TRANSFERS_HEIGHT : 0) }; // status 1 + buttons 1 + input 3 + transfers
}

export function buildLayout(screen: Widgets.Screen, h: LayoutHandlers): Ui {
  const f = fit(screen.width as number, screen.height as number);
  const messages = new MessagesPane(screen, { top: 0, left: 0, width: `100%-${SIDE_WIDTH}`, height: `100%-${f.bottom}` });
  const side = blessed.box({ parent: screen, top: 0, right: 0, width: SIDE_WIDTH, height: `100%-${f.bottom}` });
  const online = new OnlinePane(side, { top: 0, left: 0, width: '100%', height: '50%' }, h.pickName);
  const files = new FilesPane(side, { top: '50%', left: 0, width: '100%', height: '50%' }, h.pickFile);
  const split = () => { // Online takes the top half, Files the rest (an odd row too: no blank row below them)
    const rows = Math.max(2, (screen.height as number) - fit(screen.width as number, screen.height as number).bottom);
    online.list.height = Math.floor(rows / 2);
    files.list.top = Math.floor(rows / 2);
    files.list.height = rows - Math.floor(rows / 2);
  };
  const model = new TransfersModel();
  const transfers = new TransfersPane(screen, { bottom: 5, left: 0, width: '100%', height: TRANSFERS_HEIGHT }, model);
  const input = new InputLine({
    parent: screen, label: 'Message to all', position: { bottom: 2, left: 0, width: '100%', height: 3 },
    onSubmit: h.submit, onEscape: h.escape,
  });
  const buttons = new ButtonRow(screen, h.actions);
  const status = new StatusBar(screen);
  const sideShown = () => !side.hidden;
  const dialog = new ConsentDialog(screen, h.answer, () => {
    const g = fit(screen.width as number, screen.height as number);
    return { width: (screen.width as number) - (g.side ? SIDE_WIDTH : 0) - 4, height: (screen.height as number) - g.bottom };
  });
  const ring = () => [
    input.box, ...dialog.focusables, messages.log, online.list, files.list, transfers.box, ...buttons.buttons,
  ] as Widgets.BlessedElement[];
  const relayout = () => {
    const g = fit(screen.width as number, screen.height as number);
    messages.log.width = g.side ? `100%-${SIDE_WIDTH}` : '100%';
    messages.log.height = `100%-${g.bottom}`;
    side.height = `100%-${g.bottom}`;
    if (g.side) side.show(); else side.hide();
    split();
    if (g.transfers) transfers.box.show(); else transfers.box.hide();
    // the focus never stays on a pane that went away
    const focused = screen.focused as Widgets.BlessedElement | undefined;
    if (focused && (focused === transfers.box && !g.transfers || !g.side && (focused === online.list || focused === files.list))) input.focus();
  };
  relayout();
  return { screen, messages, online, files, transfers, model, input, buttons, status, dialog, ring, sideShown, relayout };
}
