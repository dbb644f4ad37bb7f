// Preloaded into our server by the chat bench (node --expose-gc --import this): on SIGUSR2 it runs a full garbage
// collection and writes process.memoryUsage() as JSON to $BENCH_GC_OUT, so that the bench can tell heap grown by a
// login storm and given back from heap kept. It changes nothing else in the server.
import fs from 'node:fs';

const out = process.env.BENCH_GC_OUT;
if (out && typeof globalThis.gc === 'function') {
  process.on('SIGUSR2', () => {
    globalThis.gc();
    globalThis.gc();
    fs.writeFileSync(out, JSON.stringify(process.memoryUsage()));
  });
}
