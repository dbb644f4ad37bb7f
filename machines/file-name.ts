// Which file names may be asked for, and which names a client may write. Pure. A shared file is named by its base
// name alone: no separators of any platform, no NUL or control characters, not "." or "..", not hidden, at most
// 255 bytes. The server also resolves the path and checks it stays inside the shared folder (runtime/catalogue.ts).
import { MessengerError } from './errors.js';

const CONTROL = /[\u0000-\u001f\u007f]/;

export function checkSharedName(name: string): string | null {
  if (name.length === 0) return 'a file name cannot be empty';
  if (Buffer.byteLength(name) > 255) return 'a file name is at most 255 bytes';
  if (CONTROL.test(name)) return 'a file name cannot hold control characters';
  if (name.includes('/') || name.includes('\\')) return 'a file name cannot hold a path separator';
  if (name === '.' || name === '..') return 'not a file name';
  if (name.startsWith('.')) return 'hidden files are not shared';
  if (/%2f|%5c|%00/i.test(name)) return 'a file name cannot hold encoded separators';
  return null;
}

export function assertSharedName(name: string): void {
  const why = checkSharedName(name);
  if (why) throw new MessengerError('bad-file-name', why);
}

/** The base name a client may save a server's file under, whatever the server sent. */
export function localBaseName(serverName: string): string | null {
  const base = serverName.split(/[\\/]/).pop() ?? '';
  return checkSharedName(base) === null ? base : null;
}
