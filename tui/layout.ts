// The screen and its panes:
//   +- Messages ----------------------------+- Online -+
//   |                                       |          |
//   |                                       +- Files --+
//   |                                       |          |
//   +- Transfers ---------------------------+----------+
//   +- Message to all ---------------------------------+   input line
//    F1 Help  F2 Online  F3 Files  ...                      button row
//    server | nick | connection | transfers               status bar
import blessed from 'neo-blessed';
import type { Widgets } from 'neo-blessed';
import type { FileEntry } from '../machines/frames.js';
import { ConsentDialog } from './consent-dialog.js';
import { InputLine } from './input.js';
import { ButtonRow, type Action } from './panes/buttons.js';
import { FilesPane } from './panes/files.js';
import { MessagesPane } from './panes/messages.js';
import { OnlinePane } from './panes/online.js';
import { StatusBar } from './panes/status.js';
import { TransfersPane } from './panes/transfers.js';
import { TransfersModel } from './transfers-model.js';

export const SIDE_WIDTH = 28;
export const TRANSFERS_HEIGHT = 6;

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
}

export function createScreen(): Widgets.Screen {
  return blessed.screen({
    smartCSR: true, fullUnicode: true, autoPadding: true, title: 'messenger', dockBorders: true,
    warnings: false, sendFocus: false, ignoreLocked: ['C-c'],
  } as Widgets.IScreenOptions);
}

export function buildLayout(screen: Widgets.Screen, h: LayoutHandlers): Ui {
  const bottom = 5 + TRANSFERS_HEIGHT; // status 1 + buttons 1 + input 3 + transfers
  const messages = new MessagesPane(screen, { top: 0, left: 0, width: `100%-${SIDE_WIDTH}`, height: `100%-${bottom}` });
  const side = blessed.box({ parent: screen, top: 0, right: 0, width: SIDE_WIDTH, height: `100%-${bottom}` });
  const online = new OnlinePane(side, { top: 0, left: 0, width: '100%', height: '50%' }, h.pickName);
  const files = new FilesPane(side, { top: '50%', left: 0, width: '100%', height: '50%' }, h.pickFile);
  const model = new TransfersModel();
  const transfers = new TransfersPane(screen, { bottom: 5, left: 0, width: '100%', height: TRANSFERS_HEIGHT }, model);
  const input = new InputLine({
    parent: screen, label: 'Message to all', position: { bottom: 2, left: 0, width: '100%', height: 3 },
    onSubmit: h.submit, onEscape: h.escape,
  });
  const buttons = new ButtonRow(screen, h.actions);
  const status = new StatusBar(screen);
  const dialog = new ConsentDialog(screen, h.answer, () => (screen.width as number) - SIDE_WIDTH - 4);
  const ring = () => [
    input.box, ...dialog.focusables, messages.log, online.list, files.list, transfers.box, ...buttons.buttons,
  ] as Widgets.BlessedElement[];
  return { screen, messages, online, files, transfers, model, input, buttons, status, dialog, ring };
}
