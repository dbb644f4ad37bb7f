// Bytes <-> frames for the TCP control protocol. Pure: no sockets. Every refusal is a FrameError with a stable
// code, so that the session can answer it and go on. Lines are split upstream (runtime/line-splitter.ts); this
// module sees one complete line without its newline. The limits it enforces are the ones it is given: the server
// passes the limits it advertises in `welcome` (machines/limits.ts holds the defaults).
import { isErrorCode, MessengerError } from './errors.js';
import type { ClientFrame, ServerFrame } from './frames.js';
import { DEFAULT_LIMITS, LIMITS, type Limits } from './limits.js';

/** The limits the decoder checks: a line's bytes and a message's characters. */
export type CodecLimits = Pick<Limits, 'maxLine' | 'maxText'>;

export class FrameError extends MessengerError {}

const utf8 = new TextDecoder('utf-8', { fatal: true });

type Fields = Record<string, unknown>;
type Check = (o: Fields, limits: CodecLimits) => ClientFrame;

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
  hello: (o) => {
    const f: ClientFrame = { type: 'hello', v: int(o, 'v', 'hello')!, name: str(o, 'name', 'hello', LIMITS.maxNameField)! };
    const password = str(o, 'password', 'hello', LIMITS.maxPassword, true);
    if (password !== undefined) f.password = password;
    const caps = o.caps;
    if (caps !== undefined) {
      // unknown capabilities are ignored (a newer client asks for more than this server knows); the list is bounded
      if (!Array.isArray(caps) || caps.length > LIMITS.maxCaps || !caps.every((c) => typeof c === 'string' && c.length <= 32)) {
        throw new FrameError('bad-frame', `hello: "caps" must be a list of at most ${LIMITS.maxCaps} short strings`);
      }
      f.caps = caps as string[];
    }
    return f;
  },
  register: (o) => ({ type: 'register', password: str(o, 'password', 'register', LIMITS.maxPassword)! }),
  password: (o) => ({ type: 'password', old: str(o, 'old', 'password', LIMITS.maxPassword)!, new: str(o, 'new', 'password', LIMITS.maxPassword)! }),
  say: (o, l) => ({ type: 'say', text: str(o, 'text', 'say', l.maxText)! }),
  tell: (o, l) => ({ type: 'tell', to: str(o, 'to', 'tell', LIMITS.maxNameField)!, text: str(o, 'text', 'tell', l.maxText)! }),
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
    const f: ClientFrame = { type: 'get', file: str(o, 'file', 'get', LIMITS.maxFileField)! };
    const offset = int(o, 'offset', 'get', true);
    const sha256 = str(o, 'sha256', 'get', 64, true);
    const ref = str(o, 'ref', 'get', LIMITS.maxRef, true);
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

/** Parses one line (without its newline) into a client frame within `limits`, or throws a FrameError. */
export function decodeClientFrame(line: Uint8Array, limits: CodecLimits = DEFAULT_LIMITS): ClientFrame {
  if (line.length > limits.maxLine) throw new FrameError('line-too-long', `a line is limited to ${limits.maxLine} bytes`);
  let text: string;
  try { text = utf8.decode(line); } catch { throw new FrameError('bad-encoding', 'a line must be valid UTF-8'); }
  let value: unknown;
  try { value = JSON.parse(text); } catch { throw new FrameError('bad-json', 'a line must hold one JSON object'); }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new FrameError('bad-frame', 'a frame must be a JSON object');
  const o = value as Fields;
  if (typeof o.type !== 'string') throw new FrameError('bad-frame', 'a frame needs a string field "type"');
  const check = Object.hasOwn(CHECKS, o.type) ? CHECKS[o.type] : undefined;
  if (!check) throw new FrameError('unknown-type', `unknown frame type "${o.type.slice(0, 40)}"`);
  return check(o, limits);
}

/** One frame as one line of bytes, newline included: encode once, write to many. */
export function encodeFrame(frame: ServerFrame | ClientFrame): Buffer {
  return Buffer.from(JSON.stringify(frame) + '\n', 'utf8');
}

// ---- the client side: server frames are parsed more leniently (unknown types are passed on, not refused), but
// never trusted: the client runtime checks the fields it uses. An `error` frame must carry a known code (so that no
// undocumented code reaches a script) and a string message.
export function decodeServerFrame(line: Uint8Array): ServerFrame {
  let text: string;
  try { text = utf8.decode(line); } catch { throw new FrameError('bad-encoding', 'server sent invalid UTF-8'); }
  let value: unknown;
  try { value = JSON.parse(text); } catch { throw new FrameError('bad-json', 'server sent a line that is not JSON'); }
  if (value === null || typeof value !== 'object' || Array.isArray(value) || typeof (value as Fields).type !== 'string') {
    throw new FrameError('bad-frame', 'server sent a frame without a type');
  }
  const o = value as Fields;
  if (o.type === 'error') {
    if (!isErrorCode(o.code)) {
      const said = typeof o.message === 'string' ? `: ${o.message.slice(0, 200)}` : '';
      throw new FrameError('bad-frame', `server sent an error with an unknown code ${JSON.stringify(String(o.code)).slice(0, 60)}${said}`);
    }
    if (typeof o.message !== 'string') throw new FrameError('bad-frame', 'server sent an error without a message');
  }
  return value as ServerFrame;
}

