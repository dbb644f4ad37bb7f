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

/** `--host A,B,...` of the client: each HOST or HOST:PORT (an IPv6 address in brackets, `[::1]:50000`, or bare
 *  without a port); `defaultPort` where none is given. Order kept: the first is tried first. */
export function parseHosts(s: string, defaultPort: number, what = '--host'): Array<{ host: string; port: number }> {
  const out: Array<{ host: string; port: number }> = [];
  for (const raw of s.split(',')) {
    const item = raw.trim();
    if (!item) throw new CliError(`${what}: "${s}" has an empty entry (give HOST or HOST:PORT, separated by commas)`);
    let host: string, port = defaultPort;
    const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(item);
    if (bracketed) {
      host = bracketed[1]!;
      if (bracketed[2] !== undefined) port = parsePort(bracketed[2], `${what} ${item}`);
    } else if (item.indexOf(':') !== item.lastIndexOf(':')) {
      host = item; // a bare IPv6 address: no port can follow it
    } else if (item.includes(':')) {
      host = item.slice(0, item.indexOf(':'));
      port = parsePort(item.slice(item.indexOf(':') + 1), `${what} ${item}`);
    } else host = item;
    if (!host || /[\s/@[\]]/.test(host)) throw new CliError(`${what}: "${item}" is not HOST or HOST:PORT`);
    if (port === 0) throw new CliError(`${what}: ${item}: port 0 cannot be connected to`);
    out.push({ host, port });
  }
  return out;
}
