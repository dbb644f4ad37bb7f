import { expect } from 'chai';
import { DUMMY_HASH, hashPassword, verifyPassword } from '../../runtime/password-hash.js';

describe('password hashing (scrypt)', function () {
  this.timeout(20000);
  const cheap = { N: 1 << 10, r: 8, p: 1 };

  it('verifies the right password and refuses a wrong one', async () => {
    const h = await hashPassword('correct horse', cheap);
    expect(await verifyPassword('correct horse', h)).to.equal(true);
    expect(await verifyPassword('correct horsf', h)).to.equal(false);
    expect(await verifyPassword('', h)).to.equal(false);
  });

  it('salts every hash: the same password hashes differently', async () => {
    const a = await hashPassword('same', cheap);
    const b = await hashPassword('same', cheap);
    expect(a.salt.equals(b.salt)).to.equal(false);
    expect(a.hash.equals(b.hash)).to.equal(false);
  });

  it('records its cost, so a hash made at another cost still verifies', async () => {
    const h = await hashPassword('pw', { N: 1 << 11, r: 4, p: 2 });
    expect(h.cost).to.deep.equal({ N: 1 << 11, r: 4, p: 2 });
    expect(await verifyPassword('pw', h)).to.equal(true);
  });

  it('treats NFC and NFD spellings of a password alike', async () => {
    const h = await hashPassword('caf\u00e9', cheap);
    expect(await verifyPassword('cafe\u0301', h)).to.equal(true);
  });

  it('the dummy hash matches nothing, at the default cost', async () => {
    expect(await verifyPassword('', DUMMY_HASH)).to.equal(false);
    expect(DUMMY_HASH.cost.N).to.be.at.least(1 << 14);
  });

  it('does not block the event loop while hashing', async () => {
    let turns = 0;
    const t = setInterval(() => turns++, 1);
    await hashPassword('pw');
    clearInterval(t);
    expect(turns).to.be.greaterThan(0);
  });
});
