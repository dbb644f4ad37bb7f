// runtime/cli-args.ts: the helpers of the command lines. Here: the client's --host list (parseHosts) and the port
// numbers it rests on.
import { expect } from 'chai';
import { CliError, parseHosts, parsePort } from '../../runtime/cli-args.js';

describe('runtime/cli-args', () => {
  describe('parseHosts (messenger --host A,B,...)', () => {
    it('one host without a port takes the default port: the --host of before', () => {
      expect(parseHosts('127.0.0.1', 50000)).to.deep.equal([{ host: '127.0.0.1', port: 50000 }]);
      expect(parseHosts('chat.example.org', 4000)).to.deep.equal([{ host: 'chat.example.org', port: 4000 }]);
    });

    it('several, each HOST or HOST:PORT, in the order given (spaces around commas allowed)', () => {
      expect(parseHosts('a.example:50001, b.example ,10.0.0.3:7', 50000)).to.deep.equal([
        { host: 'a.example', port: 50001 }, { host: 'b.example', port: 50000 }, { host: '10.0.0.3', port: 7 },
      ]);
    });

    it('IPv6: in brackets with or without a port, or bare without one', () => {
      expect(parseHosts('[::1]:50001,[fe80::2],::1', 50000)).to.deep.equal([
        { host: '::1', port: 50001 }, { host: 'fe80::2', port: 50000 }, { host: '::1', port: 50000 },
      ]);
    });

    it('refuses an empty entry, a bad or zero port, and what is not a host, saying which', () => {
      const bad: Array<[string, RegExp]> = [
        ['a,,b', /empty entry/], ['a,', /empty entry/], ['', /empty entry/],
        ['a:http', /"http" is not a port number/], ['a:70000', /out of range/], ['a:0', /port 0/],
        ['a b', /not HOST or HOST:PORT/], [':50000', /not HOST or HOST:PORT/], ['[::1]:x', /not a port number/],
        ['user@host', /not HOST or HOST:PORT/],
      ];
      for (const [s, why] of bad) {
        expect(() => parseHosts(s, 50000), s).to.throw(CliError, why);
        expect(() => parseHosts(s, 50000), s).to.throw(/^--host/);
      }
    });
  });

  describe('parsePort', () => {
    it('takes 0-65535 and nothing else', () => {
      expect(parsePort('0', '--port')).to.equal(0);
      expect(parsePort('65535', '--port')).to.equal(65535);
      expect(() => parsePort('65536', '--port')).to.throw(CliError, /out of range/);
      expect(() => parsePort('-1', '--port')).to.throw(CliError, /not a port number/);
    });
  });
});
