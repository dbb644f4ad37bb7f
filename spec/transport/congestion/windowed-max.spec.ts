import { expect } from 'chai';
import { WindowedMax } from '../../../machines/transport/congestion/windowed-max.js';

describe('transport/congestion/windowed-max', () => {
  it('keeps the max over the last N keys and forgets older maxima', () => {
    const f = new WindowedMax(3);
    f.update(1, 10);
    f.update(2, 5);
    expect(f.best).to.equal(10);
    f.update(4, 6); // key 1 is out of the window (4 - 3)
    expect(f.best).to.equal(6);
    f.expire(10);
    expect(f.best).to.equal(6); // the newest sample stays until a newer one replaces it
  });

  it('matches a brute-force window max', () => {
    const f = new WindowedMax(5);
    const values: number[] = [];
    for (let k = 0; k < 200; k++) {
      const v = (k * 7919) % 101;
      values[k] = v;
      f.update(k, v);
      expect(f.best).to.equal(Math.max(...values.slice(Math.max(0, k - 4), k + 1)));
    }
  });
});
