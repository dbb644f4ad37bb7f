// Shared pieces of the hostile suite: UDP port pairs from 58500-58999 (the range set aside for it), an in-process
// server with a silent logger, file hashing, and a few small waits. Everything a test opens goes into a Scope
// (spec/helpers/scope.ts) or is closed by the test itself.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { startServer, type TestServer, type TestServerOptions } from '../helpers/server.js';

const UDP_BASE = 58500;
const UDP_SPAN = 500;
let udpNext = (process.pid * 11) % 400;

/** `count` consecutive UDP ports from 58500-58999, as an inclusive range. */
export function hostilePorts(count = 2): [number, number] {
  if (udpNext + count > UDP_SPAN) udpNext = 0;
  const a = UDP_BASE + udpNext;
  udpNext += count;
  return [a, a + count - 1];
}

/** The transfers options of the brief, on a fresh port pair. */
export function transfersOpts(count = 2, more: Record<string, unknown> = {}) {
  return { host: '127.0.0.1', ports: hostilePorts(count), halfway: 0.5, chunk: 60000, cc: 'bbr' as const, silentMs: 3000, maxPerSession: 4, ...more };
}

export function hostileServer(o: TestServerOptions = {}): Promise<TestServer> {
  return startServer({ ...o, transfers: { ...transfersOpts(2), ...o.transfers } });
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

/** Open handles of this process by kind (sockets, timers, ...), for leak checks. */
export function handleCounts(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of process.getActiveResourcesInfo()) out[k] = (out[k] ?? 0) + 1;
  return out;
}
