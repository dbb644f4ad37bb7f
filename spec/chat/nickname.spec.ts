// machines/nickname.ts: nickname rules and the case-insensitive key.
import { expect } from 'chai';
import fc from 'fast-check';
import { checkNickname, nameKey } from '../../machines/nickname.js';

describe('nickname', () => {
  it('accepts letters of any script, digits, "-", "_", "." starting with a letter or digit, 1-24 characters', () => {
    for (const n of ['a', 'alice', 'Bob_2', 'x.y-z', '9lives', 'Zoë', 'Дмитрий', '李雷', 'ü'.repeat(24), 'a'.repeat(24)]) {
      expect(checkNickname(n), n).to.deep.equal({ ok: true, name: n.normalize('NFC') });
    }
  });

  it('refuses empty, too long, bad characters, bad first character, with a reason', () => {
    for (const n of ['', 'a'.repeat(25), 'has space', '-x', '_x', '.x', 'a/b', 'a:b', 'tab\tx', 'nl\nx', 'emoji😀', 'a@b', 'x ', ' x', 'a\u0000']) {
      const r = checkNickname(n);
      expect(r.ok, JSON.stringify(n)).to.equal(false);
      if (!r.ok) expect(r.reason).to.be.a('string').and.not.equal('');
    }
  });

  it('counts characters, not UTF-16 units or bytes: 24 astral letters are fine, 25 are not', () => {
    const gothic = '\u{10330}'; // a letter outside the BMP
    expect(checkNickname(gothic.repeat(24)).ok).to.equal(true);
    expect(checkNickname(gothic.repeat(25)).ok).to.equal(false);
  });

  it('normalises to NFC: a decomposed name is registered composed', () => {
    const decomposed = 'Zoe\u0308';
    const r = checkNickname(decomposed);
    expect(r).to.deep.equal({ ok: true, name: 'Zoë' });
  });

  it('nameKey is case-insensitive and folds compatibility forms', () => {
    expect(nameKey('Alice')).to.equal(nameKey('aLiCe'));
    expect(nameKey('\uFF21lice')).to.equal(nameKey('alice')); // fullwidth A
    expect(nameKey('Zoe\u0308')).to.equal(nameKey('ZOË'));
    expect(nameKey('alice')).to.not.equal(nameKey('alicf'));
  });

  it('property: nameKey is idempotent and equal for upper/lower case forms of a valid name', () => {
    fc.assert(fc.property(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,23}$/), (n) => {
      expect(checkNickname(n).ok).to.equal(true);
      expect(nameKey(nameKey(n))).to.equal(nameKey(n));
      expect(nameKey(n.toUpperCase())).to.equal(nameKey(n.toLowerCase()));
    }), { numRuns: 300 });
  });
});
