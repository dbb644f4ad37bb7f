// IRC lines <-> messages: RFC 1459/2812 framing with IRCv3 message tags. Pure: bytes in, typed results out, no
// sockets. A line's body (source, command, parameters) is at most 510 bytes without its CRLF; its tag section at
// most LIMITS.ircMaxTagBytes (what a server must accept). Formatting splits text that would not fit a line.
import { LIMITS } from '../limits.js';

export interface IrcMessage {
  /** Tag keys to values (a tag without a value maps to ''); unescaped. */
  tags: Record<string, string>;
  /** The source (prefix) without its colon; absent on what clients send, as a rule. */
  source?: string;
  /** Upper-cased command word, or a three-digit numeric. */
  command: string;
  params: string[];
}

export type ParseResult =
  | { ok: true; message: IrcMessage }
  /** `too-long`: ERR_INPUTTOOLONG; `empty`: nothing but spaces (ignored); `bad`: no command word */
  | { ok: false; problem: 'too-long' | 'empty' | 'bad'; detail: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });
const latin1 = new TextDecoder('latin1');

/** Text of a line: UTF-8 when it is valid, else Latin-1 (old clients and scripts), so no byte is refused. */
export function decodeText(bytes: Uint8Array): string {
  try { return utf8.decode(bytes); } catch { return latin1.decode(bytes); }
}

const TAG_UNESCAPE: Record<string, string> = { ':': ';', s: ' ', '\\': '\\', r: '\r', n: '\n' };

export function unescapeTagValue(v: string): string {
  return v.replace(/\\(.?)/g, (_m, c: string) => (c === '' ? '' : TAG_UNESCAPE[c] ?? c));
}

export function escapeTagValue(v: string): string {
  return v.replace(/[\\; \r\n]/g, (c) => (c === '\\' ? '\\\\' : c === ';' ? '\\:' : c === ' ' ? '\\s' : c === '\r' ? '\\r' : '\\n'));
}

/** Parses one line (without its line ending). */
export function parseLine(bytes: Uint8Array): ParseResult {
  let start = 0;
  let tags: Record<string, string> = {};
  if (bytes[0] === 0x40 /* @ */) {
    let sp = bytes.indexOf(0x20);
    if (sp < 0) sp = bytes.length;
    if (sp - 1 > LIMITS.ircMaxTagBytes) return { ok: false, problem: 'too-long', detail: `the tags of a line are at most ${LIMITS.ircMaxTagBytes} bytes` };
    tags = parseTags(decodeText(bytes.subarray(1, sp)));
    start = sp;
    while (bytes[start] === 0x20) start++;
  }
  if (bytes.length - start > LIMITS.ircMaxBody) return { ok: false, problem: 'too-long', detail: `a line is at most ${LIMITS.ircMaxBody + 2} bytes with its CRLF` };
  const text = decodeText(bytes.subarray(start));
  let rest = text.replace(/^ +/, '');
  if (rest === '') return { ok: false, problem: 'empty', detail: 'an empty line' };
  let source: string | undefined;
  if (rest.startsWith(':')) {
    const sp = rest.indexOf(' ');
    if (sp < 0) return { ok: false, problem: 'bad', detail: 'a source without a command' };
    source = rest.slice(1, sp);
    rest = rest.slice(sp).replace(/^ +/, '');
  }
  const params: string[] = [];
  let command = '';
  {
    const sp = rest.indexOf(' ');
    command = sp < 0 ? rest : rest.slice(0, sp);
    rest = sp < 0 ? '' : rest.slice(sp + 1);
  }
  if (!/^([A-Za-z]+|\d{3})$/.test(command)) return { ok: false, problem: 'bad', detail: `"${command.slice(0, 32)}" is not a command` };
  while (rest.length) {
    rest = rest.replace(/^ +/, '');
    if (rest === '') break;
    // RFC 2812: at most 15 parameters, the 15th takes the rest of the line
    if (rest.startsWith(':') || params.length === 14) { params.push(rest.startsWith(':') ? rest.slice(1) : rest); break; }
    const sp = rest.indexOf(' ');
    if (sp < 0) { params.push(rest); break; }
    params.push(rest.slice(0, sp));
    rest = rest.slice(sp + 1);
  }
  const message: IrcMessage = { tags, command: command.toUpperCase(), params };
  if (source !== undefined) message.source = source;
  return { ok: true, message };
}

function parseTags(raw: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of raw.split(';')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq);
    if (!/^\+?([A-Za-z0-9.-]+\/)?[A-Za-z0-9-]+$/.test(key)) continue; // a malformed key is dropped, not fatal
    out[key] = eq < 0 ? '' : unescapeTagValue(part.slice(eq + 1));
  }
  return out;
}

/** A parameter that cannot be a middle one (empty, holds a space, starts with a colon) goes last, after a colon. */
function needsTrailing(p: string): boolean {
  return p === '' || p.includes(' ') || p.startsWith(':');
}

/** Replaces what may never travel inside a parameter (CR, LF, NUL) with a space. */
export function clean(s: string): string {
  return s.replace(/[\r\n\0]/g, ' ');
}

/** One line (without CRLF). The last parameter is written after a colon when it must be, or when `trailing`. */
export function formatMessage(m: { tags?: Record<string, string>; source?: string; command: string; params: readonly string[] }, trailing = false): string {
  let out = '';
  const tagKeys = m.tags ? Object.keys(m.tags) : [];
  if (tagKeys.length) out += '@' + tagKeys.map((k) => (m.tags![k] === '' ? k : `${k}=${escapeTagValue(m.tags![k]!)}`)).join(';') + ' ';
  if (m.source) out += `:${m.source} `;
  out += m.command;
  m.params.forEach((raw, i) => {
    const p = clean(raw);
    const last = i === m.params.length - 1;
    out += last && (trailing || needsTrailing(p)) ? ` :${p}` : ` ${p}`;
  });
  return out;
}

/** Bytes of a line's body (everything after the tags). */
export function bodyBytes(line: string): number {
  if (!line.startsWith('@')) return Buffer.byteLength(line);
  const sp = line.indexOf(' ');
  return Buffer.byteLength(line.slice(sp + 1));
}

/** The line cut (at a character boundary) so that its body fits IRC's 510 bytes: for replies that echo what a
 *  client sent (a long nickname in 432, a long target in 401), as servers do. */
export function fitLine(line: string): string {
  if (bodyBytes(line) <= LIMITS.ircMaxBody) return line;
  const sp = line.startsWith('@') ? line.indexOf(' ') + 1 : 0;
  let bytes = 0, end = sp;
  for (const ch of line.slice(sp)) {
    const b = Buffer.byteLength(ch);
    if (bytes + b > LIMITS.ircMaxBody) break;
    bytes += b; end += ch.length;
  }
  return line.slice(0, end);
}

/**
 * `text` cut into pieces that each fit `room` bytes of UTF-8, never inside a character; split first at its own line
 * breaks (IRC has no line break inside a message), then at the last space that fits when there is one.
 */
export function splitText(text: string, room: number): string[] {
  const out: string[] = [];
  for (const line of text.split(/\r\n|\r|\n/)) {
    let rest = line.replace(/\0/g, '');
    if (rest === '') continue;
    while (Buffer.byteLength(rest) > room) {
      let cut = 0, bytes = 0;
      for (const ch of rest) {
        const b = Buffer.byteLength(ch);
        if (bytes + b > room) break;
        bytes += b; cut += ch.length;
      }
      const space = rest.lastIndexOf(' ', cut);
      if (space > cut / 2) cut = space + 1;
      out.push(rest.slice(0, cut));
      rest = rest.slice(cut);
    }
    if (rest) out.push(rest);
  }
  return out;
}

/** A PRIVMSG or NOTICE as lines that each fit IRC's 510 body bytes, whatever the length of `text`. */
export function formatText(m: { tags?: Record<string, string>; source: string; command: 'PRIVMSG' | 'NOTICE'; target: string }, text: string): string[] {
  const head = formatMessage({ source: m.source, command: m.command, params: [m.target, 'x'] }, true);
  const room = Math.max(16, LIMITS.ircMaxBody - (Buffer.byteLength(head) - 1));
  return splitText(text, room).map((piece) => formatMessage({ tags: m.tags, source: m.source, command: m.command, params: [m.target, piece] }, true));
}
