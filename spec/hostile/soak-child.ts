// Runs one soak in a process of its own, so that the heap it measures holds only the soak (not mocha, not the
// other tests, whose leftovers shrink the heap while it is measured). Options arrive as JSON in argv[2]; the result
// is printed as one JSON line. `leakBytesPerSession` is this test harness's own injected leak (strings kept in an
// array here, one per session), used to show that the soak catches a leak of that size: nothing in the server or
// client leaks on purpose.
import crypto from 'node:crypto';
import { runSoak, type SoakOptions } from '../../bench/fuzz/soak.js';

const o = JSON.parse(process.argv[2] ?? '{}') as Omit<SoakOptions, 'onSession' | 'log'> & { leakBytesPerSession?: number };
const kept: string[] = [];
const leak = o.leakBytesPerSession ?? 0;
const r = await runSoak({
  ...o,
  onSession: leak > 0 ? () => { kept.push(crypto.randomBytes(leak / 2).toString('hex')); } : undefined, // one-byte characters
});
console.log(JSON.stringify({ ...r, kept: kept.length }));
process.exit(0);
