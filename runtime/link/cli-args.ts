// Argument helpers for bin/messenger-link: port ranges, the target, the seed, and a one-line stats summary. They
// throw SpecError with a message fit for a person; the bin prints it and exits 2.
import { DROP_CAUSES } from './impairments.js';
import { SpecError } from './impairment-spec.js';
import type { DirectionStats, LinkStats, PortMapping } from './link-emulator.js';

const MAX_PORT = 65535;

export interface PortRange {
  readonly first: number;
  readonly last: number;
}

export function parsePortRange(s: string, what: string): PortRange {
  const m = /^(\d+)(?:-(\d+))?$/.exec(s.trim());
  if (!m) throw new SpecError(`${what}: "${s}" is not a port or a range like 56000-56015`);
  const first = Number(m[1]);
  const last = m[2] === undefined ? first : Number(m[2]);
  if (first > MAX_PORT || last > MAX_PORT) throw new SpecError(`${what}: ports go up to ${MAX_PORT}`);
  if (last < first) throw new SpecError(`${what}: the range ${s} ends before it starts`);
  if (first === 0 && last !== 0) throw new SpecError(`${what}: port 0 (any free port) cannot start a range`);
  return { first, last };
}

/** HOST:PORTS, with IPv6 hosts in brackets: 127.0.0.1:55000-55015, localhost:55000, [::1]:55000-55015. */
export function parseTarget(s: string): { host: string; ports: PortRange } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d+(?:-\d+)?)$/.exec(s.trim());
  if (!m) throw new SpecError(`--target: "${s}" is not HOST:PORTS like 127.0.0.1:55000-55015 or [::1]:55000`);
  const ports = parsePortRange(m[3]!, '--target');
  if (ports.first === 0) throw new SpecError('--target: port 0 cannot be a destination');
  return { host: m[1] ?? m[2]!, ports };
}

/** Pairs listen and target ports one to one; the ranges must be equally long. */
export function buildMappings(listen: PortRange, targetHost: string, target: PortRange): PortMapping[] {
  const n = listen.last - listen.first + 1;
  if (n !== target.last - target.first + 1) {
    throw new SpecError(`--listen-ports has ${n} port(s) but --target has ${target.last - target.first + 1}: they map one to one`);
  }
  return Array.from({ length: n }, (_, i) => ({ listenPort: listen.first + i, targetHost, targetPort: target.first + i }));
}

export function parseSeed(s: string): number {
  if (!/^-?\d+$/.test(s.trim())) throw new SpecError(`--seed: "${s}" is not a whole number`);
  return Number(s);
}

export function parseSeconds(s: string, what: string): number {
  const v = Number(s);
  if (!(v > 0) || !Number.isFinite(v)) throw new SpecError(`${what}: "${s}" is not a number of seconds above zero`);
  return v;
}

function direction(name: string, d: DirectionStats): string {
  const drops = [...DROP_CAUSES, 'closed', 'sendError', 'natBacklog'] as const;
  const dropped = drops.filter((c) => d.dropped[c] > 0).map((c) => `${c}:${d.dropped[c]}`).join(',') || '0';
  return `${name} in=${d.received} out=${d.forwarded} dropped=${dropped} dup=${d.duplicated} corrupt=${d.corrupted}` +
    ` reorder=${d.reordered} qmax=${d.queueMaxPackets}p/${d.queueMaxBytes}B`;
}

/** One line: both directions and the NAT table. */
export function formatStats(s: LinkStats): string {
  return `${direction('up', s.up)} | ${direction('down', s.down)} | nat active=${s.nat.active} opened=${s.nat.opened} expired=${s.nat.expired}`;
}
