// Small helpers for the command lines: port ranges, sizes, fractions. Errors are thrown as CliError with a message
// fit for a person; the bins print it with the usage and exit 2.
export class CliError extends Error {}

export function parsePort(s: string, what: string): number {
  if (!/^\d+$/.test(s)) throw new CliError(`${what}: "${s}" is not a port number`);
  const n = Number(s);
  if (n < 0 || n > 65535) throw new CliError(`${what}: ${n} is out of range 0-65535`);
  return n;
}

export function parsePortRange(s: string, what: string): [number, number] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(s.trim());
  if (!m) throw new CliError(`${what}: "${s}" is not a port range like 55000-55015`);
  const a = parsePort(m[1]!, what);
  const b = m[2] === undefined ? a : parsePort(m[2], what);
  if (b < a) throw new CliError(`${what}: the range ${s} ends before it starts`);
  if (a === 0) throw new CliError(`${what}: port 0 cannot be part of a pool`);
  return [a, b];
}

export function parseFraction(s: string, what: string): number {
  const pct = s.endsWith('%');
  const n = Number(pct ? s.slice(0, -1) : s);
  const v = pct ? n / 100 : n;
  if (!Number.isFinite(v) || v < 0 || v > 1) throw new CliError(`${what}: "${s}" must be a fraction 0-1 or a percentage`);
  return v;
}

export function parseBytes(s: string, what: string): number {
  const m = /^(\d+)\s*([kKmM]?)[bB]?$/.exec(s.trim());
  if (!m) throw new CliError(`${what}: "${s}" is not a size like 1200 or 60k`);
  const mult = m[2] === '' ? 1 : /k/i.test(m[2]!) ? 1024 : 1024 * 1024;
  return Number(m[1]) * mult;
}

export function parseMs(s: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m)?$/.exec(s.trim());
  if (!m) throw new CliError(`${what}: "${s}" is not a duration like 500ms, 30s or 2m`);
  const v = Number(m[1]);
  return m[2] === 's' ? v * 1000 : m[2] === 'm' ? v * 60000 : v;
}
