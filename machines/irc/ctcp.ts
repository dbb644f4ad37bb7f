// CTCP inside PRIVMSG (`\x01COMMAND args\x01`) and the DCC SEND offers it carries: the offer the file service makes,
// and what clients answer (passive DCC's reply with their port, DCC RESUME). Pure.

export interface Ctcp { command: string; args: string }

/** The CTCP a PRIVMSG text carries, or null for plain text. */
export function parseCtcp(text: string): Ctcp | null {
  if (!text.startsWith('\x01')) return null;
  const body = text.slice(1, text.endsWith('\x01') && text.length > 1 ? -1 : undefined);
  const sp = body.indexOf(' ');
  return sp < 0 ? { command: body.toUpperCase(), args: '' } : { command: body.slice(0, sp).toUpperCase(), args: body.slice(sp + 1) };
}

export function ctcp(command: string, args: string): string {
  return `\x01${command}${args ? ` ${args}` : ''}\x01`;
}

/** A DCC argument list: words, where a double-quoted word may hold spaces. */
function words(s: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  for (let m = re.exec(s); m; m = re.exec(s)) out.push(m[1] ?? m[2]!);
  return out;
}

/** A file name as a DCC argument: quoted when it holds a space. */
export function dccName(name: string): string {
  return /[\s"]/.test(name) ? `"${name.replace(/"/g, '')}"` : name;
}

/** An address as DCC writes it: IPv4 as one decimal number, IPv6 as is. */
export function dccAddress(ip: string): string {
  const v4 = /^(?:::ffff:)?(\d+)\.(\d+)\.(\d+)\.(\d+)$/i.exec(ip);
  if (!v4) return ip;
  return String(v4.slice(1, 5).reduce((n, b) => n * 256 + Number(b), 0));
}

export type DccRequest =
  /** a DCC SEND sent back by a client to a passive offer: it listens on `port` */
  | { kind: 'send'; file: string; port: number; size: number; token: string }
  /** DCC RESUME: the client has `position` bytes and wants the rest (`token` on a passive offer) */
  | { kind: 'resume'; file: string; port: number; position: number; token?: string };

/** What a client's `DCC ...` CTCP asks, or null when it is not a DCC request the file service takes. */
export function parseDcc(args: string): DccRequest | null {
  const w = words(args);
  const kind = (w[0] ?? '').toUpperCase();
  const num = (s: string | undefined) => (s !== undefined && /^\d{1,15}$/.test(s) ? Number(s) : NaN);
  if (kind === 'SEND' && w.length >= 6) {
    const port = num(w[3]), size = num(w[4]);
    if (!Number.isFinite(port) || port < 1 || port > 65535 || !Number.isFinite(size)) return null;
    return { kind: 'send', file: w[1]!, port, size, token: w[5]! };
  }
  if (kind === 'RESUME' && w.length >= 4) {
    const port = num(w[2]), position = num(w[3]);
    if (!Number.isFinite(port) || port > 65535 || !Number.isFinite(position)) return null;
    const r: DccRequest = { kind: 'resume', file: w[1]!, port, position };
    if (w[4] !== undefined) r.token = w[4];
    return r;
  }
  return null;
}

/** The offer: `DCC SEND name address port size` (active), or with port 0 and a token (passive, the client listens). */
export function dccSend(o: { file: string; ip: string; port: number; size: number; token?: string }): string {
  return ctcp('DCC', `SEND ${dccName(o.file)} ${dccAddress(o.ip)} ${o.port} ${o.size}${o.token !== undefined ? ` ${o.token}` : ''}`);
}

export function dccAccept(o: { file: string; port: number; position: number; token?: string }): string {
  return ctcp('DCC', `ACCEPT ${dccName(o.file)} ${o.port} ${o.position}${o.token !== undefined ? ` ${o.token}` : ''}`);
}
