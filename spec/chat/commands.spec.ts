// machines/commands.ts: slash commands typed by a person.
import { expect } from 'chai';
import fc from 'fast-check';
import { HELP_TEXT, parseCommand } from '../../machines/commands.js';

describe('commands', () => {
  const cases: [string, ReturnType<typeof parseCommand>][] = [
    ['', { kind: 'empty' }], ['   ', { kind: 'empty' }], ['\n', { kind: 'empty' }],
    ['hello all', { kind: 'all', text: 'hello all' }],
    ['  leading spaces kept', { kind: 'all', text: '  leading spaces kept' }],
    ['hello\n', { kind: 'all', text: 'hello' }], ['hello\r\n', { kind: 'all', text: 'hello' }],
    ['/all hi there', { kind: 'all', text: 'hi there' }], ['/say hi', { kind: 'all', text: 'hi' }],
    ['/ALL shout', { kind: 'all', text: 'shout' }], ['/all  two', { kind: 'all', text: ' two' }],
    ['/msg bob hi there', { kind: 'msg', to: 'bob', text: 'hi there' }],
    ['/tell bob x', { kind: 'msg', to: 'bob', text: 'x' }], ['/w bob x', { kind: 'msg', to: 'bob', text: 'x' }],
    ['/msg  bob   spaced  out', { kind: 'msg', to: 'bob', text: 'spaced  out' }],
    ['/who', { kind: 'who' }], ['/online', { kind: 'who' }], ['/WHO', { kind: 'who' }],
    ['/files', { kind: 'files' }], ['/ls', { kind: 'files' }],
    ['/history', { kind: 'history' }], ['/history 50', { kind: 'history', count: 50 }],
    ['/get song.mp3', { kind: 'get', file: 'song.mp3' }], ['/download  a b.txt ', { kind: 'get', file: 'a b.txt' }],
    ['/yes', { kind: 'yes' }], ['/y 3', { kind: 'yes', id: 3 }], ['/no', { kind: 'no' }], ['/n 12', { kind: 'no', id: 12 }],
    ['/stop', { kind: 'stop' }], ['/cancel 2', { kind: 'stop', id: 2 }],
    ['/quit', { kind: 'quit' }], ['/exit', { kind: 'quit' }], ['/logout', { kind: 'quit' }],
    ['/help', { kind: 'help' }], ['/?', { kind: 'help' }],
  ];
  for (const [line, cmd] of cases) {
    it(`${JSON.stringify(line)} -> ${cmd.kind}`, () => expect(parseCommand(line)).to.deep.equal(cmd));
  }

  it('answers wrong usage and unknown commands with invalid and a usage message', () => {
    for (const [line, frag] of [
      ['/all', '/all TEXT'], ['/all   ', '/all TEXT'], ['/msg', '/msg NAME TEXT'], ['/msg bob', '/msg NAME TEXT'],
      ['/get', '/get FILE'], ['/yes abc', '/yes [ID]'], ['/no -1', '/no [ID]'], ['/frobnicate', 'unknown command /frobnicate'],
      ['/history 0', '/history [N]'], ['/history x', '/history [N]'],
      ['/', 'unknown command'], ['/ hello', 'unknown command'],
    ] as const) {
      const c = parseCommand(line);
      expect(c.kind, line).to.equal('invalid');
      if (c.kind === 'invalid') expect(c.message, line).to.contain(frag);
    }
  });

  it('the help text names every command', () => {
    for (const c of ['/all', '/msg', '/who', '/files', '/get', '/yes', '/no', '/stop', '/quit', '/help']) expect(HELP_TEXT).to.contain(c);
  });

  it('property: never throws, whatever the line', () => {
    const arb = fc.oneof(fc.string(), fc.string().map((x) => '/' + x), fc.string({ unit: fc.constantFrom('/', ' ', '\t', '\n', '\r', 'a', '1') }));
    fc.assert(fc.property(arb, (line) => { expect(parseCommand(line).kind).to.be.a('string'); }), { numRuns: 2000 });
  });
});
