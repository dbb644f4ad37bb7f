// The full-screen client: a blessed screen over a ClientRuntime. Asks for a nickname when --name is missing,
// draws the runtime's events, and leaves cleanly (terminal restored) on /quit, Log out, F10 or Ctrl-C.
import type { Widgets } from 'neo-blessed';
import { ClientRuntime, type ClientOptions } from '../runtime/client-runtime.js';
import { Controller } from './controller.js';
import { bindKeys } from './keys.js';
import { createScreen } from './layout.js';
import { askName } from './name-prompt.js';
import { safe } from './sanitize.js';

export interface FullScreenOptions extends Omit<ClientOptions, 'name'> { name?: string }

function anyKey(screen: Widgets.Screen): Promise<void> {
  return new Promise((resolve) => screen.once('keypress', () => resolve()));
}

export async function runFullScreen(opts: FullScreenOptions): Promise<void> {
  const screen = createScreen();
  let finished = false;
  const finish = (code: number): never => {
    if (!finished) {
      finished = true;
      screen.destroy(); // leaves the alternate screen, shows the cursor, turns mouse reporting off
    }
    process.exit(code);
  };
  const ctl = new Controller(screen, `${opts.host}:${opts.port}`);
  ctl.onForceExit = () => finish(130);
  bindKeys(screen, ctl);
  screen.render();
  for (const sig of ['SIGTERM', 'SIGHUP'] as const) process.on(sig, () => ctl.leave());

  const name = opts.name ?? (await askName(screen, ''));
  if (name === null) finish(0);
  const client = new ClientRuntime({ ...opts, name: name! });
  ctl.attach(client);
  client.start();
  const reason = await client.whenClosed();
  if (reason === 'quit') finish(0);
  ctl.ui.messages.system(`{red-fg}the session is over (${safe(reason)}): press any key to leave{/red-fg}`);
  ctl.ui.status.set({ connection: 'closed', hint: 'press any key to leave' });
  await anyKey(screen);
  finish(1);
}
