// The link emulator's public surface: the pure impairment model and the UDP proxy built on it.
export { LinkEmulator, NAT_IDLE_MS } from './link-emulator.js';
export type { DeliveryFailure, Direction, DirectionStats, LinkEmulatorOptions, LinkStats, PortMapping } from './link-emulator.js';
export { Impairments, applyCorruption, DROP_CAUSES } from './impairments.js';
export type { Corruption, DropCause, ImpairmentCounters, Verdict } from './impairments.js';
export {
  DEFAULT_QUEUE_PACKETS, DEFAULT_REORDER_DELAY_MS, NO_IMPAIRMENTS, SpecError,
  describeImpairments, parseImpairments, validateImpairments,
} from './impairment-spec.js';
export type { Blackout, GilbertElliott, ImpairmentSpec } from './impairment-spec.js';
export { BandwidthQueue } from './bandwidth-queue.js';
export type { QueueDepth, QueueLimit } from './bandwidth-queue.js';
export { Prng } from './prng.js';
export { TimerQueue } from './timer-queue.js';
export { buildMappings, formatStats, parsePortRange, parseSeconds, parseSeed, parseTarget } from './cli-args.js';
export type { PortRange } from './cli-args.js';
