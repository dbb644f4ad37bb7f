// Line mode: commands from a stream (stdin), one per line; events to another (stdout), one per line, as JSON
// objects with --json or as readable text. End of input means /quit once pending downloads have ended.
import readline from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { ClientEvent } from '../machines/client-events.js';
import type { ClientRuntime } from './client-runtime.js';

const REFUSALS = new Set(['name-taken', 'invalid-name', 'bad-version', 'too-many-connections']);

export function formatEvent(ev: ClientEvent): string {
  const time = (ts: number) => new Date(ts).toTimeString().slice(0, 8);
  switch (ev.type) {
    case 'connected': return `* connected as ${ev.name} to ${ev.server}; online: ${ev.online.join(', ')}`;
    case 'joined': return `* ${ev.name} joined`;
    case 'left': return `* ${ev.name} left${ev.reason ? ` (${ev.reason})` : ''}`;
    case 'message': return ev.to ? `[${time(ev.ts)}] ${ev.from} -> ${ev.to} (private): ${ev.text}` : `[${time(ev.ts)}] ${ev.from}: ${ev.text}`;
    case 'online': return `* online (${ev.names.length}): ${ev.names.join(', ')}`;
    case 'files': return ev.files.length ? `* files:\n${ev.files.map((f) => `    ${f.name}  ${f.size} bytes`).join('\n')}` : '* no shared files';
    case 'history': return ev.messages.map((m) => `[${time(m.ts)}] (history) ${m.from}: ${m.text}`).join('\n');
    case 'download': return `* download ${ev.id}: ${ev.file}, ${ev.size} bytes${ev.resumed ? `, resuming at ${ev.offset}` : ''} -> ${ev.path}`;
    case 'consent': return `? download ${ev.id} (${ev.file}) is at ${ev.received} of ${ev.size} bytes: continue? /yes or /no`;
    case 'progress': return `* ${ev.file}: ${ev.received}/${ev.size} bytes (${ev.size ? Math.floor((100 * ev.received) / ev.size) : 100}%)`;
    case 'finished': return `* ${ev.text}`;
    case 'stopped': return `* download ${ev.id} (${ev.file}) stopped at ${ev.received} bytes (${ev.reason}); partial file kept at ${ev.path}`;
    case 'error': return `! ${ev.code}: ${ev.message}`;
    case 'disconnected': return `* disconnected (${ev.reason})`;
    case 'reconnecting': return `* connection lost (${ev.reason}); reconnecting in ${Math.round(ev.inMs / 100) / 10}s (attempt ${ev.attempt})`;
    case 'info': return `* ${ev.text}`;
    case 'help': return ev.text;
  }
}

export function runLineClient(client: ClientRuntime, input: Readable, output: Writable, json: boolean): Promise<string> {
  let connected = false;
  let refusal: string | null = null;
  client.on('event', (ev) => {
    output.write((json ? JSON.stringify(ev) : formatEvent(ev)) + '\n');
    if (ev.type === 'connected') connected = true;
    // a refused nickname ends line mode: a script has no one to ask for another
    if (ev.type === 'error' && !connected && REFUSALS.has(String(ev.code))) { refusal = String(ev.code); void client.quit(); }
  });
  const rl = readline.createInterface({ input, crlfDelay: Infinity, terminal: false });
  const queued: string[] = [];
  rl.on('line', (line) => { if (connected || client.isOnline) client.command(line); else queued.push(line); });
  client.on('event', (ev) => { if (ev.type === 'connected') for (const l of queued.splice(0)) client.command(l); });
  rl.on('close', () => {
    // end of input: /quit once pending downloads have ended
    const finish = () => client.downloads.idle().then(() => client.quit());
    if (connected) void finish();
    else client.on('event', (ev) => { if (ev.type === 'connected') void finish(); });
  });
  client.start();
  // a refusal is the reason the session ended, not the /quit that followed it
  return client.whenClosed().then((reason) => refusal ?? reason);
}
