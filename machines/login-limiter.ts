// Failed logins counted per key (a nickname's key, an address) over a sliding window: after LIMITS.loginFailures
// failures within TIMING.loginFailureWindowMs, further password attempts for that key are refused until
// TIMING.loginBlockMs after the last failure. Sans-I/O: time comes in as `now`. Bounded: at most `tracked` keys,
// the least recently failed forgotten first.
import { LIMITS } from './limits.js';
import { TIMING } from './timing.js';

export interface LoginLimits { failures: number; windowMs: number; blockMs: number; tracked: number }

export const DEFAULT_LOGIN_LIMITS: LoginLimits = {
  failures: LIMITS.loginFailures, windowMs: TIMING.loginFailureWindowMs, blockMs: TIMING.loginBlockMs, tracked: LIMITS.loginTracked,
};

interface Entry { times: number[]; blockedUntil: number }

export class LoginLimiter {
  private readonly keys = new Map<string, Entry>();

  constructor(private readonly limits: LoginLimits = DEFAULT_LOGIN_LIMITS) {}

  /** Whether any of `keys` is blocked at `now`. */
  blocked(keys: readonly string[], now: number): boolean {
    return keys.some((k) => (this.keys.get(k)?.blockedUntil ?? -Infinity) > now);
  }

  /** Counts one failure for each of `keys`; a key reaching the limit within the window is blocked. */
  failed(keys: readonly string[], now: number): void {
    for (const k of keys) {
      const e = this.keys.get(k) ?? { times: [], blockedUntil: -Infinity };
      this.keys.delete(k); // re-inserted last: the map's order is the order of the latest failure
      e.times = e.times.filter((t) => now - t < this.limits.windowMs);
      e.times.push(now);
      if (e.times.length >= this.limits.failures) e.blockedUntil = now + this.limits.blockMs;
      this.keys.set(k, e);
      while (this.keys.size > this.limits.tracked) this.keys.delete(this.keys.keys().next().value!);
    }
  }

  /** A successful login forgets the name's failures (not the address's). */
  succeeded(key: string): void { this.keys.delete(key); }

  get size(): number { return this.keys.size; }
}
