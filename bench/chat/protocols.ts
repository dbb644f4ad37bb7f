// The two wire protocols the chat load generator speaks: ours (NDJSON) and IRC (for ngIRCd). Everything here is
// bytes in, bytes out; the generator counts deliveries by a marker inside the message text, the same for both.
export type ProtoName = 'ours' | 'ours-legacy' | 'irc';

export interface Proto {
  /** What a client sends on connect: login (and, for IRC, JOIN #all). */
  login(name: string): string;
  /** A line that says the client is logged in and in the room. */
  ready: Buffer;
  /** Lines that mean the login was refused. */
  refused: Buffer[];
  /** One chat message to everyone. */
  say(text: string): string;
  /** A server keepalive the client must answer, and the answer. */
  ping: Buffer;
  pong: string;
  /** Whether the sender gets its own message back (ours: yes, as its receipt; IRC: no). */
  echoes: boolean;
}

/** Our protocol as our client speaks it: joins and leaves coalesced per tick (capability `presence`). */
const OURS: Proto = {
  login: (name) => `{"type":"hello","v":1,"name":"${name}","caps":["presence"]}\n`,
  ready: Buffer.from('"type":"welcome"'),
  refused: [Buffer.from('"type":"error"')],
  say: (text) => `{"type":"say","text":"${text}"}\n`,
  ping: Buffer.from('"type":"ping"'),
  pong: '{"type":"pong"}\n',
  echoes: true,
};

export const PROTOS: Record<ProtoName, Proto> = {
  ours: OURS,
  // a client of before the capability: one `joined`/`left` frame per person
  'ours-legacy': { ...OURS, login: (name) => `{"type":"hello","v":1,"name":"${name}"}\n` },
  irc: {
    login: (name) => `NICK ${name}\r\nUSER ${name} 0 * :${name}\r\nJOIN #all\r\n`,
    ready: Buffer.from(' 366 '),
    refused: [Buffer.from(' 433 '), Buffer.from('ERROR :')],
    say: (text) => `PRIVMSG #all :${text}\r\n`,
    ping: Buffer.from('PING :'),
    pong: 'PONG :bench\r\n',
    echoes: false,
  },
};

/** The marker every bench message text starts with: `|B|<worker>|<send time in us>|` then padding. */
export const MARK = Buffer.from('|B|');

export function messageText(worker: number, tUs: number, size: number): string {
  const head = `|B|${worker}|${tUs}|`;
  return size > head.length ? head + 'x'.repeat(size - head.length) : head;
}

/** Microseconds on the monotonic clock, the same in every process on this machine. */
export function nowUs(): number {
  const [s, ns] = process.hrtime();
  return s * 1e6 + Math.floor(ns / 1000);
}
