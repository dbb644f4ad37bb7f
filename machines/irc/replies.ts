// What the IRC listener says, as lines: numerics with their standard parameters, the welcome burst, NAMES, WHO,
// WHOIS, and the hub's chat (joins, leaves, messages, history) in IRC's words. Pure: no sockets, no clock.
import type { ChatLine, ServerFrame } from '../frames.js';
import { LIMITS } from '../limits.js';
import { nameKey } from '../nickname.js';
import { formatMessage, formatText, splitText } from './message.js';
import { NUMERICS, type NumericName } from './numerics.js';

/** The server's name as IRC clients see it (the source of its numerics). */
export const SERVER_NAME = 'messenger';
export const SERVER_VERSION = 'messenger-0.1';
/** The one channel: everyone on the server. */
export const CHANNEL = '#messenger';
export const TOPIC = 'Everyone on this messenger server. Shared files: /msg files help';
/** The service nickname that lists the shared files and offers them over DCC. */
export const FILES_NICK = 'files';
/** The capabilities offered (CAP LS), with their CAP LS 302 values. */
export const CAPABILITIES: Readonly<Record<string, string>> = {
  'message-tags': '', 'server-time': '', 'echo-message': '', batch: '', sasl: 'PLAIN', 'draft/chathistory': '',
};

/** Everyone's mask, the same wherever it shows: no addresses are shown, and the USER name is not part of it. */
export function mask(nick: string): string {
  return `${nick}!${nick}@${SERVER_NAME}`;
}

export function sameNick(a: string | null | undefined, b: string | null | undefined): boolean {
  return a != null && b != null && nameKey(a) === nameKey(b);
}

/** A numeric reply to `target` (`*` before a nickname is set). */
export function numeric(name: NumericName, target: string | null, ...params: string[]): string {
  return formatMessage({ source: SERVER_NAME, command: NUMERICS[name], params: [target ?? '*', ...params] }, params.length > 0);
}

/** The ISUPPORT tokens (005). */
export const ISUPPORT = [
  'CASEMAPPING=rfc8265', 'CHANTYPES=#', 'CHANLIMIT=#:1', `CHANNELLEN=${CHANNEL.length}`, `NICKLEN=${LIMITS.maxNameChars}`,
  'MAXTARGETS=1', 'TARGMAX=PRIVMSG:1,NOTICE:1,WHOIS:1', 'PREFIX=(ov)@+', 'CHANMODES=b,,,nt', 'NETWORK=messenger', 'UTF8ONLY', `CHATHISTORY=${LIMITS.historyPageMax}`, 'MSGREFTYPES=msgid',
  `LINELEN=${LIMITS.ircMaxBody + 2}`,
];

export interface WelcomeInfo { nick: string; created: string; online: number }

const MOTD = [
  `${CHANNEL} is everyone on this server: people in IRC clients and in messenger's own clients.`,
  'Talk in the channel to reach everyone, /msg NAME for one person.',
  `Shared files: /msg ${FILES_NICK} list, then /msg ${FILES_NICK} get NAME (a DCC SEND; add "passive" for reverse DCC).`,
];

export function motd(nick: string): string[] {
  return [
    numeric('RPL_MOTDSTART', nick, `- ${SERVER_NAME} Message of the day -`),
    ...MOTD.map((l) => numeric('RPL_MOTD', nick, `- ${l}`)),
    numeric('RPL_ENDOFMOTD', nick, 'End of /MOTD command.'),
  ];
}

export function lusers(nick: string, online: number): string[] {
  return [
    numeric('RPL_LUSERCLIENT', nick, `There are ${online} users and 0 invisible on 1 servers`),
    numeric('RPL_LUSERME', nick, `I have ${online} clients and 0 servers`),
  ];
}

/** 001-005, LUSERS and the MOTD. */
export function welcome(w: WelcomeInfo): string[] {
  const out = [
    numeric('RPL_WELCOME', w.nick, `Welcome to the messenger IRC listener, ${mask(w.nick)}`),
    numeric('RPL_YOURHOST', w.nick, `Your host is ${SERVER_NAME}, running version ${SERVER_VERSION}`),
    numeric('RPL_CREATED', w.nick, `This server was created ${w.created}`),
    formatMessage({ source: SERVER_NAME, command: NUMERICS.RPL_MYINFO, params: [w.nick, SERVER_NAME, SERVER_VERSION, 'i', 'bnt'] }),
  ];
  for (let i = 0; i < ISUPPORT.length; i += 12) {
    out.push(formatMessage({ source: SERVER_NAME, command: NUMERICS.RPL_ISUPPORT, params: [w.nick, ...ISUPPORT.slice(i, i + 12), 'are supported by this server'] }, true));
  }
  return [...out, ...lusers(w.nick, w.online), ...motd(w.nick)];
}

/** 353 lines (as many as the names need) and 366. */
export function names(nick: string, all: readonly string[]): string[] {
  const out: string[] = [];
  const head = Buffer.byteLength(numeric('RPL_NAMREPLY', nick, '=', CHANNEL, 'x')) - 1;
  let line: string[] = [];
  let bytes = head;
  for (const n of all) {
    const b = Buffer.byteLength(n) + 1;
    if (line.length && bytes + b > LIMITS.ircMaxBody) { out.push(numeric('RPL_NAMREPLY', nick, '=', CHANNEL, line.join(' '))); line = []; bytes = head; }
    line.push(n); bytes += b;
  }
  if (line.length) out.push(numeric('RPL_NAMREPLY', nick, '=', CHANNEL, line.join(' ')));
  out.push(numeric('RPL_ENDOFNAMES', nick, CHANNEL, 'End of /NAMES list.'));
  return out;
}

/** What the listener knows of one person: IRC users on this listener have their USER fields and away state. */
export interface PersonInfo { nick: string; user: string; realname: string; away: string | null; account: boolean }

export function whoReply(me: string, p: PersonInfo): string {
  return numeric('RPL_WHOREPLY', me, CHANNEL, p.user, SERVER_NAME, SERVER_NAME, p.nick, p.away ? 'G' : 'H', `0 ${p.realname}`);
}

export function whois(me: string, p: PersonInfo | null, asked: string): string[] {
  if (!p) return [numeric('ERR_NOSUCHNICK', me, asked, 'No such nick/channel'), numeric('RPL_ENDOFWHOIS', me, asked, 'End of /WHOIS list.')];
  const out = [numeric('RPL_WHOISUSER', me, p.nick, p.user, SERVER_NAME, '*', p.realname)];
  if (!sameNick(p.nick, FILES_NICK)) out.push(numeric('RPL_WHOISCHANNELS', me, p.nick, CHANNEL));
  out.push(numeric('RPL_WHOISSERVER', me, p.nick, SERVER_NAME, 'messenger chat server'));
  if (p.away) out.push(numeric('RPL_AWAY', me, p.nick, p.away));
  if (p.account) out.push(numeric('RPL_WHOISACCOUNT', me, p.nick, p.nick, 'is logged in as'));
  out.push(numeric('RPL_ENDOFWHOIS', me, p.nick, 'End of /WHOIS list.'));
  return out;
}

// ---- the hub's chat, translated

/** How one IRC client takes chat: its nickname, its capabilities, whether it is in the channel. */
export interface ChatView { nick: string; serverTime: boolean; echo: boolean; batch: boolean; inChannel: boolean }

/** Our convention for CTCP ACTION (`/me` in IRC clients): the text starts with "/me ". */
const ME = '/me ';
export const fromAction = (body: string): string => `${ME}${body}`;

/** PRIVMSG lines for a chat line, a `/me` as CTCP ACTION; each line fits IRC's limit. */
function privmsgLines(source: string, target: string, text: string, tags: Record<string, string> | undefined): string[] {
  if (!text.startsWith(ME)) return formatText({ tags, source, command: 'PRIVMSG', target }, text);
  const head = Buffer.byteLength(formatMessage({ source, command: 'PRIVMSG', params: [target, '\x01ACTION x\x01'] })) - 1;
  return splitText(text.slice(ME.length), Math.max(16, LIMITS.ircMaxBody - head))
    .map((piece) => formatMessage({ tags, source, command: 'PRIVMSG', params: [target, `\x01ACTION ${piece}\x01`] }, true));
}

function timeTag(v: ChatView, ts: number): Record<string, string> | undefined {
  return v.serverTime ? { time: new Date(ts).toISOString() } : undefined;
}

/** A left reason (the session's codes) in IRC's words. */
export function quitText(reason: string): string {
  switch (reason) {
    case 'quit': return 'Quit';
    case 'gone': return 'Connection closed';
    case 'idle-timeout': return 'Ping timeout';
    case 'flood': return 'Excess Flood';
    case 'slow-reader': return 'SendQ exceeded';
    case 'server-shutdown': return 'Server shutting down';
    default: return reason;
  }
}

/** The lines an IRC client gets for one frame the hub delivered (nothing for what it does not show). */
export function chatLines(frame: ServerFrame, v: ChatView): string[] {
  switch (frame.type) {
    case 'joined':
      return v.inChannel && !sameNick(frame.name, v.nick) ? [formatMessage({ source: mask(frame.name), command: 'JOIN', params: [CHANNEL] })] : [];
    case 'left':
      if (!v.inChannel || sameNick(frame.name, v.nick)) return [];
      if (frame.reason === 'part') return [formatMessage({ source: mask(frame.name), command: 'PART', params: [CHANNEL] })];
      return [formatMessage({ source: mask(frame.name), command: 'QUIT', params: [quitText(frame.reason)] }, true)];
    case 'message': {
      const own = sameNick(frame.from, v.nick);
      if (frame.to === undefined) {
        if (!v.inChannel || (own && !v.echo)) return [];
        return privmsgLines(mask(frame.from), CHANNEL, frame.text, timeTag(v, frame.ts));
      }
      const toMe = sameNick(frame.to, v.nick);
      if (own && !toMe && !v.echo) return [];
      return privmsgLines(mask(frame.from), toMe ? v.nick : frame.to, frame.text, timeTag(v, frame.ts));
    }
    case 'error':
      if (frame.re === 'say') return [numeric('ERR_CANNOTSENDTOCHAN', v.nick, CHANNEL, `Cannot send to channel: ${frame.message}`)];
      return [formatMessage({ source: SERVER_NAME, command: 'NOTICE', params: [v.nick, frame.message] })];
    default:
      return [];
  }
}

/** A time as history shows it to a client without server-time: `[2026-12-03 12:34 UTC] `. */
function stampPrefix(ts: number): string {
  const iso = new Date(ts).toISOString();
  return `[${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC] `;
}

/** The replay at registration: messages to all in the channel, kept private messages to the client, oldest first;
 *  with `server-time` each carries its time (in a `chathistory` batch with `batch`), else its text is prefixed; with
 *  `message-tags` each line of the history store carries its id as `msgid` (what CHATHISTORY BEFORE takes). */
export function historyLines(lines: readonly ChatLine[], v: ChatView, opts: { msgid?: boolean; batchId?: string; always?: boolean } = {}): string[] {
  const batchId = opts.batchId ?? 'history';
  const batch = v.batch || opts.always === true;
  const out: string[] = [];
  for (const l of lines) {
    const tags: Record<string, string> = {};
    if (batch) tags.batch = batchId;
    if (opts.msgid && l.id !== undefined) tags.msgid = String(l.id);
    if (v.serverTime) tags.time = new Date(l.ts).toISOString();
    const text = v.serverTime ? l.text : l.text.startsWith(ME) ? `${ME}${stampPrefix(l.ts)}${l.text.slice(ME.length)}` : stampPrefix(l.ts) + l.text;
    const target = l.to === undefined ? CHANNEL : v.nick;
    if (l.to === undefined && !v.inChannel && !opts.always) continue;
    out.push(...privmsgLines(mask(l.from), target, text, Object.keys(tags).length ? tags : undefined));
  }
  if (!batch || (!out.length && !opts.always)) return out;
  return [
    formatMessage({ source: SERVER_NAME, command: 'BATCH', params: [`+${batchId}`, 'chathistory', CHANNEL] }),
    ...out,
    formatMessage({ source: SERVER_NAME, command: 'BATCH', params: [`-${batchId}`] }),
  ];
}

/** An IRCv3 standard reply: `FAIL COMMAND CODE [context...] :description`. */
export function fail(command: string, code: string, context: readonly string[], description: string): string {
  return formatMessage({ source: SERVER_NAME, command: 'FAIL', params: [command, code, ...context, description] }, true);
}

export type HistoryQuery = { ok: true; limit: number; before?: number; target: string } | { ok: false; reply: string };

/**
 * A CHATHISTORY command (IRCv3 draft/chathistory) as a page of the history store: LATEST with `*` and BEFORE with a
 * `msgid` (the store pages backwards by id); other subcommands and references get FAIL with the standard codes.
 */
export function historyQuery(params: readonly string[], max: number): HistoryQuery {
  const [sub = '', target = '', ref = '', count = ''] = params;
  const SUB = sub.toUpperCase();
  if (!['LATEST', 'BEFORE', 'AFTER', 'AROUND', 'BETWEEN', 'TARGETS'].includes(SUB)) return { ok: false, reply: fail('CHATHISTORY', 'UNKNOWN_COMMAND', [sub], 'Unknown command') };
  if (params.length < 4) return { ok: false, reply: fail('CHATHISTORY', 'NEED_MORE_PARAMS', [SUB], 'Missing parameters') };
  if (SUB !== 'LATEST' && SUB !== 'BEFORE') return { ok: false, reply: fail('CHATHISTORY', 'INVALID_PARAMS', [SUB], 'Only LATEST and BEFORE are supported here') };
  if (target.toLowerCase() !== CHANNEL) return { ok: false, reply: fail('CHATHISTORY', 'INVALID_TARGET', [SUB, target], `Only ${CHANNEL} has a history here`) };
  const limit = /^\d{1,9}$/.test(count) ? Math.min(Number(count), max) : NaN;
  if (!(limit > 0)) return { ok: false, reply: fail('CHATHISTORY', 'INVALID_PARAMS', [SUB, count], 'The limit must be a positive number') };
  if (SUB === 'LATEST' && ref === '*') return { ok: true, limit, target: CHANNEL };
  const id = /^msgid=(\d{1,15})$/.exec(ref);
  if (SUB === 'BEFORE' && id) return { ok: true, limit, before: Number(id[1]), target: CHANNEL };
  return { ok: false, reply: fail('CHATHISTORY', 'INVALID_PARAMS', [SUB, ref], 'Messages are referred to here as * (LATEST) or msgid=ID (BEFORE)') };
}
