// Transfer keys sealed from one node to another: only the holder they were sealed to opens them, and only for the
// transfer, cluster and pair of nodes they were sealed for; a changed byte does not open.
import { expect } from 'chai';
import crypto from 'node:crypto';
import { NodeKeys, sealKeys, type SealContext } from '../../runtime/cluster/key-seal.js';

describe('cluster/key-seal', () => {
  const material = crypto.randomBytes(64);
  const ctx: SealContext = { prefix: 'P', origin: 'n1', holder: 'n2', id: 7 };

  it('the holder opens what was sealed to it; the sealed form holds nothing of the material', () => {
    const holder = new NodeKeys();
    const sealed = sealKeys(material, holder.publicKey, ctx);
    expect(holder.open(sealed, ctx).equals(material)).to.equal(true);
    const wire = Buffer.from(JSON.stringify(sealed));
    for (const s of [material, material.subarray(0, 32), material.subarray(32)]) {
      for (const enc of ['hex', 'base64url', 'base64'] as const) expect(wire.includes(Buffer.from(s.toString(enc).replace(/=+$/, '')))).to.equal(false);
    }
    // a fresh ephemeral key and iv each time: the same material never seals the same way twice
    const again = sealKeys(material, holder.publicKey, ctx);
    expect(again.epk).to.not.equal(sealed.epk);
    expect(again.ct).to.not.equal(sealed.ct);
  });

  it('another node, another transfer id, another origin or cluster: does not open', () => {
    const holder = new NodeKeys();
    const other = new NodeKeys();
    const sealed = sealKeys(material, holder.publicKey, ctx);
    expect(() => other.open(sealed, ctx)).to.throw(/authentication/);
    for (const c of [{ ...ctx, id: 8 }, { ...ctx, origin: 'n3' }, { ...ctx, holder: 'n3' }, { ...ctx, prefix: 'Q' }]) {
      expect(() => holder.open(sealed, c), JSON.stringify(c)).to.throw(/authentication/);
    }
  });

  it('a changed byte anywhere does not open; malformed parts are refused', () => {
    const holder = new NodeKeys();
    const sealed = sealKeys(material, holder.publicKey, ctx);
    const flip = (s: string, at: number) => { const b = Buffer.from(s, 'base64url'); b[at]! ^= 1; return b.toString('base64url'); };
    expect(() => holder.open({ ...sealed, ct: flip(sealed.ct, 3) }, ctx)).to.throw(/authentication/);
    expect(() => holder.open({ ...sealed, ct: flip(sealed.ct, 70) }, ctx)).to.throw(/authentication/);
    expect(() => holder.open({ ...sealed, iv: flip(sealed.iv, 0) }, ctx)).to.throw(/authentication/);
    expect(() => holder.open({ ...sealed, epk: flip(sealed.epk, 1) }, ctx)).to.throw();
    expect(() => holder.open({ ...sealed, iv: 'AAAA' }, ctx)).to.throw(/size/);
    expect(() => holder.open({ ...sealed, epk: 'short' }, ctx)).to.throw(/32 bytes/);
    expect(() => sealKeys(material, 'not a key', ctx)).to.throw(/32 bytes/);
  });
});
