// The per-datagram decisions of one direction, pure: given the arrival time and size (and a seeded PRNG), say
// whether the datagram is dropped and why, or when each copy is to be released and whether a byte is flipped.
// No clocks, no sockets: the emulator feeds it times, and the tests feed it made-up ones.
//
// Pipeline, in this order (netem's order, roughly: losses happen before the bottleneck, so a lost datagram costs no
// bandwidth):
//   blackout -> random loss -> Gilbert-Elliott loss -> bottleneck (drop-tail) -> corruption
//   -> delay + jitter (FIFO) or a reorder hold (overtakeable) -> duplication (the copy leaves with the original)
import { BandwidthQueue } from './bandwidth-queue.js';
import { DEFAULT_QUEUE_PACKETS, DEFAULT_REORDER_DELAY_MS, validateImpairments } from './impairment-spec.js';
import type { Blackout, ImpairmentSpec } from './impairment-spec.js';
import type { Prng } from './prng.js';

export type DropCause = 'blackout' | 'loss' | 'burst' | 'queue';
export const DROP_CAUSES: readonly DropCause[] = ['blackout', 'loss', 'burst', 'queue'];

/** Flip payload[index] ^= mask; mask is never 0, so the byte always changes. */
export interface Corruption {
  readonly index: number;
  readonly mask: number;
}

export type Verdict =
  | { readonly kind: 'drop'; readonly cause: DropCause }
  | {
      readonly kind: 'deliver';
      /** Release times in ms, one per copy: two when duplicated. */
      readonly at: readonly number[];
      readonly corrupt: Corruption | null;
      readonly reordered: boolean;
    };

export interface ImpairmentCounters {
  received: number;
  dropped: Record<DropCause, number>;
  duplicated: number;
  corrupted: number;
  /** Datagrams held back so that later ones may overtake them (on a sparse flow nothing may actually overtake). */
  reordered: number;
  queueMaxPackets: number;
  queueMaxBytes: number;
}

const BYTE_VALUES = 256;

export function applyCorruption(payload: Uint8Array, c: Corruption): void {
  payload[c.index] = payload[c.index]! ^ c.mask;
}

export function zeroDrops(): Record<DropCause, number> {
  return { blackout: 0, loss: 0, burst: 0, queue: 0 };
}

export class Impairments {
  private readonly counters: ImpairmentCounters = {
    received: 0, dropped: zeroDrops(), duplicated: 0, corrupted: 0, reordered: 0, queueMaxPackets: 0, queueMaxBytes: 0,
  };
  private readonly bottleneck: BandwidthQueue | null;
  private readonly blackouts: readonly Blackout[];
  private geBad = false;
  /** Release time of the last in-order datagram: jitter must not let a later datagram leave before it. */
  private lastInOrder = 0;

  constructor(private readonly spec: ImpairmentSpec, private readonly rng: Prng) {
    validateImpairments(spec);
    this.blackouts = spec.blackouts ?? [];
    this.bottleneck = spec.rateBitsPerSec === undefined ? null : new BandwidthQueue(spec.rateBitsPerSec, {
      packets: spec.queuePackets ?? (spec.queueBytes === undefined ? DEFAULT_QUEUE_PACKETS : undefined),
      bytes: spec.queueBytes,
    });
  }

  /** Decides the fate of a datagram of `size` bytes arriving at `now` (ms since the link started). */
  decide(now: number, size: number): Verdict {
    const s = this.spec;
    this.counters.received++;
    if (this.inBlackout(now)) return this.drop('blackout');
    if (this.rng.chance(s.loss ?? 0)) return this.drop('loss');
    if (s.gilbertElliott && this.burstLoss()) return this.drop('burst');

    let departure = now;
    if (this.bottleneck) {
      const d = this.bottleneck.offer(now, size);
      if (d === null) return this.drop('queue');
      departure = d;
      const max = this.bottleneck.maxDepth;
      this.counters.queueMaxPackets = max.packets;
      this.counters.queueMaxBytes = max.bytes;
    }

    let corrupt: Corruption | null = null;
    if (size > 0 && this.rng.chance(s.corrupt ?? 0)) {
      corrupt = { index: this.rng.int(size), mask: 1 + this.rng.int(BYTE_VALUES - 1) };
      this.counters.corrupted++;
    }

    const delay = s.delayMs ?? 0;
    const jitter = s.jitterMs ?? 0;
    const propagation = jitter > 0 ? Math.max(0, this.rng.uniform(delay - jitter, delay + jitter)) : delay;
    let at = departure + propagation;
    const reordered = this.rng.chance(s.reorder ?? 0);
    if (reordered) {
      // Held back, and deliberately not part of the FIFO: later datagrams may now overtake it.
      at += s.reorderDelayMs ?? DEFAULT_REORDER_DELAY_MS;
      this.counters.reordered++;
    } else {
      at = Math.max(at, this.lastInOrder);
      this.lastInOrder = at;
    }

    if (this.rng.chance(s.duplicate ?? 0)) {
      this.counters.duplicated++;
      return { kind: 'deliver', at: [at, at], corrupt, reordered };
    }
    return { kind: 'deliver', at: [at], corrupt, reordered };
  }

  /** A snapshot of what this direction has decided so far. */
  stats(): ImpairmentCounters {
    return { ...this.counters, dropped: { ...this.counters.dropped } };
  }

  private drop(cause: DropCause): Verdict {
    this.counters.dropped[cause]++;
    return { kind: 'drop', cause };
  }

  private inBlackout(now: number): boolean {
    for (const b of this.blackouts) if (now >= b.at && now < b.at + b.for) return true;
    return false;
  }

  /** One step of the Gilbert-Elliott chain per datagram: move between states, then lose with that state's probability. */
  private burstLoss(): boolean {
    const g = this.spec.gilbertElliott!;
    this.geBad = this.geBad ? !this.rng.chance(g.r) : this.rng.chance(g.p);
    return this.rng.chance(this.geBad ? (g.lossBad ?? 1) : (g.lossGood ?? 0));
  }
}
