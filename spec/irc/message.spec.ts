// machines/irc/message.ts: IRC lines with tags parsed and formatted, the 512-byte bound, text split to fit.
import { expect } from 'chai';
import { bodyBytes, escapeTagValue, fitLine, formatMessage, formatText, parseLine, splitText, unescapeTagValue } from '../../machines/irc/message.js';
import { LIMITS } from '../../machines/limits.js';

const parse = (s: string | Buffer) => parseLine(typeof s === 'string' ? Buffer.from(s, 'utf8') : s);

describe('machines/irc/message', () => {
  it('parses tags (escaped values, keys without values, client-only and vendor keys), source, command and params', () => {
    const r = parse('@time=2026-01-01T00:00:00.000Z;+draft/typing=active;flag;esc=a\\sb\\:c\\\\d\\r\\n :nick!u@h privmsg #messenger :hello :world  ');
    expect(r.ok).to.equal(true);
    if (!r.ok) return;
    expect(r.message.tags).to.deep.equal({ time: '2026-01-01T00:00:00.000Z', '+draft/typing': 'active', flag: '', esc: 'a b;c\\d\r\n' });
    expect(r.message.source).to.equal('nick!u@h');
    expect(r.message.command).to.equal('PRIVMSG');
    expect(r.message.params).to.deep.equal(['#messenger', 'hello :world  ']);
  });

  it('middle parameters, an empty trailing one, numerics, and at most 15 parameters (the 15th takes the rest)', () => {
    const a = parse('USER guest 0 * :');
    expect(a.ok && a.message.params).to.deep.equal(['guest', '0', '*', '']);
    const b = parse(':messenger 001 alice :Welcome');
    expect(b.ok && b.message.command).to.equal('001');
    const many = parse(`CMD ${Array.from({ length: 17 }, (_, i) => `p${i}`).join(' ')}`);
    expect(many.ok && many.message.params.length).to.equal(15);
    expect(many.ok && many.message.params[14]).to.equal('p14 p15 p16');
    const spaces = parse('   NICK    bob   ');
    expect(spaces.ok && spaces.message.params).to.deep.equal(['bob']);
  });

  it('refuses what is not a message: empty, a source alone, a command that is not a word or three digits', () => {
    expect(parse('   ')).to.deep.include({ ok: false, problem: 'empty' });
    expect(parse(':only-a-source')).to.deep.include({ ok: false, problem: 'bad' });
    expect(parse('PRIV$MSG x')).to.deep.include({ ok: false, problem: 'bad' });
    expect(parse('12 x')).to.deep.include({ ok: false, problem: 'bad' });
  });

  it('bounds: a body over 510 bytes or a tag section over the tag limit is too long; tags do not count against the body', () => {
    const body = `PRIVMSG #m :${'x'.repeat(LIMITS.ircMaxBody - 12)}`;
    expect(Buffer.byteLength(body)).to.equal(LIMITS.ircMaxBody);
    expect(parse(body).ok).to.equal(true);
    expect(parse(body + 'x')).to.deep.include({ ok: false, problem: 'too-long' });
    expect(parse(`@a=${'v'.repeat(4000)} ${body}`).ok).to.equal(true);
    expect(parse(`@a=${'v'.repeat(LIMITS.ircMaxTagBytes)} PING x`)).to.deep.include({ ok: false, problem: 'too-long' });
  });

  it('text that is not UTF-8 is read as Latin-1, never refused', () => {
    const r = parse(Buffer.concat([Buffer.from('PRIVMSG #m :caf'), Buffer.from([0xe9])]));
    expect(r.ok && r.message.params[1]).to.equal('café');
  });

  it('tag values escape and unescape both ways', () => {
    for (const v of ['', 'plain', 'a b;c\\d\r\ne', '\\\\s']) expect(unescapeTagValue(escapeTagValue(v))).to.equal(v);
    expect(unescapeTagValue('trailing\\')).to.equal('trailing');
    expect(unescapeTagValue('\\x')).to.equal('x');
  });

  it('formats: a colon only where a parameter needs one (or asked), CR/LF/NUL never travel, tags escaped', () => {
    expect(formatMessage({ command: 'PING', params: ['messenger'] })).to.equal('PING messenger');
    expect(formatMessage({ source: 's', command: 'PRIVMSG', params: ['#m', 'two words'] })).to.equal(':s PRIVMSG #m :two words');
    expect(formatMessage({ command: 'X', params: [''] })).to.equal('X :');
    expect(formatMessage({ command: 'X', params: [':colon'] })).to.equal('X ::colon');
    expect(formatMessage({ command: 'X', params: ['a'] }, true)).to.equal('X :a');
    expect(formatMessage({ command: 'X', params: ['a\r\nQUIT\0'] }, true)).to.equal('X :a  QUIT ');
    expect(formatMessage({ tags: { time: 't', k: 'a b' }, command: 'X', params: ['y'] })).to.equal('@time=t;k=a\\sb X y');
    expect(bodyBytes('@time=t X y')).to.equal(3);
  });

  it('splitText: at line breaks, then to fit the room in UTF-8 bytes, never inside a character, at a space when one is near', () => {
    expect(splitText('one\ntwo\r\n\nthree', 100)).to.deep.equal(['one', 'two', 'three']);
    const pieces = splitText('é'.repeat(100), 31);
    for (const p of pieces) expect(Buffer.byteLength(p)).to.be.at.most(31);
    expect(pieces.join('')).to.equal('é'.repeat(100));
    expect(splitText('aaaa bbbb cccc', 10)).to.deep.equal(['aaaa bbbb ', 'cccc']);
    expect(splitText('😀'.repeat(10), 9).every((p) => p.length % 2 === 0)).to.equal(true);
  });

  it('formatText: every line of a long message fits 510 bytes and together they hold the text', () => {
    const text = 'word '.repeat(400);
    const lines = formatText({ source: 'bob!bob@messenger', command: 'PRIVMSG', target: '#messenger', tags: { time: 'x' } }, text);
    expect(lines.length).to.be.greaterThan(3);
    for (const l of lines) expect(bodyBytes(l)).to.be.at.most(LIMITS.ircMaxBody);
    expect(lines.map((l) => { const r = parseLine(Buffer.from(l)); return r.ok ? r.message.params[1] : ''; }).join('')).to.equal(text);
  });

  it('fitLine cuts a line\'s body to 510 bytes at a character boundary, tags aside', () => {
    const long = `:messenger 432 * ${'é'.repeat(400)} :Erroneous nickname`;
    const cut = fitLine(long);
    expect(bodyBytes(cut)).to.be.at.most(LIMITS.ircMaxBody);
    expect(long.startsWith(cut)).to.equal(true);
    expect(fitLine('@t=1 PING x')).to.equal('@t=1 PING x');
    expect(bodyBytes(fitLine(`@t=${'v'.repeat(600)} PRIVMSG #m :${'x'.repeat(600)}`))).to.equal(LIMITS.ircMaxBody);
  });
});
