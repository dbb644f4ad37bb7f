// Bytes <-> frames for the TCP control protocol. Pure: no sockets. Every refusal is a FrameError with a stable
// code, so that the session can answer it and go on. Lines are split upstream (runtime/line-splitter.ts); this
// module sees one complete line without its newline.
import { MessengerError } from './errors.js';
import type { ClientFrame, ServerFrame } from './frames.js';

export const MAX_LINE_BYTES = 65536;
export const MAX_TEXT_CHARS = 4000;
export const MAX_NAME_CHARS = 24;
/** Messages one `history` request gets at most. */
export const MAX_HISTORY_PAGE = 500;
/** A `history` frame is cut (its oldest lines left out) to stay under this, below what a client accepts in a line. */
export const MAX_HISTORY_FRAME_BYTES = 192 * 1024;
/** Messages a `history` request without `limit` gets. */
export const DEFAULT_HISTORY_PAGE = 100;

export class FrameError extends MessengerError {}

const utf8 = new TextDecoder('utf-8', { fatal: true });

type Fields = Record<string, unknown>;
type Check = (o: Fields) => ClientFrame;

const isInt = (x: unknown, min = 0, max = Number.MAX_SAFE_INTEGER): x is number =>
  typeof x === 'number' && Number.isInteger(x) && x >= min && x <= max;

function str(o: Fields, key: string, type: string, max: number, optional = false): string | undefined {
  const v = o[key];
  if (v === undefined && optional) return undefined;
  if (typeof v !== 'string') throw new FrameError('bad-frame', `${type}: field "${key}" must be a string`);
  if (v.length > max) throw new FrameError(key === 'text' ? 'text-too-long' : 'bad-frame', `${type}: field "${key}" is longer than ${max} characters`);
  return v;
}

function int(o: Fields, key: string, type: string, optional = false): number | undefined {
  const v = o[key];
  if (v === undefined && optional) return undefined;
  if (!isInt(v)) throw new FrameError('bad-frame', `${type}: field "${key}" must be a non-negative integer`);
  return v;
}

const CHECKS: Record<string, Check> = {
  hello: (o) => ({ type: 'hello', v: int(o, 'v', 'hello')!, name: str(o, 'name', 'hello', 256)! }),
  say: (o) => ({ type: 'say', text: str(o, 'text', 'say', MAX_TEXT_CHARS)! }),
  tell: (o) => ({ type: 'tell', to: str(o, 'to', 'tell', 256)!, text: str(o, 'text', 'tell', MAX_TEXT_CHARS)! }),
  who: () => ({ type: 'who' }),
  files: () => ({ type: 'files' }),
  history: (o) => {
    const f: ClientFrame = { type: 'history' };
    const before = int(o, 'before', 'history', true);
    const limit = int(o, 'limit', 'history', true);
    if (before !== undefined) f.before = before;
    if (limit !== undefined) f.limit = limit;
    return f;
  },
  get: (o) => {
    const f: ClientFrame = { type: 'get', file: str(o, 'file', 'get', 4096)! };
    const offset = int(o, 'offset', 'get', true);
    const sha256 = str(o, 'sha256', 'get', 64, true);
    const ref = str(o, 'ref', 'get', 64, true);
    if (sha256 !== undefined && !/^[0-9a-f]{64}$/.test(sha256)) throw new FrameError('bad-frame', 'get: "sha256" must be 64 hex digits');
    if (offset !== undefined) f.offset = offset;
    if (sha256 !== undefined) f.sha256 = sha256;
    if (ref !== undefined) f.ref = ref;
    return f;
  },
  consent: (o) => {
    const answer = o.answer;
    if (answer !== 'yes' && answer !== 'no') throw new FrameError('bad-frame', 'consent: "answer" must be "yes" or "no"');
    return { type: 'consent', id: int(o, 'id', 'consent')!, answer };
  },
  stop: (o) => ({ type: 'stop', id: int(o, 'id', 'stop')! }),
  ping: (o) => { const t = int(o, 't', 'ping', true); return t === undefined ? { type: 'ping' } : { type: 'ping', t }; },
  pong: (o) => { const t = int(o, 't', 'pong', true); return t === undefined ? { type: 'pong' } : { type: 'pong', t }; },
  bye: () => ({ type: 'bye' }),
};

/** Parses one line (without its newline) into a client frame, or throws a FrameError. */
export function decodeClientFrame(line: Uint8Array): ClientFrame {
  if (line.length > MAX_LINE_BYTES) throw new FrameError('line-too-long', `a line is limited to ${MAX_LINE_BYTES} bytes`);
  let text: string;
  try { text = utf8.decode(line); } catch { throw new FrameError('bad-encoding', 'a line must be valid UTF-8'); }
  let value: unknown;
  try { value = JSON.parse(text); } catch { throw new FrameError('bad-json', 'a line must hold one JSON object'); }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new FrameError('bad-frame', 'a frame must be a JSON object');
  const o = value as Fields;
  if (typeof o.type !== 'string') throw new FrameError('bad-frame', 'a frame needs a string field "type"');
  const check = Object.hasOwn(CHECKS, o.type) ? CHECKS[o.type] : undefined;
  if (!check) throw new FrameError('unknown-type', `unknown frame type "${o.type.slice(0, 40)}"`);
  return check(o);
}

/** One frame as one line of bytes, newline included: encode once, write to many. */
export function encodeFrame(frame: ServerFrame | ClientFrame): Buffer {
  return Buffer.from(JSON.stringify(frame) + '\n', 'utf8');
}

// ---- the client side: server frames are parsed more leniently (unknown types are passed on, not refused), but
// never trusted: the client runtime checks the fields it uses.
export function decodeServerFrame(line: Uint8Array): ServerFrame {
  let text: string;
  try { text = utf8.decode(line); } catch { throw new FrameError('bad-encoding', 'server sent invalid UTF-8'); }
  let value: unknown;
  try { value = JSON.parse(text); } catch { throw new FrameError('bad-json', 'server sent a line that is not JSON'); }
  if (value === null || typeof value !== 'object' || Array.isArray(value) || typeof (value as Fields).type !== 'string') {
    throw new FrameError('bad-frame', 'server sent a frame without a type');
  }
  return value as ServerFrame;
}

