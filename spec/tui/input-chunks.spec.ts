// Terminal input split before blessed reads it: each mouse report alone, the bytes between kept whole; and every
// 'data' listener sees the pieces in order.
import { EventEmitter } from 'node:events';
import { expect } from 'chai';
import { splitInput, splitMouseReports } from '../../tui/input-chunks.js';

const text = (bs: Buffer[]) => bs.map((b) => b.toString('latin1'));

describe('tui/input-chunks', () => {
  it('splits a press and a release read together (SGR) into two reports', () => {
    expect(text(splitInput(Buffer.from('\x1b[<0;12;5M\x1b[<0;12;5m')))).to.deep.equal(['\x1b[<0;12;5M', '\x1b[<0;12;5m']);
  });

  it('keeps keys typed around a click apart from the reports, whole', () => {
    expect(text(splitInput(Buffer.from('ab\x1b[<0;1;2M\x1b[<0;1;2mpsst\r')))).to.deep.equal(['ab', '\x1b[<0;1;2M', '\x1b[<0;1;2m', 'psst\r']);
  });

  it('splits urxvt and X10 reports, and leaves key escape sequences and other input alone', () => {
    expect(text(splitInput(Buffer.from('\x1b[32;10;5M\x1b[M #%\x1b[A')))).to.deep.equal(['\x1b[32;10;5M', '\x1b[M #%', '\x1b[A']);
    const keys = Buffer.from('\x1b[19~hello\x1b[Z\x1b[5~');
    expect(splitInput(keys)).to.have.length(1);
    expect(splitInput(keys)[0]).to.equal(keys);
    expect(text(splitInput(Buffer.from('\x1b[<0;1')))).to.deep.equal(['\x1b[<0;1']); // incomplete: left as it came
  });

  it('gives every data listener each piece in order; other events pass untouched', () => {
    const input = new EventEmitter();
    splitMouseReports(input);
    const a: string[] = [];
    const b: string[] = [];
    input.on('data', (d: Buffer) => a.push(d.toString()));
    input.on('data', (d: Buffer) => b.push(d.toString()));
    let other: unknown = null;
    input.on('keypress', (x: unknown) => { other = x; });
    input.emit('data', Buffer.from('x\x1b[<0;3;4M\x1b[<0;3;4m'));
    input.emit('keypress', 'k');
    expect(a).to.deep.equal(['x', '\x1b[<0;3;4M', '\x1b[<0;3;4m']);
    expect(b).to.deep.equal(a);
    expect(other).to.equal('k');
  });
});
