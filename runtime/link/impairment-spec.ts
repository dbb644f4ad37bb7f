// What one direction of the emulated link does to datagrams, and the compact text form the CLI accepts:
//   loss=2%,delay=15ms,jitter=3ms,rate=10mbit,queue=25,dup=1%,reorder=2%,corrupt=1%,ge=0.01/0.3,blackout=2000+500
// Every field is optional; an empty spec is a clean pass-through.

/** Gilbert-Elliott two-state loss: p = P(good -> bad), r = P(bad -> good) per datagram; loss probability in each state. */
export interface GilbertElliott {
  readonly p: number;
  readonly r: number;
  /** Loss probability while in the bad state (default 1: every datagram of a burst is lost). */
  readonly lossBad?: number;
  /** Loss probability while in the good state (default 0). */
  readonly lossGood?: number;
}

/** A period, in ms after the emulator started, during which everything in this direction is dropped. */
export interface Blackout {
  readonly at: number;
  readonly for: number;
}

export interface ImpairmentSpec {
  /** Independent random loss probability, 0-1. */
  readonly loss?: number;
  readonly gilbertElliott?: GilbertElliott;
  /** Probability that one random byte of the payload is flipped, 0-1. */
  readonly corrupt?: number;
  /** Probability that a datagram is delivered twice, 0-1. */
  readonly duplicate?: number;
  /** Probability that a datagram is held back by reorderDelayMs, letting later ones overtake it, 0-1. */
  readonly reorder?: number;
  /** Extra hold for a reordered datagram (default DEFAULT_REORDER_DELAY_MS). */
  readonly reorderDelayMs?: number;
  /** One-way propagation delay. */
  readonly delayMs?: number;
  /** Delay varies uniformly in [delay - jitter, delay + jitter]; jitter alone never reorders. */
  readonly jitterMs?: number;
  readonly blackouts?: readonly Blackout[];
  /** Bottleneck rate in bits per second; absent means unlimited. */
  readonly rateBitsPerSec?: number;
  /** Drop-tail limit of the bottleneck queue in datagrams (default DEFAULT_QUEUE_PACKETS when only rate is given). */
  readonly queuePackets?: number;
  /** Drop-tail limit of the bottleneck queue in bytes (may be combined with queuePackets: whichever fills first). */
  readonly queueBytes?: number;
}

export const NO_IMPAIRMENTS: ImpairmentSpec = Object.freeze({});
/** Long enough at 10k datagrams/s to move a held datagram past dozens of others, which is what reordering should test. */
export const DEFAULT_REORDER_DELAY_MS = 10;
/** A modest router buffer: with 1200-byte datagrams at 10 Mbit/s it holds about 60 ms, not a bufferbloated second. */
export const DEFAULT_QUEUE_PACKETS = 64;

export class SpecError extends Error {}

const PERCENT = 100;
const UNIT_MS: Readonly<Record<string, number>> = { us: 0.001, ms: 1, s: 1000 };
// tc's convention: "bit" units are bits, "bps" units are BYTES per second.
const UNIT_BITS: Readonly<Record<string, number>> = {
  bit: 1, kbit: 1e3, mbit: 1e6, gbit: 1e9, bps: 8, kbps: 8e3, mbps: 8e6, gbps: 8e9,
};
const UNIT_BYTES: Readonly<Record<string, number>> = { b: 1, kb: 1e3, kib: 1024, mb: 1e6, mib: 1024 * 1024 };

export function parseProbability(s: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?|\.\d+)(%?)$/.exec(s.trim());
  if (!m) throw new SpecError(`${what}: "${s}" is not a probability like 2% or 0.02`);
  const v = m[2] ? Number(m[1]) / PERCENT : Number(m[1]);
  if (v > 1) throw new SpecError(`${what}: "${s}" is more than 100%${m[2] ? '' : ' (write 2% for two percent)'}`);
  return v;
}

export function parseDurationMs(s: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)(us|ms|s)?$/.exec(s.trim());
  if (!m) throw new SpecError(`${what}: "${s}" is not a duration like 15ms, 1.5s or 250 (ms)`);
  return Number(m[1]) * UNIT_MS[m[2] ?? 'ms']!;
}

export function parseRateBits(s: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)([a-z]+)$/i.exec(s.trim());
  const mult = m ? UNIT_BITS[m[2]!.toLowerCase()] : undefined;
  if (!m || mult === undefined) throw new SpecError(`${what}: "${s}" is not a rate like 10mbit or 512kbit (kbps/mbps mean bytes/s)`);
  const v = Number(m[1]) * mult;
  if (v <= 0) throw new SpecError(`${what}: the rate must be above zero`);
  return v;
}

function parseQueue(s: string, into: { queuePackets?: number; queueBytes?: number }): void {
  const t = s.trim().toLowerCase();
  const packets = /^(\d+)(p|pkt|pkts|packets)?$/.exec(t);
  if (packets) { into.queuePackets = positive(Number(packets[1]), 'queue'); return; }
  const bytes = /^(\d+(?:\.\d+)?)(b|kb|kib|mb|mib)$/.exec(t);
  if (!bytes) throw new SpecError(`queue: "${s}" is not a length like 25 (datagrams) or 64kb / 64kib (bytes)`);
  into.queueBytes = positive(Math.floor(Number(bytes[1]) * UNIT_BYTES[bytes[2]!]!), 'queue');
}

function positive(n: number, what: string): number {
  if (!(n >= 1)) throw new SpecError(`${what}: must be at least 1`);
  return n;
}

function parseGilbertElliott(s: string): GilbertElliott {
  const parts = s.split('/');
  if (parts.length < 2 || parts.length > 4) throw new SpecError(`ge: "${s}" is not p/r[/lossBad[/lossGood]], e.g. 0.01/0.3`);
  const [p, r, lossBad, lossGood] = parts.map((x, i) => parseProbability(x, `ge (${['p', 'r', 'lossBad', 'lossGood'][i]})`));
  if (r === 0) throw new SpecError('ge: r = 0 would stay in the bad state forever');
  return { p: p!, r: r!, lossBad: lossBad ?? 1, lossGood: lossGood ?? 0 };
}

function parseBlackouts(s: string): Blackout[] {
  return s.split(';').filter((x) => x.trim() !== '').map((item) => {
    const m = /^([^+]+)\+(.+)$/.exec(item.trim());
    if (!m) throw new SpecError(`blackout: "${item}" is not AT+FOR, e.g. 2000+500 or 2s+500ms`);
    return { at: parseDurationMs(m[1]!, 'blackout start'), for: parseDurationMs(m[2]!, 'blackout length') };
  });
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Parses the CLI form (see the top of this file). "" and "none" give a clean link. Repeated blackout keys add up. */
export function parseImpairments(text: string): ImpairmentSpec {
  const spec: Mutable<ImpairmentSpec> = {};
  const blackouts: Blackout[] = [];
  const trimmed = text.trim();
  if (trimmed === '' || trimmed === 'none') return spec;
  for (const raw of trimmed.split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    if (eq < 0) throw new SpecError(`"${item}" is not key=value`);
    const key = item.slice(0, eq).trim().toLowerCase();
    const value = item.slice(eq + 1).trim();
    switch (key) {
      case 'loss': spec.loss = parseProbability(value, key); break;
      case 'corrupt': spec.corrupt = parseProbability(value, key); break;
      case 'dup': case 'duplicate': spec.duplicate = parseProbability(value, key); break;
      case 'reorder': spec.reorder = parseProbability(value, key); break;
      case 'reorder-delay': case 'hold': spec.reorderDelayMs = parseDurationMs(value, key); break;
      case 'delay': spec.delayMs = parseDurationMs(value, key); break;
      case 'jitter': spec.jitterMs = parseDurationMs(value, key); break;
      case 'rate': spec.rateBitsPerSec = parseRateBits(value, key); break;
      case 'queue': parseQueue(value, spec); break;
      case 'ge': spec.gilbertElliott = parseGilbertElliott(value); break;
      case 'blackout': blackouts.push(...parseBlackouts(value)); break;
      default:
        throw new SpecError(`unknown impairment "${key}" (known: loss, delay, jitter, rate, queue, dup, reorder, reorder-delay, corrupt, ge, blackout)`);
    }
  }
  if (blackouts.length) spec.blackouts = blackouts;
  return spec;
}

/** Throws a RangeError naming the first impossible field; the emulator checks specs built in code, not only parsed ones. */
export function validateImpairments(spec: ImpairmentSpec): void {
  const prob = (v: number | undefined, name: string) => {
    if (v !== undefined && !(v >= 0 && v <= 1)) throw new RangeError(`${name} must be a probability in [0, 1], got ${v}`);
  };
  const nonNeg = (v: number | undefined, name: string) => {
    if (v !== undefined && !(v >= 0 && Number.isFinite(v))) throw new RangeError(`${name} must be a finite number >= 0, got ${v}`);
  };
  prob(spec.loss, 'loss'); prob(spec.corrupt, 'corrupt'); prob(spec.duplicate, 'duplicate'); prob(spec.reorder, 'reorder');
  nonNeg(spec.delayMs, 'delayMs'); nonNeg(spec.jitterMs, 'jitterMs'); nonNeg(spec.reorderDelayMs, 'reorderDelayMs');
  if (spec.gilbertElliott) {
    const g = spec.gilbertElliott;
    prob(g.p, 'gilbertElliott.p'); prob(g.r, 'gilbertElliott.r'); prob(g.lossBad, 'gilbertElliott.lossBad'); prob(g.lossGood, 'gilbertElliott.lossGood');
  }
  if (spec.rateBitsPerSec !== undefined && !(spec.rateBitsPerSec > 0 && Number.isFinite(spec.rateBitsPerSec))) {
    throw new RangeError(`rateBitsPerSec must be above zero, got ${spec.rateBitsPerSec}`);
  }
  if (spec.queuePackets !== undefined && !(Number.isInteger(spec.queuePackets) && spec.queuePackets >= 1)) {
    throw new RangeError(`queuePackets must be a whole number >= 1, got ${spec.queuePackets}`);
  }
  if (spec.queueBytes !== undefined && !(spec.queueBytes >= 1)) throw new RangeError(`queueBytes must be >= 1, got ${spec.queueBytes}`);
  for (const b of spec.blackouts ?? []) { nonNeg(b.at, 'blackout.at'); nonNeg(b.for, 'blackout.for'); }
}

/** The largest bit unit that states the rate exactly: 10000000 -> 10mbit, 1500000 -> 1500kbit. */
function formatRate(bits: number): string {
  for (const unit of ['gbit', 'mbit', 'kbit'] as const) {
    const v = bits / UNIT_BITS[unit]!;
    if (Number.isInteger(v)) return `${v}${unit}`;
  }
  return `${bits}bit`;
}

const pct = (p: number) => `${+(p * PERCENT).toPrecision(4)}%`;

/** The CLI form again, for start messages and logs: parseImpairments(describeImpairments(s)) is equivalent to s. */
export function describeImpairments(spec: ImpairmentSpec): string {
  const out: string[] = [];
  if (spec.loss) out.push(`loss=${pct(spec.loss)}`);
  const g = spec.gilbertElliott;
  if (g) out.push(`ge=${g.p}/${g.r}/${g.lossBad ?? 1}/${g.lossGood ?? 0}`);
  if (spec.delayMs) out.push(`delay=${spec.delayMs}ms`);
  if (spec.jitterMs) out.push(`jitter=${spec.jitterMs}ms`);
  if (spec.rateBitsPerSec) out.push(`rate=${formatRate(spec.rateBitsPerSec)}`);
  if (spec.queuePackets) out.push(`queue=${spec.queuePackets}`);
  if (spec.queueBytes) out.push(`queue=${spec.queueBytes}b`);
  if (spec.duplicate) out.push(`dup=${pct(spec.duplicate)}`);
  if (spec.reorder) out.push(`reorder=${pct(spec.reorder)}`);
  if (spec.reorderDelayMs !== undefined) out.push(`reorder-delay=${spec.reorderDelayMs}ms`);
  if (spec.corrupt) out.push(`corrupt=${pct(spec.corrupt)}`);
  for (const b of spec.blackouts ?? []) out.push(`blackout=${b.at}+${b.for}`);
  return out.length ? out.join(',') : 'none';
}
