// Password hashing: scrypt (node:crypto, asynchronous: the work runs on libuv's thread pool, never on the event
// loop), a random salt per hash, the cost parameters recorded with the hash so that they can be raised later
// (an old hash still verifies with its own). Compared in constant time. Passwords are never logged or kept.
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** scrypt's cost: N (CPU and memory, a power of two), r (block size), p (parallelism). */
export interface ScryptCost { N: number; r: number; p: number }

/** What is stored for an account: never the password. */
export interface PasswordHash { hash: Buffer; salt: Buffer; cost: ScryptCost }

/** 2^15 with r 8: 32 MiB and about 0.1 s a hash on this kind of machine (OWASP's minimum is 2^17 at r 8, p 1 for
 *  stronger machines; raise it here and old hashes still verify with their own recorded cost). */
export const DEFAULT_COST: ScryptCost = { N: 1 << 15, r: 8, p: 1 };
export const KEY_BYTES = 32;
export const SALT_BYTES = 16;

function derive(password: string, salt: Buffer, cost: ScryptCost): Promise<Buffer> {
  const opts: ScryptOptions = { N: cost.N, r: cost.r, p: cost.p, maxmem: 256 * cost.N * cost.r + (1 << 20) };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEY_BYTES, opts, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** A new hash of `password` with a fresh random salt. */
export async function hashPassword(password: string, cost: ScryptCost = DEFAULT_COST): Promise<PasswordHash> {
  const salt = randomBytes(SALT_BYTES);
  return { hash: await derive(password, salt, cost), salt, cost };
}

/** Whether `password` matches `stored` (constant-time comparison of the derived keys). */
export async function verifyPassword(password: string, stored: PasswordHash): Promise<boolean> {
  const key = await derive(password, stored.salt, stored.cost);
  return key.length === stored.hash.length && timingSafeEqual(key, stored.hash);
}

/** A hash no password matches, at the default cost: unknown names are checked against it, so that a wrong
 *  password takes the same time whether or not the name has an account. */
export const DUMMY_HASH: PasswordHash = { hash: randomBytes(KEY_BYTES), salt: randomBytes(SALT_BYTES), cost: DEFAULT_COST };
