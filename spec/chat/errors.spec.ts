// machines/errors.ts: the one list of error codes. docs/PROTOCOL.md's table of error codes is held to it row for row
// (code, order and meaning), and every code the source writes is in it.
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ERROR_CODES, errorMeaning, isErrorCode, MessengerError, NAME_REFUSAL_CODES, REFUSAL_CODES } from '../../machines/errors.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The rows of the table under "## Error codes" in docs/PROTOCOL.md: [code, meaning]. */
function protocolTable(): Array<[string, string]> {
  const doc = fs.readFileSync(path.join(ROOT, 'docs/PROTOCOL.md'), 'utf8');
  const section = doc.slice(doc.indexOf('\n## Error codes\n'), doc.indexOf('\n## ', doc.indexOf('\n## Error codes\n') + 1));
  return section.split('\n')
    .filter((l) => l.startsWith('| `'))
    .map((l) => {
      const cells = l.split(' | ').map((c) => c.replace(/^\| /, '').replace(/ \|$/, ''));
      return [cells[0]!.replace(/`/g, ''), cells[1]!] as [string, string];
    });
}

/** Every quoted word written as an error code in the source: `code: '...'`, `MessengerError('...'`, `fail('...'`. */
function codesInSource(): Map<string, string> {
  const found = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) {
        const text = fs.readFileSync(p, 'utf8');
        for (const m of text.matchAll(/(?:\bcode: |(?:MessengerError|FrameError)\(|\.fail\(|\.failed\(|\.error\()'([a-z-]+)'/g)) found.set(m[1]!, path.relative(ROOT, p));
      }
    }
  };
  for (const d of ['machines', 'runtime', 'tui', 'bin']) walk(path.join(ROOT, d));
  return found;
}

describe('machines/errors', () => {
  it('docs/PROTOCOL.md lists exactly the codes of ERROR_CODES, in that order, each with its meaning', () => {
    const table = protocolTable();
    expect(table.map(([c]) => c)).to.deep.equal([...ERROR_CODES]);
    for (const [code, meaning] of table) expect(meaning, code).to.equal(errorMeaning(code as (typeof ERROR_CODES)[number]));
  });

  it('holds the codes of the contract (MISSION.md) and the client-side ones in use', () => {
    for (const c of ['busy', 'unknown-user', 'no-such-file', 'name-taken', 'already-downloading', 'bad-command', 'not-connected']) {
      expect(isErrorCode(c), c).to.equal(true);
    }
  });

  it('every code written in machines, runtime, tui and bin is in the list', () => {
    const found = codesInSource();
    expect(found.size).to.be.greaterThan(15); // the scan finds the codes at all
    for (const [code, where] of found) expect(isErrorCode(code), `${code} in ${where}`).to.equal(true);
  });

  it('each code has a one-line meaning and appears once', () => {
    expect(new Set(ERROR_CODES).size).to.equal(ERROR_CODES.length);
    for (const c of ERROR_CODES) expect(errorMeaning(c), c).to.match(/^[^\n]{10,200}$/);
  });

  it('isErrorCode takes only listed codes, not inherited property names or other values', () => {
    expect(isErrorCode('busy')).to.equal(true);
    for (const x of ['made-up', 'toString', 'constructor', '__proto__', '', 'BUSY', 7, null, undefined]) expect(isErrorCode(x), String(x)).to.equal(false);
  });

  it('the hello refusals: ten codes end the handshake (tls-required: a plain client at a TLS server), six of them let a person try another name', () => {
    expect([...REFUSAL_CODES].sort()).to.deep.equal(['account-required', 'auth-failed', 'bad-version', 'insecure-auth', 'invalid-name', 'login-blocked', 'name-registered', 'name-taken', 'tls-required', 'too-many-connections']);
    expect([...NAME_REFUSAL_CODES].sort()).to.deep.equal(['account-required', 'auth-failed', 'invalid-name', 'login-blocked', 'name-registered', 'name-taken']);
    for (const c of NAME_REFUSAL_CODES) expect(REFUSAL_CODES.has(c)).to.equal(true);
  });

  it('a MessengerError carries its code and message', () => {
    const e = new MessengerError('busy', 'all ports taken');
    expect(e).to.be.instanceOf(Error);
    expect([e.code, e.message, e.name]).to.deep.equal(['busy', 'all ports taken', 'MessengerError']);
  });
});
