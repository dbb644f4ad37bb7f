// Slash commands typed by a person (line mode and the full-screen client share them). Pure parsing.
export type Command =
  | { kind: 'all'; text: string }
  | { kind: 'msg'; to: string; text: string }
  | { kind: 'who' }
  | { kind: 'files' }
  | { kind: 'history'; count?: number }
  | { kind: 'get'; file: string }
  | { kind: 'yes'; id?: number }
  | { kind: 'no'; id?: number }
  | { kind: 'stop'; id?: number }
  /** registers the current nickname; `password` from a dialog (the full-screen client), else the runtime's source */
  | { kind: 'register'; password?: string }
  /** changes the password; `password` (the new one) from a dialog, else the runtime's source */
  | { kind: 'password'; password?: string }
  | { kind: 'quit' }
  | { kind: 'help' }
  | { kind: 'empty' }
  | { kind: 'invalid'; message: string };

export const HELP_TEXT = [
  'Commands:',
  '  TEXT or /all TEXT     send TEXT to everyone',
  '  /msg NAME TEXT        send TEXT to NAME only',
  '  /who                  who is online',
  '  /files                files the server shares',
  '  /history [N]          N older messages to all (default 100, at most 500 a time)',
  '  /get FILE             download FILE (resumes a kept partial copy)',
  '  /yes [ID], /no [ID]   answer the halfway question of a download (the oldest one without ID)',
  '  /stop [ID]            cancel a running download (keeps the partial file)',
  '  /register             protect your nickname with the password from --password-file or MESSENGER_PASSWORD',
  '                        (the full-screen client asks for it)',
  '  /password             change it (the new one from the same place; the full-screen client asks)',
  '  /quit                 leave (after pending downloads in line mode)',
  '  /help                 this text',
].join('\n');

function optId(rest: string): number | undefined | null {
  const t = rest.trim();
  if (!t) return undefined;
  return /^\d+$/.test(t) ? Number(t) : null;
}

export function parseCommand(line: string): Command {
  const s = line.replace(/\r?\n$/, '');
  if (!s.trim()) return { kind: 'empty' };
  if (!s.startsWith('/')) return { kind: 'all', text: s };
  const m = /^\/(\S*)\s?([\s\S]*)$/.exec(s)!;
  const verb = m[1]!.toLowerCase();
  const rest = m[2] ?? '';
  switch (verb) {
    case 'all': case 'say':
      return rest.trim() ? { kind: 'all', text: rest } : { kind: 'invalid', message: 'usage: /all TEXT' };
    case 'msg': case 'tell': case 'w': {
      const mm = /^\s*(\S+)\s+([\s\S]+)$/.exec(rest);
      return mm ? { kind: 'msg', to: mm[1]!, text: mm[2]! } : { kind: 'invalid', message: 'usage: /msg NAME TEXT' };
    }
    case 'who': case 'online': return { kind: 'who' };
    case 'files': case 'ls': return { kind: 'files' };
    case 'history': {
      const n = optId(rest);
      if (n === null || n === 0) return { kind: 'invalid', message: 'usage: /history [N] (N from 1 to 500)' };
      return n === undefined ? { kind: 'history' } : { kind: 'history', count: n };
    }
    case 'get': case 'download': {
      const file = rest.trim();
      return file ? { kind: 'get', file } : { kind: 'invalid', message: 'usage: /get FILE' };
    }
    case 'yes': case 'y': case 'no': case 'n': case 'stop': case 'cancel': {
      const id = optId(rest);
      if (id === null) return { kind: 'invalid', message: `usage: /${verb} [ID]` };
      const kind = verb.startsWith('y') ? 'yes' : verb.startsWith('n') ? 'no' : 'stop';
      return id === undefined ? { kind } : { kind, id };
    }
    case 'register':
      // a password is never typed on the command line (it would be shown and kept in the input history)
      return rest.trim() ? { kind: 'invalid', message: 'usage: /register (the password comes from --password-file, MESSENGER_PASSWORD or a dialog, never the command line)' } : { kind: 'register' };
    case 'password': case 'passwd':
      return rest.trim() ? { kind: 'invalid', message: 'usage: /password (the new password comes from --password-file, MESSENGER_PASSWORD or a dialog, never the command line)' } : { kind: 'password' };
    case 'quit': case 'exit': case 'logout': return { kind: 'quit' };
    case 'help': case '?': return { kind: 'help' };
    default: return { kind: 'invalid', message: `unknown command /${verb}; /help lists them` };
  }
}
