// Placeholder: the full-screen client lands with its issue. Until then, line mode on the terminal.
import { ClientRuntime, type ClientOptions } from '../runtime/client-runtime.js';
import { runLineClient } from '../runtime/line-client.js';

export interface FullScreenOptions extends Omit<ClientOptions, 'name'> { name?: string }

export async function runFullScreen(opts: FullScreenOptions): Promise<void> {
  const client = new ClientRuntime({ ...opts, name: opts.name ?? `guest${process.pid}` });
  await runLineClient(client, process.stdin, process.stdout, false);
  process.exit(0);
}
