// V8's heap policy for the server process. A server holds many small, long-lived sessions, so it runs with V8's
// --optimize-for-size (smaller heap growth, compaction: half the RSS per logged-in session after a login storm, for no
// measurable CPU; docs/BENCHMARKS.md, "Capacity per server"). But while a download runs, the process allocates a
// short-lived 60 KB buffer per datagram (the AES-GCM output: node:crypto has no update-into-a-buffer), and under that
// policy these off-heap bytes start a full, memory-reducing mark-compact every ~15 MB sent (about 20 per 256 MiB, each
// returning the freed pages to the system, which the next buffers fault in again): 3.3-3.8 -> 1.8-1.9 ms/MB of
// server user CPU without it. So the policy is lifted while any download is running, and set again when the last
// one ends. V8 reads this flag at each heap decision, so setting it at run time takes effect (as the start-up
// setting does: it was always set after the VM started).
import v8 from 'node:v8';

export class HeapMode {
  private sizeWanted = false;
  private bulk = 0;

  constructor(private readonly setFlags: (flags: string) => void = (f) => v8.setFlagsFromString(f)) {}

  /** Downloads running now. */
  get transfers(): number { return this.bulk; }

  /** The process wants V8 to optimize for size (the server, at start): now, or once no download runs. */
  optimizeForSize(): void {
    if (this.sizeWanted) return;
    this.sizeWanted = true;
    if (this.bulk === 0) this.setFlags('--optimize-for-size');
  }

  /** A download started: the first one lifts the size policy. */
  transferStarted(): void {
    if (this.bulk++ === 0 && this.sizeWanted) this.setFlags('--no-optimize-for-size');
  }

  /** A download ended (call once per transferStarted): the last one sets the size policy again. */
  transferEnded(): void {
    if (this.bulk === 0) return;
    if (--this.bulk === 0 && this.sizeWanted) this.setFlags('--optimize-for-size');
  }
}

/** The process's one heap mode (the server's bin asks for size; its downloads lift it while they run). */
export const heapMode = new HeapMode();
