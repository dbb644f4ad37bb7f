import { expect } from 'chai';
import { LoginLimiter } from '../../machines/login-limiter.js';

describe('login limiter', () => {
  const limits = { failures: 3, windowMs: 1000, blockMs: 5000, tracked: 4 };

  it('blocks a key after the limit of failures within the window, until the block ends', () => {
    const l = new LoginLimiter(limits);
    l.failed(['name:bob'], 0);
    l.failed(['name:bob'], 100);
    expect(l.blocked(['name:bob'], 200)).to.equal(false);
    l.failed(['name:bob'], 200);
    expect(l.blocked(['name:bob'], 201)).to.equal(true);
    expect(l.blocked(['name:carol'], 201)).to.equal(false);
    expect(l.blocked(['name:bob'], 5200)).to.equal(false);
  });

  it('forgets failures older than the window', () => {
    const l = new LoginLimiter(limits);
    l.failed(['k'], 0);
    l.failed(['k'], 500);
    l.failed(['k'], 1600);
    expect(l.blocked(['k'], 1601)).to.equal(false);
  });

  it('counts per key: one address failing for many names is blocked as an address', () => {
    const l = new LoginLimiter(limits);
    for (let i = 0; i < 3; i++) l.failed([`name:n${i}`, 'addr:1.2.3.4'], i);
    expect(l.blocked(['name:n9', 'addr:1.2.3.4'], 10)).to.equal(true);
    expect(l.blocked(['name:n0', 'addr:5.6.7.8'], 10)).to.equal(false);
  });

  it('a success forgets the name, and the table stays bounded', () => {
    const l = new LoginLimiter(limits);
    l.failed(['a'], 0); l.failed(['a'], 1);
    l.succeeded('a');
    l.failed(['a'], 2);
    expect(l.blocked(['a'], 3)).to.equal(false);
    for (let i = 0; i < 10; i++) l.failed([`x${i}`], i);
    expect(l.size).to.equal(4);
  });
});
