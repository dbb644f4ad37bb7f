// machines/irc/numerics.ts: one definition of every numeric the listener sends.
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NUMERICS } from '../../machines/irc/numerics.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('machines/irc/numerics', () => {
  it('every numeric is three digits, under one name, and replies (RPL_) are below 400 or SASL\'s 900s', () => {
    const codes = Object.values(NUMERICS);
    expect(new Set(codes).size).to.equal(codes.length);
    for (const [name, code] of Object.entries(NUMERICS)) {
      expect(code, name).to.match(/^\d{3}$/);
      if (name.startsWith('RPL_')) expect(Number(code) < 400 || Number(code) >= 900, name).to.equal(true);
      if (name.startsWith('ERR_')) expect(Number(code) >= 400, name).to.equal(true);
    }
  });

  it('no module of machines/irc writes a numeric by its digits: they all come from NUMERICS', () => {
    const dir = path.join(ROOT, 'machines/irc');
    for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.ts') && x !== 'numerics.ts')) {
      const src = fs.readFileSync(path.join(dir, f), 'utf8');
      const literal = [...src.matchAll(/command: '(\d{3})'/g)].map((m) => m[1]);
      expect(literal, f).to.deep.equal([]);
    }
  });
});
