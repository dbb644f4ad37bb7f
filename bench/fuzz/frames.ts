// Generators of hostile lines for the TCP control protocol, and an oracle that says, from docs/PROTOCOL.md alone
// (not from the server's code), what the server must answer to each line. Seeded: the same seed gives the same
// lines. fast-check supplies pools of arbitrary JSON values and strings; the mutations are ours.
import fc from 'fast-check';
import { isUtf8 } from 'node:buffer';

// ------------------------------------------------------------------------------------------------ seeded PRNG
export class Rng {
  private s: number;
  constructor(seed: number) { this.s = (seed >>> 0) || 0x9e3779b9; }
  next(): number { let x = this.s; x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; this.s = x; return x / 0x1_0000_0000; }
  int(n: number): number { return Math.floor(this.next() * n); }
  pick<T>(a: readonly T[]): T { return a[this.int(a.length)]!; }
  chance(p: number): boolean { return this.next() < p; }
}

export const UNICODE_EDGES = [
  '', ' ', '\u0000', '\u0001\u0002\u001f\u007f', '\ud800', '\udfff', 'a\ud800b', '\udc00\ud800', '\ud83d\ude00', '\u202e\u202d', '\ufeff',
  'A\u0301', 'Ａｌｉｃｅ', '\u200b\u200d', '\ufb01', '\u{10ffff}', '\u0130', '\u00df', '\r', '\n', '\t', '\u001b[31mred\u001b[0m', '\u2028\u2029',
  '%2f', '%2F..%2F', '%00', '..', '.', '../etc/passwd', '/etc/passwd', 'a\\b', 'C:\\Windows', 'files/../x', '\u0085', '\uffff', '\ufffe',
  '👩‍👩‍👧‍👦', 'ﷺ', '𒐫', 'x'.repeat(255), 'é'.repeat(128),
];

/** Byte sequences that are not valid UTF-8. */
const BAD_UTF8 = [
  [0xff], [0xfe], [0xc0, 0x80], [0xc1, 0xbf], [0xe0, 0x80, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0xc3], [0xe2, 0x82], [0xf0, 0x9f, 0x98], [0x80], [0xbf],
];

export const KNOWN_TYPES = ['hello', 'say', 'tell', 'who', 'files', 'get', 'consent', 'stop', 'ping', 'pong', 'bye'] as const;

export interface Pools { json: unknown[]; strings: string[]; keys: string[] }

export function makePools(seed: number): Pools {
  return {
    json: fc.sample(fc.jsonValue({ maxDepth: 3 }), { seed, numRuns: 400 }),
    strings: [
      ...fc.sample(fc.string({ unit: 'binary', maxLength: 40 }), { seed: seed + 1, numRuns: 200 }),
      ...fc.sample(fc.string({ unit: 'grapheme', maxLength: 20 }), { seed: seed + 2, numRuns: 100 }),
      ...fc.sample(fc.string({ unit: 'binary-ascii', maxLength: 30 }), { seed: seed + 3, numRuns: 100 }),
      ...UNICODE_EDGES,
    ],
    keys: [...fc.sample(fc.string({ maxLength: 8 }), { seed: seed + 4, numRuns: 40 }), '__proto__', 'constructor', 'prototype', 'type', 'toString', 'hasOwnProperty'],
  };
}

export interface Context {
  /** Names of the well-behaved clients (valid targets and taken names). */
  goodNames: string[];
  /** Files the server shares. */
  sharedFiles: string[];
  /** A fresh valid nickname for this fuzz connection. */
  freshName(): string;
  /** Transfer ids offered to this connection. */
  myIds: number[];
}

export interface Generated { bytes: Buffer; kind: string }

function template(r: Rng, p: Pools, c: Context): Record<string, unknown> {
  const t = r.pick(KNOWN_TYPES);
  const s = () => r.pick(p.strings);
  switch (t) {
    case 'hello': return { type: 'hello', v: r.chance(0.9) ? 1 : r.int(3), name: r.chance(0.6) ? c.freshName() : r.chance(0.5) ? r.pick(c.goodNames) : s() };
    case 'say': return { type: 'say', text: s() };
    case 'tell': return { type: 'tell', to: r.chance(0.7) ? r.pick(c.goodNames) : s(), text: s() };
    case 'get': {
      const f: Record<string, unknown> = { type: 'get', file: r.chance(0.3) ? r.pick(c.sharedFiles) : s() };
      if (r.chance(0.3)) f.offset = r.int(1 << 20);
      if (r.chance(0.2)) f.sha256 = r.chance(0.5) ? 'a'.repeat(64) : s();
      if (r.chance(0.5)) f.ref = `f${r.int(1e6)}`;
      return f;
    }
    case 'consent': return { type: 'consent', id: c.myIds.length && r.chance(0.3) ? r.pick(c.myIds) : r.int(1e6), answer: r.pick(['yes', 'no', 'maybe', 'YES']) };
    case 'stop': return { type: 'stop', id: c.myIds.length && r.chance(0.3) ? r.pick(c.myIds) : r.int(1e6) };
    case 'ping': case 'pong': return r.chance(0.5) ? { type: t } : { type: t, t: r.int(2 ** 40) };
    case 'bye': return r.chance(0.15) ? { type: 'bye' } : { type: 'who' };
    default: return { type: t };
  }
}

function nested(v: unknown, depth: number, r: Rng): string {
  const inner = JSON.stringify(v) ?? 'null';
  return r.chance(0.5) ? '['.repeat(depth) + inner + ']'.repeat(depth) : '{"a":'.repeat(depth) + inner + '}'.repeat(depth);
}

/** One hostile (or occasionally valid) line, without its newline and never holding a newline byte. */
export function generate(r: Rng, p: Pools, c: Context): Generated {
  const roll = r.next();
  let kind: string;
  let text: string | null = null;
  let bytes: Buffer | null = null;
  if (roll < 0.06) {
    kind = 'random-bytes';
    bytes = Buffer.from(Array.from({ length: 1 + r.int(200) }, () => r.int(256)));
  } else if (roll < 0.12) {
    kind = 'non-object';
    text = JSON.stringify(r.pick(p.json)) ?? 'null';
  } else if (roll < 0.16) {
    kind = 'bad-type';
    const v = r.pick<unknown>(['__proto__', 'constructor', 'toString', 'HELLO', 'hello ', '', 1, null, true, ['say'], { type: 'say' }, ...p.strings.slice(0, 20)]);
    text = JSON.stringify({ type: v, text: 'x' });
  } else if (roll < 0.19) {
    kind = 'huge-line';
    text = JSON.stringify({ type: 'say', text: 'x'.repeat(65536 + r.int(20000)) });
  } else if (roll < 0.22) {
    kind = 'deep-nesting';
    text = `{"type":"say","text":${nested('x', 1 + r.int(20000), r)}}`;
    if (r.chance(0.3)) text = nested({ type: 'who' }, 1 + r.int(20000), r);
  } else if (roll < 0.25) {
    kind = 'blank';
    text = r.pick(['', '\r', ' ', '\t']);
  } else {
    const f = template(r, p, c);
    const keys = Object.keys(f).filter((k) => k !== 'type');
    const muts: string[] = [];
    const n = r.chance(0.2) ? 0 : 1 + r.int(3);
    for (let i = 0; i < n; i++) {
      const m = r.pick(['drop', 'retype', 'enlarge', 'nest', 'unicode', 'control', 'extra', 'retype-type', 'drop-type', 'number-edge']);
      muts.push(m);
      const k = keys.length ? r.pick(keys) : null;
      switch (m) {
        case 'drop': if (k) delete f[k]; break;
        case 'retype': if (k) f[k] = r.pick(p.json); break;
        case 'enlarge': if (k) f[k] = 'é'.repeat(r.pick([129, 257, 2001, 4001, 5000])).slice(0, r.pick([64, 65, 256, 257, 4000, 4001, 5000])); break;
        case 'nest': if (k) f[k] = JSON.parse(nested(f[k] ?? 1, 1 + r.int(50), r)); break;
        case 'unicode': if (k) f[k] = r.pick(UNICODE_EDGES) + (typeof f[k] === 'string' ? f[k] : ''); break;
        case 'control': if (k && typeof f[k] === 'string') f[k] = `${f[k]}${String.fromCharCode(r.int(32))}\u007f`; break;
        case 'extra': Object.defineProperty(f, r.pick(p.keys), { value: r.pick(p.json), enumerable: true, configurable: true, writable: true }); break;
        case 'retype-type': f.type = r.pick(p.json); break;
        case 'drop-type': delete f.type; break;
        case 'number-edge': if (k) f[k] = r.pick([-1, -0, 0.5, 1e21, 2 ** 53, 2 ** 53 - 1, Number.MAX_VALUE, 1e-7]); break;
      }
    }
    kind = `mut:${String(f.type)}:${muts.join('+') || 'none'}`;
    text = JSON.stringify(f);
    if (r.chance(0.05)) { text = text.replace('{', '{"type":"ping",'); kind += '+dupkey'; }
  }
  if (!bytes) bytes = Buffer.from(text!, 'utf8');
  if (r.chance(0.12) && bytes.length > 2) {
    const at = r.int(bytes.length);
    const bad = Buffer.from(r.pick(BAD_UTF8));
    bytes = r.chance(0.5) ? Buffer.concat([bytes.subarray(0, at), bad, bytes.subarray(at)]) : Buffer.concat([bytes.subarray(0, at), bad]);
    kind += '+bad-utf8';
  } else if (r.chance(0.06) && bytes.length > 2) {
    bytes = bytes.subarray(0, r.int(bytes.length));
    kind += '+truncated';
  }
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 0x0a) bytes[i] = 0x20;
  return { bytes, kind };
}

// ------------------------------------------------------------------------------------------------ the oracle
export type Expect =
  | { kind: 'none' }
  | { kind: 'error'; codes: string[] }
  | { kind: 'frame'; type: 'hello' | 'say' | 'tell' | 'who' | 'files' | 'get' | 'consent' | 'stop' | 'ping' | 'pong' | 'bye' ; frame: Record<string, unknown> };

const isInt = (x: unknown) => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= Number.MAX_SAFE_INTEGER;
const isStr = (x: unknown, max: number) => typeof x === 'string' && x.length <= max;
const opt = (o: Record<string, unknown>, k: string, ok: (x: unknown) => boolean) => o[k] === undefined || ok(o[k]);

/** What a line must get, by docs/PROTOCOL.md "Framing" and the client-frame table (state-independent part). */
export function classify(line: Buffer, maxLine = 65536): Expect {
  let b = line;
  if (b.length > maxLine) return { kind: 'error', codes: ['line-too-long'] };
  if (b.length && b[b.length - 1] === 0x0d) b = b.subarray(0, b.length - 1);
  if (b.length === 0) return { kind: 'none' };
  if (!isUtf8(b)) return { kind: 'error', codes: ['bad-encoding'] };
  let v: unknown;
  try { v = JSON.parse(b.toString('utf8')); } catch { return { kind: 'error', codes: ['bad-json'] }; }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return { kind: 'error', codes: ['bad-frame'] };
  const o = v as Record<string, unknown>;
  if (typeof o.type !== 'string') return { kind: 'error', codes: ['bad-frame'] };
  if (!(KNOWN_TYPES as readonly string[]).includes(o.type)) return { kind: 'error', codes: ['unknown-type'] };
  const bad = (codes = ['bad-frame']): Expect => ({ kind: 'error', codes });
  switch (o.type) {
    case 'hello': if (!isInt(o.v) || !isStr(o.name, 256)) return bad(); break;
    case 'say':
      if (typeof o.text !== 'string') return bad();
      if (o.text.length > 4000) return bad(['text-too-long']);
      break;
    case 'tell': {
      const toBad = !isStr(o.to, 256);
      const textBad = typeof o.text !== 'string' ? 'bad-frame' : o.text.length > 4000 ? 'text-too-long' : null;
      if (toBad || textBad) return bad([...new Set([...(toBad ? ['bad-frame'] : []), ...(textBad ? [textBad] : [])])]);
      break;
    }
    case 'get':
      if (!isStr(o.file, 4096) || !opt(o, 'offset', isInt) || !opt(o, 'ref', (x) => isStr(x, 64))
        || !opt(o, 'sha256', (x) => typeof x === 'string' && /^[0-9a-f]{64}$/.test(x))) return bad();
      break;
    case 'consent': if (!isInt(o.id) || (o.answer !== 'yes' && o.answer !== 'no')) return bad(); break;
    case 'stop': if (!isInt(o.id)) return bad(); break;
    case 'ping': case 'pong': if (!opt(o, 't', isInt)) return bad(); break;
  }
  return { kind: 'frame', type: o.type as Extract<Expect, { kind: 'frame' }>['type'], frame: o };
}

/** The nickname rules of docs/PROTOCOL.md, written out again here. */
export function validNickname(raw: string): boolean {
  const n = raw.normalize('NFC');
  const len = [...n].length;
  return len >= 1 && len <= 24 && /^[\p{L}\p{N}][\p{L}\p{N}\-_.]*$/u.test(n);
}
