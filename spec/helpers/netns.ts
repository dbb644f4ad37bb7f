// The kernel-queue bed for tests (bench/netns/bed.ts): namespaces joined through a router with a tbf bottleneck.
// `withBed` deletes the bed when the test ends, passed or failed; the bed module also deletes it on the process's
// exit and on SIGINT/SIGTERM. Tests that need it skip where it cannot be made (not root, no `ip`/`tc`).
import { bedAvailable, createBed, type Bed, type BedOptions } from '../../bench/netns/bed.js';

export type { Bed };

/** Skips the calling mocha test (or suite) when this process cannot make a bed. */
export function skipUnlessBed(ctx: Mocha.Context): void {
  if (!bedAvailable()) ctx.skip();
}

/** Runs `fn` with a fresh bed and deletes the bed afterwards, whatever happens. */
export async function withBed<T>(opts: BedOptions, fn: (bed: Bed) => Promise<T>): Promise<T> {
  const bed = createBed(opts);
  try { return await fn(bed); } finally { bed.destroy(); }
}
