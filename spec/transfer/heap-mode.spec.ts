import { expect } from 'chai';
import { HeapMode } from '../../runtime/heap-mode.js';

describe('transfer/heap-mode (V8 size policy lifted while downloads run)', () => {
  it('lifts --optimize-for-size for the first running download and sets it again when the last one ends', () => {
    const set: string[] = [];
    const m = new HeapMode((f) => set.push(f));
    m.optimizeForSize();
    expect(set).to.deep.equal(['--optimize-for-size']);
    m.transferStarted();
    m.transferStarted();
    expect(set).to.deep.equal(['--optimize-for-size', '--no-optimize-for-size']);
    m.transferEnded();
    expect(m.transfers).to.equal(1);
    expect(set.length).to.equal(2);
    m.transferEnded();
    expect(set).to.deep.equal(['--optimize-for-size', '--no-optimize-for-size', '--optimize-for-size']);
    m.transferEnded(); // an extra end changes nothing
    expect(m.transfers).to.equal(0);
    expect(set.length).to.equal(3);
  });

  it('touches no flag in a process that never asked for the size policy (the client), and defers one asked mid-download', () => {
    const set: string[] = [];
    const m = new HeapMode((f) => set.push(f));
    m.transferStarted();
    m.transferEnded();
    expect(set).to.deep.equal([]);
    m.transferStarted();
    m.optimizeForSize();
    expect(set).to.deep.equal([]);
    m.transferEnded();
    expect(set).to.deep.equal(['--optimize-for-size']);
  });
});
