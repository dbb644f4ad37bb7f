// machines/frame-codec.ts: bytes <-> frames. Example-based checks plus property-based ones (fast-check): whatever
// the bytes, decoding either gives a well-formed frame or throws a FrameError with a known code, never anything else.
import { expect } from 'chai';
import fc from 'fast-check';
import { ERROR_CODES } from '../../machines/errors.js';
import { decodeClientFrame, decodeServerFrame, encodeFrame, FrameError } from '../../machines/frame-codec.js';
import type { ClientFrame, ServerFrame } from '../../machines/frames.js';
import { LIMITS } from '../../machines/limits.js';

const MAX_LINE_BYTES = LIMITS.maxLine;
const MAX_TEXT_CHARS = LIMITS.maxText;

const enc = (s: string) => Buffer.from(s, 'utf8');
const decode = (s: string) => decodeClientFrame(enc(s));

function codeOf(f: () => unknown): string {
  try { f(); } catch (e) {
    expect(e).to.be.instanceOf(FrameError);
    return (e as FrameError).code;
  }
  return 'ok';
}

const CLIENT_TYPES = ['hello', 'say', 'tell', 'who', 'files', 'history', 'get', 'consent', 'stop', 'ping', 'pong', 'bye'];

describe('frame-codec', () => {
  describe('decodeClientFrame: valid frames', () => {
    it('decodes every client frame type with its fields', () => {
      const sha = 'a'.repeat(64);
      const cases: [string, ClientFrame][] = [
        ['{"type":"hello","v":1,"name":"alice"}', { type: 'hello', v: 1, name: 'alice' }],
        ['{"type":"say","text":"hi"}', { type: 'say', text: 'hi' }],
        ['{"type":"tell","to":"bob","text":"psst"}', { type: 'tell', to: 'bob', text: 'psst' }],
        ['{"type":"who"}', { type: 'who' }],
        ['{"type":"files"}', { type: 'files' }],
        ['{"type":"history"}', { type: 'history' }],
        ['{"type":"history","before":41,"limit":50}', { type: 'history', before: 41, limit: 50 }],
        ['{"type":"get","file":"a.txt"}', { type: 'get', file: 'a.txt' }],
        [`{"type":"get","file":"a.txt","offset":10,"sha256":"${sha}","ref":"r1"}`, { type: 'get', file: 'a.txt', offset: 10, sha256: sha, ref: 'r1' }],
        ['{"type":"consent","id":3,"answer":"yes"}', { type: 'consent', id: 3, answer: 'yes' }],
        ['{"type":"consent","id":3,"answer":"no"}', { type: 'consent', id: 3, answer: 'no' }],
        ['{"type":"stop","id":0}', { type: 'stop', id: 0 }],
        ['{"type":"ping"}', { type: 'ping' }],
        ['{"type":"ping","t":5}', { type: 'ping', t: 5 }],
        ['{"type":"pong","t":5}', { type: 'pong', t: 5 }],
        ['{"type":"bye"}', { type: 'bye' }],
      ];
      for (const [line, frame] of cases) expect(decode(line), line).to.deep.equal(frame);
    });

    it('drops unknown extra fields (forward compatibility) and keeps only the known ones', () => {
      expect(decode('{"type":"say","text":"x","extra":1,"nested":{"a":[1]}}')).to.deep.equal({ type: 'say', text: 'x' });
      expect(decode('{"type":"who","to":"x"}')).to.deep.equal({ type: 'who' });
    });

    it('keeps text exactly (unicode, escapes, empty, whitespace) and accepts 4000 characters', () => {
      for (const text of ['', ' ', 'ünïcødé 漢字 😀', 'line\nbreak', 'tab\tand "quotes" \\', 'x'.repeat(MAX_TEXT_CHARS)]) {
        expect(decode(JSON.stringify({ type: 'say', text }))).to.deep.equal({ type: 'say', text });
      }
    });

    it('accepts a line of exactly MAX_LINE_BYTES', () => {
      const head = '{"type":"say","text":"';
      const line = head + 'a'.repeat(MAX_LINE_BYTES - head.length - 2) + '"}';
      expect(line.length).to.equal(MAX_LINE_BYTES);
      // 65530-ish characters is over the text limit: the line itself is accepted, the field is not
      expect(codeOf(() => decode(line))).to.equal('text-too-long');
      const ping = '{"type":"ping","x":"' + 'a'.repeat(MAX_LINE_BYTES - 22) + '"}';
      expect(ping.length).to.equal(MAX_LINE_BYTES);
      expect(decode(ping)).to.deep.equal({ type: 'ping' });
    });
  });

  describe('decodeClientFrame: refusals with stable codes', () => {
    const cases: [string | Buffer, string][] = [
      [Buffer.alloc(MAX_LINE_BYTES + 1, 0x20), 'line-too-long'],
      [Buffer.from([0xff, 0xfe]), 'bad-encoding'],
      [Buffer.from([0x7b, 0xc3, 0x28, 0x7d]), 'bad-encoding'],
      [Buffer.from([0xed, 0xa0, 0x80]), 'bad-encoding'], // an encoded surrogate (CESU-8)
      ['', 'bad-json'], ['{', 'bad-json'], ['{"type":"say",}', 'bad-json'], ["{'type':'say'}", 'bad-json'], ['NaN', 'bad-json'],
      ['[]', 'bad-frame'], ['null', 'bad-frame'], ['1', 'bad-frame'], ['"who"', 'bad-frame'], ['{}', 'bad-frame'],
      ['{"type":1}', 'bad-frame'], ['{"type":null}', 'bad-frame'], ['{"type":["who"]}', 'bad-frame'],
      ['{"type":"nope"}', 'unknown-type'], ['{"type":"__proto__"}', 'unknown-type'], ['{"type":"hasOwnProperty"}', 'unknown-type'],
      ['{"type":"welcome"}', 'unknown-type'], ['{"type":"Who"}', 'unknown-type'],
      ['{"type":"hello","name":"a"}', 'bad-frame'], ['{"type":"hello","v":"1","name":"a"}', 'bad-frame'],
      ['{"type":"hello","v":1}', 'bad-frame'], ['{"type":"hello","v":1,"name":5}', 'bad-frame'],
      [JSON.stringify({ type: 'hello', v: 1, name: 'n'.repeat(257) }), 'bad-frame'],
      ['{"type":"say"}', 'bad-frame'], ['{"type":"say","text":1}', 'bad-frame'],
      [JSON.stringify({ type: 'say', text: 'x'.repeat(MAX_TEXT_CHARS + 1) }), 'text-too-long'],
      [JSON.stringify({ type: 'tell', to: 'b', text: 'x'.repeat(MAX_TEXT_CHARS + 1) }), 'text-too-long'],
      ['{"type":"tell","text":"x"}', 'bad-frame'], ['{"type":"tell","to":"b"}', 'bad-frame'],
      ['{"type":"get"}', 'bad-frame'], ['{"type":"get","file":"a","offset":-1}', 'bad-frame'], ['{"type":"get","file":"a","offset":1.5}', 'bad-frame'],
      ['{"type":"get","file":"a","offset":"1"}', 'bad-frame'], ['{"type":"get","file":"a","sha256":"ABC"}', 'bad-frame'],
      [`{"type":"get","file":"a","sha256":"${'A'.repeat(64)}"}`, 'bad-frame'], ['{"type":"get","file":"a","ref":7}', 'bad-frame'],
      ['{"type":"consent","id":1}', 'bad-frame'], ['{"type":"consent","answer":"yes"}', 'bad-frame'], ['{"type":"consent","id":1,"answer":"YES"}', 'bad-frame'],
      ['{"type":"stop"}', 'bad-frame'], ['{"type":"stop","id":-2}', 'bad-frame'], ['{"type":"stop","id":1e300}', 'bad-frame'],
      ['{"type":"ping","t":-1}', 'bad-frame'], ['{"type":"pong","t":"x"}', 'bad-frame'],
    ];
    for (const [line, code] of cases) {
      const shown = typeof line === 'string' ? line.slice(0, 60) : `<${line.length} bytes ${line.subarray(0, 4).toString('hex')}>`;
      it(`${shown} -> ${code}`, () => {
        expect(codeOf(() => decodeClientFrame(typeof line === 'string' ? enc(line) : line))).to.equal(code);
      });
    }

    it('a FrameError is a MessengerError with a message a person can read', () => {
      try { decode('{"type":"say"}'); expect.fail('no error'); } catch (e) {
        expect((e as Error).name).to.equal('MessengerError');
        expect((e as Error).message).to.contain('text');
      }
    });
  });

  describe('decodeClientFrame: the limits it is given', () => {
    const limits = { maxLine: 100, maxText: 10 };
    it('refuses text over the configured maxText with text-too-long, and accepts exactly maxText', () => {
      expect(decodeClientFrame(enc(JSON.stringify({ type: 'say', text: 'x'.repeat(10) })), limits)).to.deep.equal({ type: 'say', text: 'x'.repeat(10) });
      expect(codeOf(() => decodeClientFrame(enc(JSON.stringify({ type: 'say', text: 'x'.repeat(11) })), limits))).to.equal('text-too-long');
      expect(codeOf(() => decodeClientFrame(enc(JSON.stringify({ type: 'tell', to: 'b', text: 'x'.repeat(11) })), limits))).to.equal('text-too-long');
    });
    it('refuses a line over the configured maxLine with line-too-long, naming the limit', () => {
      const line = enc(JSON.stringify({ type: 'ping', pad: 'a'.repeat(100) }));
      expect(codeOf(() => decodeClientFrame(line, limits))).to.equal('line-too-long');
      expect(() => decodeClientFrame(line, limits)).to.throw(/100 bytes/);
    });
    it('a larger configured maxText lets through what the default refuses', () => {
      const line = enc(JSON.stringify({ type: 'say', text: 'x'.repeat(MAX_TEXT_CHARS + 1) }));
      expect(codeOf(() => decodeClientFrame(line))).to.equal('text-too-long');
      expect(decodeClientFrame(line, { maxLine: MAX_LINE_BYTES, maxText: MAX_TEXT_CHARS + 1 })).to.deep.include({ type: 'say' });
    });
  });

  describe('decodeServerFrame: error frames', () => {
    it('passes an error frame with a documented code and a message', () => {
      expect(decodeServerFrame(enc('{"type":"error","code":"busy","message":"all ports taken"}'))).to.deep.equal({ type: 'error', code: 'busy', message: 'all ports taken' });
    });
    it('refuses an error frame whose code is not in machines/errors.ts, or without a message, with bad-frame', () => {
      expect(codeOf(() => decodeServerFrame(enc('{"type":"error","code":"made-up","message":"x"}')))).to.equal('bad-frame');
      expect(codeOf(() => decodeServerFrame(enc('{"type":"error","code":"toString","message":"x"}')))).to.equal('bad-frame');
      expect(codeOf(() => decodeServerFrame(enc('{"type":"error","code":"busy"}')))).to.equal('bad-frame');
      expect(() => decodeServerFrame(enc('{"type":"error","code":"made-up","message":"the words"}'))).to.throw(/"made-up": the words/);
    });
  });

  describe('encodeFrame', () => {
    it('is one JSON line ending in a single newline, UTF-8', () => {
      const f: ServerFrame = { type: 'message', from: 'zoë', text: 'a\nb 😀', ts: 1 };
      const b = encodeFrame(f);
      expect(b[b.length - 1]).to.equal(0x0a);
      expect(b.subarray(0, -1).includes(0x0a)).to.equal(false);
      expect(JSON.parse(b.toString('utf8'))).to.deep.equal(f);
    });
  });

  describe('properties (fast-check)', () => {
    const knownCode = (e: unknown) => e instanceof FrameError && (ERROR_CODES as readonly string[]).includes(e.code);

    it('arbitrary bytes: decodeClientFrame returns a client frame or throws a FrameError with a known code', () => {
      fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        try {
          const f = decodeClientFrame(bytes);
          return CLIENT_TYPES.includes(f.type);
        } catch (e) { return knownCode(e); }
      }), { numRuns: 3000 });
    });

    it('arbitrary strings (including lone surrogates): only FrameError', () => {
      fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (s) => {
        try { decodeClientFrame(enc(s)); return true; } catch (e) { return knownCode(e); }
      }), { numRuns: 2000 });
    });

    it('arbitrary JSON values, and objects with a known type and arbitrary fields: only FrameError', () => {
      const anyFields = fc.dictionary(fc.constantFrom('v', 'name', 'text', 'to', 'file', 'offset', 'sha256', 'ref', 'id', 'answer', 't', 'x'), fc.jsonValue(), { maxKeys: 6 });
      const framed = fc.tuple(fc.constantFrom(...CLIENT_TYPES, 'nope', ''), anyFields).map(([type, o]) => ({ ...o, type }));
      fc.assert(fc.property(fc.oneof(fc.jsonValue(), framed), (v) => {
        try {
          const f = decodeClientFrame(enc(JSON.stringify(v)));
          // a frame that decodes has the type it was sent with and only string/number fields
          return f.type === (v as { type: string }).type && Object.values(f).every((x) => typeof x === 'string' || typeof x === 'number');
        } catch (e) { return knownCode(e); }
      }), { numRuns: 3000 });
    });

    it('deeply nested JSON within the line limit: only FrameError', () => {
      for (const depth of [1000, 30000]) {
        expect(codeOf(() => decode('['.repeat(depth) + ']'.repeat(depth)))).to.equal('bad-frame');
        expect(codeOf(() => decode('{"type":"say","text":' + '['.repeat(depth) + ']'.repeat(depth) + '}'))).to.equal('bad-frame');
      }
    });

    it('valid say/tell frames round-trip through JSON: decode(encode(f)) deep-equals f', () => {
      const text = fc.string({ maxLength: 200 });
      const frame = fc.oneof(
        text.map((t): ClientFrame => ({ type: 'say', text: t })),
        fc.tuple(fc.string({ minLength: 1, maxLength: 24 }), text).map(([to, t]): ClientFrame => ({ type: 'tell', to, text: t })),
        fc.nat().map((id): ClientFrame => ({ type: 'stop', id })),
      );
      fc.assert(fc.property(frame, (f) => {
        const line = encodeFrame(f);
        expect(decodeClientFrame(line.subarray(0, -1))).to.deep.equal(f);
      }), { numRuns: 1000 });
    });

    it('decodeServerFrame: arbitrary bytes give an object with a string type or a FrameError', () => {
      fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 256 }), fc.jsonValue().map((v) => enc(JSON.stringify(v) ?? 'null'))), (bytes) => {
        try { return typeof decodeServerFrame(bytes).type === 'string'; } catch (e) { return knownCode(e); }
      }), { numRuns: 2000 });
    });
  });
});
