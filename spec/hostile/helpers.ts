// Shared pieces of the hostile suite: UDP port ranges from the one allocator (spec/helpers/ports.ts), an in-process
// server with a silent logger, file hashing, and a few small waits. Everything a test opens goes into a Scope
// (spec/helpers/scope.ts) or is closed by the test itself.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { nextUdpPorts } from '../helpers/ports.js';
import { startServer, type TestServer, type TestServerOptions } from '../helpers/server.js';

/** `count` consecutive UDP ports, as an inclusive range, from the one allocator (spec/helpers/ports.ts). */
export function hostilePorts(count = 2): Promise<[number, number]> {
  return nextUdpPorts(count);
}

/** The transfers options of the brief, on a fresh port pair. */
export async function transfersOpts(count = 2, more: Record<string, unknown> = {}) {
  return { host: '127.0.0.1', ports: await hostilePorts(count), halfway: 0.5, chunk: 60000, cc: 'bbr' as const, silentMs: 3000, maxPerSession: 4, ...more };
}

export async function hostileServer(o: TestServerOptions = {}): Promise<TestServer> {
  return startServer({ ...o, transfers: { ...(await transfersOpts(2)), ...o.transfers } });
}

export function sha256(data: Uint8Array): string { return crypto.createHash('sha256').update(data).digest('hex'); }
export function sha256OfFile(p: string): string { return sha256(fs.readFileSync(p)); }

/** Deterministic bytes (a file's content that a test can check byte for byte). */
export function pseudoRandomBytes(n: number, seed = 1): Buffer {
  const b = Buffer.allocUnsafe(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; b[i] = x & 0xff; }
  return b;
}
