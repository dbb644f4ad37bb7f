// Line mode: commands from a stream (stdin), one per line; events to another (stdout), one per line, as JSON
// objects with --json or as readable text. End of input means /quit once pending downloads have ended.
import readline from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { ClientEvent } from '../machines/client-events.js';
import { REFUSAL_CODES } from '../machines/errors.js';
import type { ClientRuntime } from './client-runtime.js';
import { finishedText } from './finished-text.js';

// Remote text (names, messages, file names, reasons) is shown with control characters made visible, so that no
// peer can move the cursor, retitle or clear a terminal, or forge a line that looks like an event (an embedded
// newline becomes "\n"). JSON mode needs none of this: JSON.stringify escapes them.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
function visible(s: unknown): string {
  return String(s).replace(CONTROL, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\t') return '\\t';
    if (c === '\r') return '\\r';
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

export function formatEvent(ev: ClientEvent, opts: { autoYes?: boolean } = {}): string {
  const v = visible;
  const time = (ts: number) => new Date(ts).toTimeString().slice(0, 8);
  switch (ev.type) {
    case 'connected': return `* connected as ${v(ev.name)} to ${ev.server}; online: ${ev.online.map(v).join(', ')}`;
    case 'joined': return `* ${v(ev.name)} joined`;
    case 'left': return `* ${v(ev.name)} left${ev.reason ? ` (${v(ev.reason)})` : ''}`;
    case 'message': return ev.to ? `[${time(ev.ts)}] ${v(ev.from)} -> ${v(ev.to)} (private): ${v(ev.text)}` : `[${time(ev.ts)}] ${v(ev.from)}: ${v(ev.text)}`;
    case 'online': return `* online (${ev.names.length}): ${ev.names.map(v).join(', ')}`;
    case 'files': return ev.files.length ? `* files:\n${ev.files.map((f) => `    ${v(f.name)}  ${f.size} bytes`).join('\n')}` : '* no shared files';
    case 'history': return ev.older && !ev.messages.length ? '* no older messages' : ev.messages.map((m) => `[${time(m.ts)}] (history) ${v(m.from)}${m.to ? ` -> ${v(m.to)} (private)` : ''}: ${v(m.text)}`).join('\n');
    case 'download': return `* download ${ev.id}: ${v(ev.file)}, ${ev.size} bytes${ev.resumed ? `, resuming at ${ev.offset}` : ''} -> ${ev.path}`;
    case 'consent': return `? download ${ev.id} (${v(ev.file)}) is at ${ev.received} of ${ev.size} bytes: ${opts.autoYes ? 'continuing (--yes)' : 'continue? /yes or /no'}`;
    case 'progress': return `* ${v(ev.file)}: ${ev.received}/${ev.size} bytes (${ev.size ? Math.floor((100 * ev.received) / ev.size) : 100}%)`;
    case 'finished': return `* ${v(finishedText(ev))}`;
    case 'stopped': return `* download ${ev.id} (${v(ev.file)}) stopped at ${ev.received} bytes (${v(ev.reason)}); partial file kept at ${v(ev.path)}`;
    case 'error': return `! ${v(ev.code)}: ${v(ev.message)}`;
    case 'registered': return ev.changed ? `* the password of ${v(ev.name)} is changed` : `* ${v(ev.name)} is registered: from now on it connects only with its password`;
    case 'disconnected': return `* disconnected (${v(ev.reason)})`;
    case 'reconnecting': return `* connection lost (${v(ev.reason)}); reconnecting to ${v(ev.host)} in ${Math.round(ev.inMs / 100) / 10}s (attempt ${ev.attempt})`;
    case 'info': return `* ${v(ev.text)}`;
    case 'trusted': return `* ${v(ev.text)}`;
    case 'help': return ev.text;
  }
}

export function runLineClient(client: ClientRuntime, input: Readable, output: Writable, json: boolean): Promise<string> {
  let connected = false;
  /** Online now (connected and not reconnecting since). */
  let online = false;
  let refusal: string | null = null;
  client.on('event', (ev) => {
    output.write((json ? JSON.stringify(ev.type === 'finished' ? { ...ev, text: finishedText(ev) } : ev) : formatEvent(ev, { autoYes: client.opts.yes })) + '\n');
    if (ev.type === 'connected') connected = online = true;
    if (ev.type === 'reconnecting') online = false;
    // a refused nickname ends line mode, at the first connection or coming back: a script has no one to ask for another
    if (ev.type === 'error' && !online && REFUSAL_CODES.has(ev.code)) { refusal = ev.code; void client.quit(); }
  });
  const rl = readline.createInterface({ input, crlfDelay: Infinity, terminal: false });
  const queued: string[] = [];
  rl.on('line', (line) => { if (connected || client.isOnline) client.command(line); else queued.push(line); });
  client.on('event', (ev) => { if (ev.type === 'connected') for (const l of queued.splice(0)) client.command(l); });
  rl.on('close', () => {
    // end of input: /quit once pending downloads have ended and the questions asked have their answers
    const finish = () => client.settled().then(() => client.downloads.idle()).then(() => client.quit());
    if (connected) void finish();
    else client.on('event', (ev) => { if (ev.type === 'connected') void finish(); });
  });
  client.start();
  // a refusal is the reason the session ended, not the /quit that followed it
  return client.whenClosed().then((reason) => refusal ?? reason);
}
