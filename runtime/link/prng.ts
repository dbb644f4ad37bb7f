// A tiny seeded PRNG (mulberry32). The emulator must be reproducible: the same seed and the same sequence of
// datagrams give the same losses, duplicates and delays, so a failing transfer test can be replayed exactly.
// Math.random cannot be seeded; mulberry32 is 32 bits of state, fast, and good enough for impairment decisions.

const GOLDEN_RATIO_32 = 0x9e3779b9;
const TWO_POW_32 = 4294967296;

/** Scrambles a 32-bit value (murmur3 finaliser) so that nearby seeds give unrelated streams. */
export function mix32(x: number): number {
  let h = x >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export class Prng {
  private state: number;

  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
    this.state = mix32(Math.trunc(seed));
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / TWO_POW_32;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** True with probability p. Certain outcomes (p <= 0 or p >= 1) draw nothing, so they cost nothing per datagram. */
  chance(p: number): boolean {
    if (p <= 0) return false;
    if (p >= 1) return true;
    return this.next() < p;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** An independent generator derived from this seed and a salt (one per direction, say), without disturbing this one. */
  static derive(seed: number, salt: number): Prng {
    return new Prng(mix32(Math.trunc(seed) ^ Math.imul(salt, GOLDEN_RATIO_32)));
  }
}
