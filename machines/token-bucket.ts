// A token bucket for per-client rate limits. Pure and immutable: the caller passes `now` (ms) and keeps the result.
export interface Bucket { readonly tokens: number; readonly at: number }
export interface BucketConfig { ratePerSec: number; burst: number }

export function fullBucket(cfg: BucketConfig, now: number): Bucket {
  return { tokens: cfg.burst, at: now };
}

/** The bucket refilled for the time elapsed up to `now`. */
export function refill(b: Bucket, cfg: BucketConfig, now: number): Bucket {
  if (now <= b.at) return b;
  return { tokens: Math.min(cfg.burst, b.tokens + ((now - b.at) / 1000) * cfg.ratePerSec), at: now };
}

export function hasToken(b: Bucket, cfg: BucketConfig, now: number, cost = 1): boolean {
  // the refilled count without the refilled bucket (checked for every frame: no allocation)
  const tokens = now <= b.at ? b.tokens : Math.min(cfg.burst, b.tokens + ((now - b.at) / 1000) * cfg.ratePerSec);
  return tokens >= cost;
}

/** The bucket after spending `cost` tokens at `now` (never below zero). */
export function spend(b: Bucket, cfg: BucketConfig, now: number, cost = 1): Bucket {
  const r = refill(b, cfg, now);
  return { tokens: Math.max(0, r.tokens - cost), at: r.at };
}
