// runtime/line-splitter.ts: bytes -> lines, bounded.
import { expect } from 'chai';
import fc from 'fast-check';
import { LineSplitter } from '../../runtime/line-splitter.js';

function make(max = 16) {
  const lines: string[] = [];
  let tooLong = 0;
  const s = new LineSplitter(max, { line: (b) => lines.push(b.toString('latin1')), tooLong: () => { tooLong++; } });
  return { s, lines, tooLong: () => tooLong, push: (x: string) => s.push(Buffer.from(x, 'latin1')) };
}

describe('line-splitter', () => {
  it('splits at newlines, within and across chunks', () => {
    const t = make();
    t.push('ab\ncd'); t.push('ef\n'); t.push('g'); t.push('h'); t.push('\ni\nj\n');
    expect(t.lines).to.deep.equal(['ab', 'cdef', 'gh', 'i', 'j']);
    expect(t.s.pending).to.equal(0);
  });

  it('holds an unfinished line until its newline arrives', () => {
    const t = make();
    t.push('partial');
    expect(t.lines).to.deep.equal([]);
    expect(t.s.pending).to.equal(7);
    t.push('\n');
    expect(t.lines).to.deep.equal(['partial']);
  });

  it('strips one trailing CR and ignores blank lines (also CR-only ones)', () => {
    const t = make();
    t.push('a\r\n\n\r\nb\r\r\n c \n');
    expect(t.lines).to.deep.equal(['a', 'b\r', ' c ']);
  });

  it('accepts a line of exactly maxLine bytes, in one chunk or in pieces', () => {
    const t = make(8);
    t.push('12345678\n');
    t.push('1234'); t.push('5678'); t.push('\n');
    expect(t.lines).to.deep.equal(['12345678', '12345678']);
    expect(t.tooLong()).to.equal(0);
  });

  it('reports a line over maxLine once, drops it up to its newline, then goes on', () => {
    const t = make(8);
    t.push('123456789\nok\n');
    expect(t.tooLong()).to.equal(1);
    t.push('12345'); t.push('67890'); t.push('abc'); t.push('def\nnext\n');
    expect(t.tooLong()).to.equal(2);
    expect(t.lines).to.deep.equal(['ok', 'next']);
  });

  it('an endless line costs at most maxLine bytes and is reported once', () => {
    const t = make(1024);
    const chunk = 'x'.repeat(700);
    for (let i = 0; i < 10000; i++) {
      t.push(chunk);
      expect(t.s.pending).to.be.at.most(1024);
    }
    expect(t.tooLong()).to.equal(1);
    expect(t.lines).to.deep.equal([]);
    t.push('\nafter\n');
    expect(t.lines).to.deep.equal(['after']);
  });

  it('copies held bytes: a reused input buffer does not change a pending line', () => {
    const lines: string[] = [];
    const s = new LineSplitter(64, { line: (b) => lines.push(b.toString()), tooLong: () => {} });
    const buf = Buffer.from('abc');
    s.push(buf);
    buf.write('XYZ');
    s.push(Buffer.from('\n'));
    expect(lines).to.deep.equal(['abc']);
  });

  it('property: however the stream is cut into chunks, the lines are the same', () => {
    const lineArb = fc.string({ unit: fc.constantFrom('a', 'b', '\r', ' ', 'é'), maxLength: 20 });
    fc.assert(fc.property(fc.array(lineArb, { maxLength: 20 }), fc.array(fc.nat(40), { maxLength: 10 }), (ls, cuts) => {
      const stream = Buffer.from(ls.map((l) => l + '\n').join(''), 'utf8');
      const whole = make(1000);
      whole.s.push(stream);
      const pieces = make(1000);
      let at = 0;
      for (const c of cuts) { pieces.s.push(stream.subarray(at, at + c)); at = Math.min(stream.length, at + c); }
      pieces.s.push(stream.subarray(at));
      expect(pieces.lines).to.deep.equal(whole.lines);
      const expected = ls.map((l) => Buffer.from(l.endsWith('\r') ? l.slice(0, -1) : l, 'utf8').toString('latin1')).filter((l) => l.length > 0);
      expect(whole.lines).to.deep.equal(expected);
    }), { numRuns: 500 });
  });
});
