// machines/irc/ctcp.ts: CTCP in PRIVMSG, the DCC SEND offer and what clients answer to it.
import { expect } from 'chai';
import { ctcp, dccAccept, dccAddress, dccName, dccSend, parseCtcp, parseDcc } from '../../machines/irc/ctcp.js';

describe('machines/irc/ctcp', () => {
  it('parseCtcp: the command (upper-cased) and its arguments; plain text is null; a missing closing \\x01 is tolerated', () => {
    expect(parseCtcp('\x01ACTION waves hello\x01')).to.deep.equal({ command: 'ACTION', args: 'waves hello' });
    expect(parseCtcp('\x01version\x01')).to.deep.equal({ command: 'VERSION', args: '' });
    expect(parseCtcp('\x01DCC SEND x 1 2 3')).to.deep.equal({ command: 'DCC', args: 'SEND x 1 2 3' });
    expect(parseCtcp('hello')).to.equal(null);
    expect(ctcp('PING', '123')).to.equal('\x01PING 123\x01');
  });

  it('addresses: IPv4 as one decimal number (also IPv4-mapped IPv6), IPv6 as is', () => {
    expect(dccAddress('127.0.0.1')).to.equal('2130706433');
    expect(dccAddress('::ffff:10.0.0.2')).to.equal(String(10 * 2 ** 24 + 2));
    expect(dccAddress('255.255.255.255')).to.equal('4294967295');
    expect(dccAddress('::1')).to.equal('::1');
  });

  it('offers: active, passive with its token, a quoted name with spaces; DCC ACCEPT', () => {
    expect(dccSend({ file: 'a.bin', ip: '127.0.0.1', port: 55000, size: 10 })).to.equal('\x01DCC SEND a.bin 2130706433 55000 10\x01');
    expect(dccSend({ file: 'a b.txt', ip: '127.0.0.1', port: 0, size: 3, token: '77' })).to.equal('\x01DCC SEND "a b.txt" 2130706433 0 3 77\x01');
    expect(dccAccept({ file: 'a.bin', port: 0, position: 5, token: '77' })).to.equal('\x01DCC ACCEPT a.bin 0 5 77\x01');
    expect(dccName('x"y z')).to.equal('"xy z"');
  });

  it('parseDcc: a passive reply (SEND with port and token), RESUME with and without a token; anything else is null', () => {
    expect(parseDcc('SEND "a b.txt" 2130706433 4000 3 77')).to.deep.equal({ kind: 'send', file: 'a b.txt', port: 4000, size: 3, token: '77' });
    expect(parseDcc('RESUME a.bin 55000 1024')).to.deep.equal({ kind: 'resume', file: 'a.bin', port: 55000, position: 1024 });
    expect(parseDcc('RESUME a.bin 0 1024 77')).to.deep.equal({ kind: 'resume', file: 'a.bin', port: 0, position: 1024, token: '77' });
    for (const bad of ['SEND a.bin 1 0 3 77', 'SEND a.bin 1 70000 3 77', 'SEND a.bin 1 4000 3', 'RESUME a.bin x 1', 'CHAT chat 1 2', '', 'RESUME a.bin 1 -5']) {
      expect(parseDcc(bad), bad).to.equal(null);
    }
  });
});
