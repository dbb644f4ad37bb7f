// One actor per IRC connection: registration (NICK/USER, CAP LS 302 negotiation, SASL PLAIN, a deadline), the claim
// of the nickname in the hub, then the commands of a registered client in the one channel, PING/PONG and the idle
// timeout, IRC's penalty timer (lines wait, they are not refused) and the flood disconnect. Sans-I/O: it speaks
// through the IrcPort the runtime gives it (lines out, the hub, accounts, files); time comes in on events.
import { and, assign, enqueueActions, not, setup } from 'xstate';
import type { FileEntry } from '../frames.js';
import type { ChatLine } from '../frames.js';
import { LIMITS } from '../limits.js';
import { checkNickname } from '../nickname.js';
import type { AccountsPort, HubPort, Member } from '../session.machine.js';
import { TIMING } from '../timing.js';
import { dccAccept, dccSend, parseCtcp, parseDcc } from './ctcp.js';
import { fitLine, formatMessage, formatText, type IrcMessage } from './message.js';
import { NUMERICS } from './numerics.js';
import {
  CAPABILITIES, CHANNEL, fail, FILES_NICK, fromAction, historyLines, historyQuery, lusers, mask, motd, names, numeric, SERVER_NAME,
  SERVER_VERSION, sameNick, TOPIC, welcome, whoReply, whois, type ChatView, type PersonInfo,
} from './replies.js';

/** What an IRC session may do to the world. */
export interface IrcPort extends Member {
  /** Whether the connection is TLS (passwords are taken only over one unless the server allows it). */
  readonly secure: boolean;
  /** The peer's address, for the closing line the client itself reads. */
  readonly peer: string;
  readonly accounts: AccountsPort;
  readonly hub: Pick<HubPort, 'isTaken' | 'names' | 'history' | 'sayAll' | 'tell' | 'join' | 'leave'>;
  /** One line out (no CRLF). */
  send(line: string): void;
  /** Claims `name` in the hub for this connection; answers with `claim.result` (the session then joins under it). */
  claim(name: string): void;
  /** What is known of someone online (or the file service), for WHO and WHOIS; null when nobody has that name. */
  person(name: string): PersonInfo | null;
  /** A page of the history of messages to all (the newest `limit` below id `before`): answers with `history.page`. */
  historyPage(limit: number, before?: number): void;
  /** The shared files: answers with `files.listed` or `files.failed`. */
  listFiles(): void;
  /** Offers a shared file over DCC SEND: answers with `dcc.offer` or `dcc.refused`, later `dcc.ended`. */
  offerFile(file: string, passive: boolean): void;
  /** A client's answer to an offer (passive DCC's port, or DCC RESUME): may answer `dcc.accept` or `dcc.refused`. */
  dccRequest(req: NonNullable<ReturnType<typeof parseDcc>>): void;
  /** Flushes what is queued, then ends the connection. */
  close(): void;
  /** Called once when the session ends (its downloads end with it). */
  ended(name: string | null, reason: string): void;
}

export interface IrcConfig {
  registrationTimeoutMs: number;
  pingEveryMs: number;
  idleMs: number;
  penaltyMs: number;
  penaltyWindowMs: number;
  recvQBytes: number;
  registration?: 'open' | 'closed';
  allowInsecureAuth?: boolean;
  /** When the listener started (ms since the epoch): RPL_CREATED and the channel's creation time say it. */
  createdAt: number;
}

export const DEFAULT_IRC_CONFIG: IrcConfig = {
  registrationTimeoutMs: TIMING.ircRegistrationTimeoutMs,
  pingEveryMs: TIMING.pingEveryMs,
  idleMs: TIMING.idleMs,
  penaltyMs: TIMING.ircPenaltyMs,
  penaltyWindowMs: TIMING.ircPenaltyWindowMs,
  recvQBytes: LIMITS.ircRecvQBytes,
  createdAt: 0,
};

interface Held { msg: IrcMessage; bytes: number }

export interface IrcContext {
  port: IrcPort;
  cfg: IrcConfig;
  /** The nickname asked for (NICK), then the one in use. */
  nick: string | null;
  user: string | null;
  realname: string;
  pass: string | null;
  caps: string[];
  /** `negotiating`: CAP LS or REQ came before registration, which waits for CAP END. */
  capState: 'none' | 'negotiating' | 'done';
  /** SASL: `mech` after AUTHENTICATE PLAIN (data expected), `checking` while the password is verified. */
  sasl: 'idle' | 'mech' | 'checking';
  saslData: string;
  /** The account name being checked (SASL or PASS). */
  checking: string | null;
  checkingBy: 'sasl' | 'pass' | null;
  account: string | null;
  /** The name held in the hub (null before registration and after PART). */
  name: string | null;
  inChannel: boolean;
  away: string | null;
  /** IRC's message timer: each line moves it ahead; lines wait while it is too far ahead of now. */
  timer: number;
  held: Held[];
  heldBytes: number;
  openedAt: number;
  lastHeard: number;
  lastPing: number;
  /** What the closing ERROR line says, and the reason the hub tells everyone. */
  closeText: string;
  leaveReason: string;
}

export type IrcEvent =
  | { type: 'line'; msg: IrcMessage; bytes: number; now: number }
  | { type: 'bad'; problem: 'too-long' | 'bad'; detail: string; now: number }
  | { type: 'process'; msg: IrcMessage; now: number }
  | { type: 'tick'; now: number }
  | { type: 'login.checked'; account: boolean; ok: boolean; now: number }
  | { type: 'claim.result'; ok: boolean }
  /** The answer to IrcPort.historyPage: null when the store cannot be read. */
  | { type: 'history.page'; lines: ChatLine[] | null }
  | { type: 'files.listed'; files: FileEntry[] }
  | { type: 'files.failed'; message: string }
  | { type: 'dcc.offer'; file: string; ip: string; port: number; size: number; token?: string }
  | { type: 'dcc.accept'; file: string; port: number; position: number; token?: string }
  | { type: 'dcc.refused'; file: string; message: string }
  | { type: 'dcc.ended'; file: string; ok: boolean; message: string }
  | { type: 'socket.closed'; reason: string }
  | { type: 'shutdown'; reason: string };

export interface IrcInput { port: IrcPort; cfg?: IrcConfig; now: number }

const msgOf = (e: IrcEvent): IrcMessage | null => (e.type === 'process' ? e.msg : null);
const param = (e: IrcEvent, i: number): string | undefined => msgOf(e)?.params[i];
const isChannel = (t: string): boolean => t.startsWith('#') || t.startsWith('&');
const isMessenger = (t: string): boolean => t.toLowerCase() === CHANNEL;
const me = (c: IrcContext): string => c.nick ?? '*';

function send(c: IrcContext, ...lines: string[]): void { for (const l of lines) c.port.send(fitLine(l)); }
function notice(from: string, to: string, text: string): string[] {
  return formatText({ source: from === SERVER_NAME ? SERVER_NAME : mask(from), command: 'NOTICE', target: to }, text);
}

function view(c: IrcContext): ChatView {
  return { nick: me(c), serverTime: c.caps.includes('server-time'), echo: c.caps.includes('echo-message'), batch: c.caps.includes('batch'), inChannel: c.inChannel };
}

/** The text of a PRIVMSG as our clients take it: a CTCP ACTION becomes "/me ...", other CTCP is null (not relayed). */
function chatText(text: string): string | null {
  const q = parseCtcp(text);
  if (!q) return text;
  return q.command === 'ACTION' ? fromAction(q.args) : null;
}

/** SASL PLAIN's message (`authzid NUL authcid NUL password`) from the chunks gathered, or null when malformed. */
function plainCredentials(data: string): { name: string; password: string } | null {
  if (data === '' || !/^[A-Za-z0-9+/]*={0,2}$/.test(data) || data.length % 4 !== 0) return null;
  const parts = Buffer.from(data, 'base64').toString('utf8').split('\0');
  if (parts.length !== 3) return null;
  const [authz, authc, password] = parts as [string, string, string];
  if (!authc || !password || (authz !== '' && authz !== authc) || password.length > LIMITS.maxPassword) return null;
  return { name: authc.normalize('NFC'), password };
}

/** The SASL data with this event's chunk added (`+` is an empty chunk). */
function saslWith(c: IrcContext, e: IrcEvent): string {
  const chunk = param(e, 0) ?? '';
  return c.saslData + (chunk === '+' ? '' : chunk);
}

/** PRIVMSG/NOTICE's target and text. */
const target = (e: IrcEvent): string => param(e, 0) ?? '';
const isPrivmsg = (e: IrcEvent): boolean => msgOf(e)?.command === 'PRIVMSG';

export const ircSessionMachine = setup({
  types: { context: {} as IrcContext, events: {} as IrcEvent, input: {} as IrcInput },
  guards: {
    isCommand: ({ event }, p: { command: string }) => msgOf(event)?.command === p.command,
    isMsg: ({ event }) => msgOf(event)?.command === 'PRIVMSG' || msgOf(event)?.command === 'NOTICE',
    isCap: ({ event }, p: { sub: string }) => msgOf(event)?.command === 'CAP' && (param(event, 0) ?? '').toUpperCase() === p.sub,
    lacksParams: ({ event }, p: { count: number }) => (msgOf(event)?.params.filter((x, i) => x !== '' || i > 0).length ?? 0) < p.count,
    // ---- the penalty timer and the flood
    mustHold: ({ context, event }) => event.type === 'line' && (context.held.length > 0 || context.timer - event.now > context.cfg.penaltyWindowMs),
    excessFlood: ({ context, event }) => event.type === 'line' && context.heldBytes + event.bytes > context.cfg.recvQBytes,
    badFlood: ({ context, event }) => event.type === 'bad' && context.timer - event.now > 2 * context.cfg.penaltyWindowMs,
    isTooLong: ({ event }) => event.type === 'bad' && event.problem === 'too-long',
    // ---- registration
    nickInvalid: ({ event }) => !checkNickname(param(event, 0) ?? '').ok,
    nickReserved: ({ event }) => sameNick(param(event, 0), FILES_NICK),
    nickTaken: ({ context, event }) => context.port.hub.isTaken((param(event, 0) ?? '').normalize('NFC')),
    nickUnchanged: ({ context, event }) => param(event, 0) === context.nick,
    hasUser: ({ context }) => context.user !== null,
    ready: ({ context }) => context.nick !== null && context.user !== null && context.capState !== 'negotiating' && context.sasl !== 'checking' && context.checking === null,
    loggedIn: ({ context }) => context.account !== null,
    nickRegistered: ({ context }) => context.nick !== null && context.port.accounts.isRegistered(context.nick),
    hasPass: ({ context }) => context.pass !== null,
    passwordAllowed: ({ context }) => context.port.secure || context.cfg.allowInsecureAuth === true,
    registrationClosed: ({ context }) => context.cfg.registration === 'closed',
    chosenNameTaken: ({ context }) => context.port.hub.isTaken(context.account ?? context.nick ?? ''),
    isLate: ({ context, event }) => event.type === 'tick' && event.now - context.openedAt >= context.cfg.registrationTimeoutMs,
    claimOk: ({ event }) => event.type === 'claim.result' && event.ok,
    // ---- SASL
    saslAbort: ({ event }) => param(event, 0) === '*',
    saslIdle: ({ context }) => context.sasl === 'idle',
    saslChecking: ({ context }) => context.sasl === 'checking',
    saslPlain: ({ event }) => (param(event, 0) ?? '').toUpperCase() === 'PLAIN',
    saslChunkTooLong: ({ context, event }) => (param(event, 0) ?? '').length > 400 || saslWith(context, event).length > LIMITS.ircMaxSaslBytes,
    saslMoreToCome: ({ event }) => (param(event, 0) ?? '').length === 400,
    saslMalformed: ({ context, event }) => plainCredentials(saslWith(context, event)) === null,
    saslBlocked: ({ context, event }) => context.port.accounts.blocked(plainCredentials(saslWith(context, event))?.name ?? '', event.type === 'process' ? event.now : 0),
    checkingPass: ({ context }) => context.checkingBy === 'pass',
    loginOk: ({ event }) => event.type === 'login.checked' && event.ok,
    // ---- a registered client
    noTarget: ({ event }) => target(event) === '',
    noText: ({ event }) => (param(event, 1) ?? '') === '',
    toFiles: ({ event }) => sameNick(target(event), FILES_NICK),
    filesDcc: ({ event }) => parseCtcp(param(event, 1) ?? '')?.command === 'DCC',
    filesList: ({ event }) => /^\s*list\s*$/i.test(param(event, 1) ?? ''),
    filesGet: ({ event }) => /^\s*get\s+\S/i.test(param(event, 1) ?? ''),
    toChannel: ({ event }) => isMessenger(target(event)),
    toOtherChannel: ({ event }) => isChannel(target(event)),
    inChannel: ({ context }) => context.inChannel,
    notRelayed: ({ event }) => chatText(param(event, 1) ?? '') === null,
    recipientOnline: ({ context, event }) => context.port.hub.isTaken(target(event).normalize('NFC')),
    recipientRegistered: ({ context, event }) => context.port.accounts.isRegistered(target(event).normalize('NFC')),
    recipientMailboxFull: ({ context, event }) => context.port.accounts.keptCount(target(event).normalize('NFC')) >= LIMITS.offlinePerRecipient,
    joinsMessenger: ({ event }) => (param(event, 0) ?? '').split(',').some(isMessenger),
    joinZero: ({ event }) => param(event, 0) === '0',
    partsMessenger: ({ event }) => (param(event, 0) ?? '').split(',').some(isMessenger),
    isIdleTooLong: ({ context, event }) => event.type === 'tick' && event.now - context.lastHeard > context.cfg.idleMs,
    isPingDue: ({ context, event }) => event.type === 'tick' && event.now - Math.max(context.lastHeard, context.lastPing) >= context.cfg.pingEveryMs,
  },
  actions: {
    // ---- lines in: the penalty timer (RFC 1459 8.10), held lines released on ticks
    noteHeard: assign({ lastHeard: ({ context, event }) => ('now' in event ? event.now : context.lastHeard) }),
    admitLine: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'line') return;
      // PONG costs nothing: answering keepalives never waits
      const cost = event.msg.command === 'PONG' ? 0 : context.cfg.penaltyMs;
      enqueue.assign({ timer: Math.max(context.timer, event.now) + cost });
      enqueue.raise({ type: 'process', msg: event.msg, now: event.now });
    }),
    holdLine: assign(({ context, event }) => {
      if (event.type !== 'line') return {};
      return { held: [...context.held, { msg: event.msg, bytes: event.bytes }], heldBytes: context.heldBytes + event.bytes };
    }),
    releaseHeld: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'tick' || !context.held.length) return;
      let timer = context.timer, i = 0, bytes = context.heldBytes;
      while (i < context.held.length && timer - event.now <= context.cfg.penaltyWindowMs) {
        const h = context.held[i++]!;
        timer = Math.max(timer, event.now) + (h.msg.command === 'PONG' ? 0 : context.cfg.penaltyMs);
        bytes -= h.bytes;
        enqueue.raise({ type: 'process', msg: h.msg, now: event.now });
      }
      enqueue.assign({ timer, held: context.held.slice(i), heldBytes: bytes });
    }),
    chargeBad: assign({ timer: ({ context, event }) => (event.type === 'bad' ? Math.max(context.timer, event.now) + context.cfg.penaltyMs : context.timer) }),
    answerTooLong: ({ context }) => send(context, numeric('ERR_INPUTTOOLONG', me(context), 'Input line was too long')),
    // ---- registration
    setNick: assign({ nick: ({ event }) => (param(event, 0) ?? '').normalize('NFC') }),
    clearNick: assign({ nick: null }),
    setUser: assign(({ event }) => ({
      user: (param(event, 0) ?? '').replace(/[^\p{L}\p{N}._-]/gu, '').slice(0, LIMITS.ircMaxUserField) || 'user',
      realname: (param(event, 3) ?? '').slice(0, LIMITS.ircMaxUserField),
    })),
    setPass: assign({ pass: ({ event }) => param(event, 0) ?? null }),
    refuseNoNick: ({ context }) => send(context, numeric('ERR_NONICKNAMEGIVEN', me(context), 'No nickname given')),
    refuseNickInvalid: ({ context, event }) => {
      const check = checkNickname(param(event, 0) ?? '');
      send(context, numeric('ERR_ERRONEUSNICKNAME', me(context), param(event, 0) ?? '', `Erroneous nickname: ${check.ok ? 'not allowed here' : check.reason}`));
    },
    refuseNickReserved: ({ context, event }) => send(context, numeric('ERR_ERRONEUSNICKNAME', me(context), param(event, 0) ?? '', 'Erroneous nickname: reserved for the file service')),
    refuseNickTaken: ({ context, event }) => send(context, numeric('ERR_NICKNAMEINUSE', me(context), param(event, 0) ?? '', 'Nickname is already in use')),
    refuseChosenTaken: ({ context }) => send(context, numeric('ERR_NICKNAMEINUSE', '*', context.account ?? context.nick ?? '', 'Nickname is already in use')),
    refuseRegisteredNick: ({ context }) => send(context, numeric('ERR_NICKNAMEINUSE', '*', context.nick ?? '', 'Nickname is registered: log in with SASL PLAIN (or PASS) and its password')),
    refuseAlreadyRegistered: ({ context }) => send(context, numeric('ERR_ALREADYREGISTERED', me(context), 'You may not reregister')),
    refuseNeedMoreParams: ({ context, event }) => send(context, numeric('ERR_NEEDMOREPARAMS', me(context), msgOf(event)?.command ?? '', 'Not enough parameters')),
    refuseNotRegistered: ({ context }) => send(context, numeric('ERR_NOTREGISTERED', me(context), 'You have not registered')),
    refuseNickChange: ({ context, event }) =>
      send(context, numeric('ERR_CANTCHANGENICK', me(context), param(event, 0) ?? '', `Nicknames are fixed for a connection here (everyone knows you as ${me(context)}): reconnect to change it`)),
    adoptAccountName: enqueueActions(({ context, enqueue }) => {
      // a logged-in client is known by its account's name (as with our own clients): say so if the nick differs
      if (!context.account || context.account === context.nick) return;
      send(context, formatMessage({ source: mask(context.nick ?? '*'), command: 'NICK', params: [context.account] }, true));
      enqueue.assign({ nick: context.account });
    }),
    claimName: ({ context }) => context.port.claim(context.nick!),
    setName: assign({ name: ({ context }) => context.nick, inChannel: true }),
    // the name was claimed for this connection (claim.result), so it goes online under it
    joinHub: ({ context }) => { if (context.name) context.port.hub.join(context.name, context.port); },
    sendWelcome: ({ context }) => {
      const nick = me(context);
      send(context, ...welcome({ nick, created: new Date(context.cfg.createdAt).toUTCString(), online: context.port.hub.names().length }));
    },
    sendOwnJoin: ({ context }) => send(context, formatMessage({ source: mask(me(context)), command: 'JOIN', params: [CHANNEL] })),
    sendTopic: ({ context }) => send(context, numeric('RPL_TOPIC', me(context), CHANNEL, TOPIC)),
    sendNames: ({ context }) => send(context, ...names(me(context), context.port.hub.names())),
    replayHistory: ({ context }) => {
      const kept = context.port.accounts.takeKept(me(context));
      const all: ChatLine[] = kept.length ? [...context.port.hub.history(), ...kept].sort((a, b) => a.ts - b.ts) : context.port.hub.history();
      send(context, ...historyLines(all, view(context), { msgid: context.caps.includes('message-tags') }));
    },
    startPassCheck: enqueueActions(({ context, enqueue }) => {
      enqueue.assign({ checking: context.nick, checkingBy: 'pass' });
      context.port.accounts.verify(context.nick!, context.pass!);
    }),
    // ---- CAP
    capLs: enqueueActions(({ context, event, enqueue }) => {
      const v302 = Number(param(event, 1) ?? '0') >= 302;
      const list = Object.entries(CAPABILITIES).map(([k, v]) => (v302 && v ? `${k}=${v}` : k)).join(' ');
      send(context, formatMessage({ source: SERVER_NAME, command: 'CAP', params: [me(context), 'LS', list] }, true));
      if (context.capState === 'none' && context.name === null && !context.inChannel) enqueue.assign({ capState: 'negotiating' });
    }),
    capReq: enqueueActions(({ context, event, enqueue }) => {
      const asked = (param(event, 1) ?? '').trim().split(/\s+/).filter(Boolean);
      const known = (c: string) => Object.hasOwn(CAPABILITIES, c.replace(/^-/, ''));
      const ok = asked.length > 0 && asked.every(known);
      send(context, formatMessage({ source: SERVER_NAME, command: 'CAP', params: [me(context), ok ? 'ACK' : 'NAK', asked.join(' ')] }, true));
      if (ok) {
        let caps = context.caps.slice();
        for (const c of asked) caps = c.startsWith('-') ? caps.filter((x) => x !== c.slice(1)) : caps.includes(c) ? caps : [...caps, c];
        enqueue.assign({ caps });
      }
      if (context.capState === 'none' && context.name === null && !context.inChannel) enqueue.assign({ capState: 'negotiating' });
    }),
    capList: ({ context }) => send(context, formatMessage({ source: SERVER_NAME, command: 'CAP', params: [me(context), 'LIST', context.caps.join(' ')] }, true)),
    capEnd: assign({ capState: ({ context }) => (context.capState === 'negotiating' ? 'done' : context.capState) }),
    refuseCap: ({ context, event }) => send(context, numeric('ERR_INVALIDCAPCMD', me(context), param(event, 0) ?? '', 'Invalid CAP command')),
    // ---- SASL
    saslContinue: assign({ sasl: 'mech', saslData: '' }),
    sendSaslPlus: ({ context }) => send(context, 'AUTHENTICATE +'),
    refuseSaslMech: ({ context }) => send(context, numeric('RPL_SASLMECHS', me(context), 'PLAIN', 'are available SASL mechanisms'), numeric('ERR_SASLFAIL', me(context), 'SASL authentication failed')),
    saslReset: assign({ sasl: 'idle', saslData: '' }),
    appendSasl: assign({ saslData: ({ context, event }) => saslWith(context, event) }),
    sendSaslAborted: ({ context }) => send(context, numeric('ERR_SASLABORTED', me(context), 'SASL authentication aborted')),
    sendSaslTooLong: ({ context }) => send(context, numeric('ERR_SASLTOOLONG', me(context), 'SASL message too long')),
    sendSaslAlready: ({ context }) => send(context, numeric('ERR_SASLALREADY', me(context), 'You have already authenticated using SASL')),
    sendSaslFail: ({ context }) => send(context, numeric('ERR_SASLFAIL', me(context), 'SASL authentication failed')),
    sendSaslInsecure: ({ context }) => send(context, numeric('ERR_SASLFAIL', me(context), 'SASL authentication failed: this server takes passwords only over TLS')),
    sendSaslBlocked: ({ context }) =>
      send(context, numeric('ERR_SASLFAIL', me(context), `SASL authentication failed: too many failed logins for this nickname or from your address; try again in ${Math.round(TIMING.loginBlockMs / 60000)} minutes`)),
    startSaslCheck: enqueueActions(({ context, event, enqueue }) => {
      const cred = plainCredentials(saslWith(context, event))!;
      enqueue.assign({ sasl: 'checking', saslData: '', checking: cred.name, checkingBy: 'sasl' });
      context.port.accounts.verify(cred.name, cred.password);
    }),
    noteLoggedIn: enqueueActions(({ context, enqueue }) => {
      if (!context.checking) return;
      context.port.accounts.succeeded(context.checking);
      enqueue.assign({ account: context.checking, checking: null, checkingBy: null, sasl: 'idle' });
    }),
    noteLoginFailed: enqueueActions(({ context, event, enqueue }) => {
      if (event.type === 'login.checked' && context.checking) context.port.accounts.failed(context.checking, event.now);
      enqueue.assign({ checking: null, checkingBy: null, sasl: 'idle' });
    }),
    sendLoggedIn: ({ context }) => {
      const account = context.account ?? '';
      send(context,
        numeric('RPL_LOGGEDIN', me(context), mask(me(context)), account, `You are now logged in as ${account}`),
        numeric('RPL_SASLSUCCESS', me(context), 'SASL authentication successful'));
    },
    sendPassMismatch: ({ context }) => send(context, numeric('ERR_PASSWDMISMATCH', me(context), 'Password incorrect')),
    // ---- closing
    setQuit: assign(({ event }) => ({ closeText: `Quit: ${param(event, 0) ?? ''}`.replace(/: $/, ''), leaveReason: 'quit' })),
    setRegistrationTimeout: assign({ closeText: 'Registration timed out', leaveReason: 'hello-timeout' }),
    setIdle: assign(({ context }) => ({ closeText: `Ping timeout: ${Math.round(context.cfg.idleMs / 1000)} seconds`, leaveReason: 'idle-timeout' })),
    setExcessFlood: assign({ closeText: 'Excess Flood', leaveReason: 'flood' }),
    setAccountRequired: assign({ closeText: 'This server is private: only nicknames with an account may connect (log in with SASL PLAIN)', leaveReason: 'account-required' }),
    setBadPassword: assign({ closeText: 'Bad password', leaveReason: 'auth-failed' }),
    setShutdown: assign(({ event }) => ({ closeText: 'Server shutting down', leaveReason: event.type === 'shutdown' ? event.reason : 'server-shutdown' })),
    setSocketReason: assign({ leaveReason: ({ context, event }) => (event.type === 'socket.closed' ? event.reason : context.leaveReason) }),
    sendError: ({ context }) => send(context, formatMessage({ command: 'ERROR', params: [`Closing Link: ${me(context)}[${context.port.peer}] (${context.closeText})`] }, true)),
    closeSocket: ({ context }) => context.port.close(),
    leaveHub: ({ context }) => {
      if (context.name) context.port.hub.leave(context.name, context.leaveReason);
      context.port.ended(context.name, context.leaveReason);
    },
    // ---- keepalive
    answerPing: ({ context, event }) => send(context, formatMessage({ source: SERVER_NAME, command: 'PONG', params: [SERVER_NAME, param(event, 0) ?? ''] }, true)),
    refuseNoOrigin: ({ context }) => send(context, numeric('ERR_NOORIGIN', me(context), 'No origin specified')),
    sendPing: ({ context }) => send(context, formatMessage({ command: 'PING', params: [SERVER_NAME] }, true)),
    notePing: assign({ lastPing: ({ context, event }) => (event.type === 'tick' ? event.now : context.lastPing) }),
    // ---- chat
    refuseNoRecipient: ({ context, event }) => { if (isPrivmsg(event)) send(context, numeric('ERR_NORECIPIENT', me(context), `No recipient given (${msgOf(event)?.command})`)); },
    refuseNoText: ({ context, event }) => { if (isPrivmsg(event)) send(context, numeric('ERR_NOTEXTTOSEND', me(context), 'No text to send')); },
    refuseNotInChannel: ({ context, event }) => { if (isPrivmsg(event)) send(context, numeric('ERR_CANNOTSENDTOCHAN', me(context), target(event), `Cannot send to channel: you are not in ${CHANNEL} (/join ${CHANNEL})`)); },
    refuseNoSuchChannel: ({ context, event }) => { if (isPrivmsg(event)) send(context, numeric('ERR_NOSUCHCHANNEL', me(context), target(event), `No such channel: ${CHANNEL} is the only one here`)); },
    refuseNoSuchNick: ({ context, event }) => { if (isPrivmsg(event)) send(context, numeric('ERR_NOSUCHNICK', me(context), target(event), 'No such nick/channel')); },
    refuseMailboxFull: ({ context, event }) => {
      if (isPrivmsg(event)) send(context, ...notice(SERVER_NAME, me(context), `${target(event)} is offline and has ${LIMITS.offlinePerRecipient} messages waiting already: not kept`));
    },
    sayAll: ({ context, event }) => {
      const text = chatText(param(event, 1) ?? '');
      if (text !== null && context.name && event.type === 'process') context.port.hub.sayAll(context.name, text, Math.floor(event.now));
    },
    tell: ({ context, event }) => {
      const text = chatText(param(event, 1) ?? '');
      if (text !== null && context.name && event.type === 'process') context.port.hub.tell(context.name, target(event).normalize('NFC'), text, Math.floor(event.now));
    },
    tellAway: ({ context, event }) => {
      const p = isPrivmsg(event) ? context.port.person(target(event)) : null;
      if (p?.away) send(context, numeric('RPL_AWAY', me(context), p.nick, p.away));
    },
    keepForLater: ({ context, event }) => {
      const text = chatText(param(event, 1) ?? '');
      if (text !== null && context.name && event.type === 'process') context.port.accounts.keep(context.name, target(event).normalize('NFC'), text, Math.floor(event.now));
    },
    // ---- the file service
    filesHelp: ({ context }) => send(context, ...[
      'Commands: "list" (the shared files, with sizes), "get NAME" (I offer NAME over DCC SEND: accept it with /dcc get files),',
      '"get NAME passive" (reverse DCC: your client listens and I connect, for when you cannot reach me).',
    ].flatMap((t) => notice(FILES_NICK, me(context), t))),
    filesList: ({ context }) => context.port.listFiles(),
    filesGet: ({ context, event }) => {
      const m = /^\s*get\s+(.+?)\s*$/i.exec(param(event, 1) ?? '')!;
      let name = m[1]!;
      let passive = false;
      const p = /^(.*\S)\s+passive$/i.exec(name);
      if (p) { name = p[1]!; passive = true; }
      if (/^".*"$/.test(name)) name = name.slice(1, -1);
      context.port.offerFile(name, passive);
    },
    filesDcc: ({ context, event }) => {
      const req = parseDcc(parseCtcp(param(event, 1) ?? '')?.args ?? '');
      if (req) context.port.dccRequest(req);
      else send(context, ...notice(FILES_NICK, me(context), 'I only take DCC SEND answers to my passive offers, and DCC RESUME'));
    },
    sendFilesListed: ({ context, event }) => {
      if (event.type !== 'files.listed') return;
      const lines = event.files.length
        ? [`${event.files.length} shared file${event.files.length === 1 ? '' : 's'}:`, ...event.files.map((f) => `${f.name}  ${f.size} bytes`), 'get one with: /msg files get NAME']
        : ['no shared files'];
      send(context, ...lines.flatMap((t) => notice(FILES_NICK, me(context), t)));
    },
    sendFilesFailed: ({ context, event }) => { if (event.type === 'files.failed') send(context, ...notice(FILES_NICK, me(context), event.message)); },
    sendDccOffer: ({ context, event }) => {
      if (event.type !== 'dcc.offer') return;
      send(context, formatMessage({ source: mask(FILES_NICK), command: 'PRIVMSG', params: [me(context), dccSend(event)] }, true));
      send(context, ...notice(FILES_NICK, me(context), event.token !== undefined
        ? `offering ${event.file} (${event.size} bytes) by passive DCC: accept it with /dcc get files (your client listens, I connect)`
        : `offering ${event.file} (${event.size} bytes): accept it with /dcc get files`));
    },
    sendDccAccept: ({ context, event }) => {
      if (event.type === 'dcc.accept') send(context, formatMessage({ source: mask(FILES_NICK), command: 'PRIVMSG', params: [me(context), dccAccept(event)] }, true));
    },
    sendDccRefused: ({ context, event }) => { if (event.type === 'dcc.refused') send(context, ...notice(FILES_NICK, me(context), `${event.file}: ${event.message}`)); },
    sendDccEnded: ({ context, event }) => { if (event.type === 'dcc.ended') send(context, ...notice(FILES_NICK, me(context), `${event.file}: ${event.message}`)); },
    // ---- the channel
    refuseOtherChannels: ({ context, event }) => {
      for (const ch of (param(event, 0) ?? '').split(',').filter((c) => c && !isMessenger(c))) {
        send(context, numeric('ERR_NOSUCHCHANNEL', me(context), ch, `No such channel: ${CHANNEL} is the only one here`));
      }
    },
    claimAgain: ({ context }) => context.port.claim(context.nick!),
    refuseRejoin: ({ context }) =>
      send(context, numeric('ERR_UNAVAILRESOURCE', me(context), CHANNEL, `Cannot join: someone else is online as ${me(context)} now; reconnect with another nickname`)),
    partChannel: enqueueActions(({ context, event, enqueue }) => {
      send(context, formatMessage({ source: mask(me(context)), command: 'PART', params: [CHANNEL, ...(param(event, 1) ? [param(event, 1)!] : [])] }));
      if (context.name) context.port.hub.leave(context.name, 'part');
      enqueue.assign({ name: null, inChannel: false });
    }),
    refuseNotOnChannel: ({ context, event }) => {
      const ch = (param(event, 0) ?? '').split(',')[0] ?? '';
      send(context, isMessenger(ch)
        ? numeric('ERR_NOTONCHANNEL', me(context), ch, "You're not on that channel")
        : numeric('ERR_NOSUCHCHANNEL', me(context), ch, `No such channel: ${CHANNEL} is the only one here`));
    },
    // ---- CHATHISTORY
    askHistory: ({ context, event }) => {
      const q = historyQuery(msgOf(event)?.params ?? [], LIMITS.historyPageMax);
      if (!q.ok) { send(context, q.reply); return; }
      context.port.historyPage(q.limit, q.before);
    },
    sendHistoryPage: ({ context, event }) => {
      if (event.type !== 'history.page') return;
      if (!event.lines) { send(context, fail('CHATHISTORY', 'MESSAGE_ERROR', [CHANNEL], 'Messages could not be retrieved')); return; }
      send(context, ...historyLines(event.lines, view(context), { msgid: true, batchId: 'chathistory', always: true }));
    },
    // ---- queries
    answerNames: ({ context, event }) => {
      const ch = param(event, 0);
      if (ch && !isMessenger(ch)) { send(context, numeric('RPL_ENDOFNAMES', me(context), ch, 'End of /NAMES list.')); return; }
      send(context, ...names(me(context), context.inChannel ? context.port.hub.names() : context.port.hub.names().filter((n) => !sameNick(n, context.nick))));
    },
    answerWho: ({ context, event }) => {
      const q = param(event, 0) ?? '*';
      const all = isMessenger(q) || q === '*' || q === '0' ? context.port.hub.names() : [q];
      for (const n of all) {
        const p = context.port.person(n);
        if (p) send(context, whoReply(me(context), p));
      }
      send(context, numeric('RPL_ENDOFWHO', me(context), q, 'End of /WHO list.'));
    },
    answerWhois: ({ context, event }) => {
      // WHOIS [server] nick
      const msg = msgOf(event)!;
      const asked = (msg.params[msg.params.length - 1] ?? '').split(',')[0]!;
      send(context, ...whois(me(context), context.port.person(asked), asked));
    },
    answerWhowas: ({ context, event }) =>
      send(context, numeric('ERR_WASNOSUCHNICK', me(context), param(event, 0) ?? '', 'There was no such nickname'), numeric('RPL_ENDOFWHOWAS', me(context), param(event, 0) ?? '', 'End of WHOWAS')),
    answerMode: ({ context, event }) => {
      const t = param(event, 0) ?? '';
      const modes = param(event, 1);
      if (isMessenger(t)) {
        if (modes === undefined) send(context, numeric('RPL_CHANNELMODEIS', me(context), CHANNEL, '+nt'), numeric('RPL_CREATIONTIME', me(context), CHANNEL, String(Math.floor(context.cfg.createdAt / 1000))));
        else if (/^[+-]?b$/.test(modes) && param(event, 2) === undefined) send(context, numeric('RPL_ENDOFBANLIST', me(context), CHANNEL, 'End of channel ban list'));
        else if (/^[+-]?e$/.test(modes)) send(context, numeric('RPL_ENDOFEXCEPTLIST', me(context), CHANNEL, 'End of channel exception list'));
        else if (/^[+-]?I$/.test(modes)) send(context, numeric('RPL_ENDOFINVITELIST', me(context), CHANNEL, 'End of channel invite list'));
        else send(context, numeric('ERR_CHANOPRIVSNEEDED', me(context), CHANNEL, "You're not channel operator"));
      } else if (isChannel(t)) {
        send(context, numeric('ERR_NOSUCHCHANNEL', me(context), t, `No such channel: ${CHANNEL} is the only one here`));
      } else if (!sameNick(t, context.nick)) {
        send(context, numeric('ERR_USERSDONTMATCH', me(context), "Can't change mode for other users"));
      } else if (modes === undefined) {
        send(context, numeric('RPL_UMODEIS', me(context), '+i'));
      } else if (/^[+-]i*$/.test(modes)) {
        // every user is invisible (+i) here: nothing changes
      } else {
        send(context, numeric('ERR_UMODEUNKNOWNFLAG', me(context), 'Unknown MODE flag'));
      }
    },
    answerTopic: ({ context, event }) => {
      const t = param(event, 0) ?? '';
      if (!isMessenger(t)) send(context, numeric('ERR_NOSUCHCHANNEL', me(context), t, `No such channel: ${CHANNEL} is the only one here`));
      else if (param(event, 1) !== undefined) send(context, numeric('ERR_CHANOPRIVSNEEDED', me(context), CHANNEL, "You're not channel operator"));
      else send(context, numeric('RPL_TOPIC', me(context), CHANNEL, TOPIC));
    },
    answerList: ({ context }) => send(context,
      numeric('RPL_LISTSTART', me(context), 'Channel', 'Users  Name'),
      numeric('RPL_LIST', me(context), CHANNEL, String(context.port.hub.names().length), TOPIC),
      numeric('RPL_LISTEND', me(context), 'End of /LIST')),
    answerMotd: ({ context }) => send(context, ...motd(me(context))),
    answerLusers: ({ context }) => send(context, ...lusers(me(context), context.port.hub.names().length)),
    answerVersion: ({ context }) => send(context, numeric('RPL_VERSION', me(context), SERVER_VERSION, SERVER_NAME, 'messenger IRC listener')),
    answerIson: ({ context, event }) => {
      const asked = (msgOf(event)?.params ?? []).flatMap((p) => p.split(' ')).filter(Boolean);
      const on = asked.filter((n) => sameNick(n, FILES_NICK) || context.port.hub.isTaken(n.normalize('NFC')));
      send(context, formatMessage({ source: SERVER_NAME, command: NUMERICS.RPL_ISON, params: [me(context), on.join(' ')] }, true));
    },
    answerUserhost: ({ context, event }) => {
      const replies = (msgOf(event)?.params ?? []).slice(0, 5).map((n) => context.port.person(n)).filter((p): p is PersonInfo => p !== null)
        .map((p) => `${p.nick}=${p.away ? '-' : '+'}${p.user}@${SERVER_NAME}`);
      send(context, formatMessage({ source: SERVER_NAME, command: NUMERICS.RPL_USERHOST, params: [me(context), replies.join(' ')] }, true));
    },
    setAway: assign({ away: ({ event }) => (param(event, 0) ? param(event, 0)! : null) }),
    answerAway: ({ context, event }) => send(context, param(event, 0)
      ? numeric('RPL_NOWAWAY', me(context), 'You have been marked as being away')
      : numeric('RPL_UNAWAY', me(context), 'You are no longer marked as being away')),
    refuseNoPrivileges: ({ context }) => send(context, numeric('ERR_NOPRIVILEGES', me(context), "Permission Denied- You're not an IRC operator")),
    refuseChanOp: ({ context }) => send(context, numeric('ERR_CHANOPRIVSNEEDED', me(context), CHANNEL, "You're not channel operator")),
    refuseUnknown: ({ context, event }) => send(context, numeric('ERR_UNKNOWNCOMMAND', me(context), msgOf(event)?.command ?? '', 'Unknown command')),
    ignore: () => {},
  },
}).createMachine({
  id: 'irc',
  context: ({ input }) => ({
    port: input.port, cfg: input.cfg ?? DEFAULT_IRC_CONFIG,
    nick: null, user: null, realname: '', pass: null, caps: [], capState: 'none', sasl: 'idle', saslData: '',
    checking: null, checkingBy: null, account: null, name: null, inChannel: false, away: null,
    timer: input.now, held: [], heldBytes: 0, openedAt: input.now, lastHeard: input.now, lastPing: input.now,
    closeText: '', leaveReason: 'gone',
  }),
  initial: 'registering',
  on: {
    line: [
      { guard: and(['mustHold', 'excessFlood']), target: '.closing', actions: 'setExcessFlood' },
      { guard: 'mustHold', actions: ['noteHeard', 'holdLine'] },
      { actions: ['noteHeard', 'admitLine'] },
    ],
    bad: [
      { guard: 'badFlood', target: '.closing', actions: 'setExcessFlood' },
      { guard: 'isTooLong', actions: ['noteHeard', 'chargeBad', 'answerTooLong'] },
      { actions: ['noteHeard', 'chargeBad'] },
    ],
    'socket.closed': { target: '.closed', actions: 'setSocketReason' },
    shutdown: { target: '.closing', actions: 'setShutdown' },
    // answers that come back after the state that asked for them ended change nothing
    'login.checked': {}, 'claim.result': {}, 'history.page': {}, 'files.listed': {}, 'files.failed': {},
    'dcc.offer': {}, 'dcc.accept': {}, 'dcc.refused': {}, 'dcc.ended': {},
  },
  states: {
    registering: {
      always: [
        { guard: and(['ready', not('loggedIn'), 'nickRegistered', 'hasPass', 'passwordAllowed']), actions: 'startPassCheck' },
        { guard: and(['ready', not('loggedIn'), 'nickRegistered']), actions: ['refuseRegisteredNick', 'clearNick'] },
        { guard: and(['ready', not('loggedIn'), 'registrationClosed']), target: 'closing', actions: 'setAccountRequired' },
        { guard: and(['ready', 'chosenNameTaken']), actions: ['refuseChosenTaken', 'clearNick'] },
        { guard: 'ready', target: 'claiming', actions: ['adoptAccountName', 'claimName'] },
      ],
      on: {
        tick: [
          { guard: 'isLate', target: 'closing', actions: 'setRegistrationTimeout' },
          { actions: 'releaseHeld' },
        ],
        'login.checked': [
          { guard: and(['checkingPass', 'loginOk']), actions: 'noteLoggedIn' },
          { guard: 'checkingPass', target: 'closing', actions: ['noteLoginFailed', 'sendPassMismatch', 'setBadPassword'] },
          { guard: 'loginOk', actions: ['noteLoggedIn', 'sendLoggedIn'] },
          { actions: ['noteLoginFailed', 'sendSaslFail'] },
        ],
        process: [
          { guard: and([{ type: 'isCommand', params: { command: 'NICK' } }, { type: 'lacksParams', params: { count: 1 } }]), actions: 'refuseNoNick' },
          { guard: and([{ type: 'isCommand', params: { command: 'NICK' } }, 'nickInvalid']), actions: 'refuseNickInvalid' },
          { guard: and([{ type: 'isCommand', params: { command: 'NICK' } }, 'nickReserved']), actions: 'refuseNickReserved' },
          { guard: and([{ type: 'isCommand', params: { command: 'NICK' } }, 'nickTaken']), actions: 'refuseNickTaken' },
          { guard: { type: 'isCommand', params: { command: 'NICK' } }, actions: 'setNick' },
          { guard: and([{ type: 'isCommand', params: { command: 'USER' } }, 'hasUser']), actions: 'refuseAlreadyRegistered' },
          { guard: and([{ type: 'isCommand', params: { command: 'USER' } }, { type: 'lacksParams', params: { count: 4 } }]), actions: 'refuseNeedMoreParams' },
          { guard: { type: 'isCommand', params: { command: 'USER' } }, actions: 'setUser' },
          { guard: and([{ type: 'isCommand', params: { command: 'PASS' } }, { type: 'lacksParams', params: { count: 1 } }]), actions: 'refuseNeedMoreParams' },
          { guard: { type: 'isCommand', params: { command: 'PASS' } }, actions: 'setPass' },
          { guard: and([{ type: 'isCommand', params: { command: 'AUTHENTICATE' } }, { type: 'lacksParams', params: { count: 1 } }]), actions: 'refuseNeedMoreParams' },
          { guard: and([{ type: 'isCommand', params: { command: 'AUTHENTICATE' } }, 'loggedIn']), actions: 'sendSaslAlready' },
          { guard: and([{ type: 'isCommand', params: { command: 'AUTHENTICATE' } }, 'saslChecking']) },
          { guard: and([{ type: 'isCommand', params: { command: 'AUTHENTICATE' } }, 'saslAbort']), actions: ['saslReset', 'sendSaslAborted'] },
          { guard: and([{ type: 'isCommand', params: { command: 'AUTHENTICATE' } }, 'saslIdle', 'saslPlain']), actions: ['saslContinue', 'sendSaslPlus'] },
          { guard: and([{ type: 'isCommand', params: { command: 'AUTHENTICATE' } }, 'saslIdle']), actions: 'refuseSaslMech' },
          { guard: and([{ type: 'isCommand', params: { command: 'AUTHENTICATE' } }, 'saslChunkTooLong']), actions: ['saslReset', 'sendSaslTooLong'] },
          { guard: and([{ type: 'isCommand', params: { command: 'AUTHENTICATE' } }, 'saslMoreToCome']), actions: 'appendSasl' },
          { guard: and([{ type: 'isCommand', params: { command: 'AUTHENTICATE' } }, 'saslMalformed']), actions: ['saslReset', 'sendSaslFail'] },
          { guard: and([{ type: 'isCommand', params: { command: 'AUTHENTICATE' } }, not('passwordAllowed')]), actions: ['saslReset', 'sendSaslInsecure'] },
          { guard: and([{ type: 'isCommand', params: { command: 'AUTHENTICATE' } }, 'saslBlocked']), actions: ['saslReset', 'sendSaslBlocked'] },
          { guard: { type: 'isCommand', params: { command: 'AUTHENTICATE' } }, actions: 'startSaslCheck' },
          { guard: { type: 'isCommand', params: { command: 'QUIT' } }, target: 'closing', actions: 'setQuit' },
          { guard: { type: 'isCap', params: { sub: 'LS' } }, actions: 'capLs' },
          { guard: { type: 'isCap', params: { sub: 'REQ' } }, actions: 'capReq' },
          { guard: { type: 'isCap', params: { sub: 'LIST' } }, actions: 'capList' },
          { guard: { type: 'isCap', params: { sub: 'END' } }, actions: 'capEnd' },
          { guard: { type: 'isCommand', params: { command: 'CAP' } }, actions: 'refuseCap' },
          { guard: and([{ type: 'isCommand', params: { command: 'PING' } }, { type: 'lacksParams', params: { count: 1 } }]), actions: 'refuseNoOrigin' },
          { guard: { type: 'isCommand', params: { command: 'PING' } }, actions: 'answerPing' },
          { guard: { type: 'isCommand', params: { command: 'PONG' } } },
          { actions: 'refuseNotRegistered' },
        ],
      },
    },
    claiming: {
      on: {
        line: [
          { guard: 'excessFlood', target: 'closing', actions: 'setExcessFlood' },
          { actions: ['noteHeard', 'holdLine'] },
        ],
        tick: { guard: 'isLate', target: 'closing', actions: 'setRegistrationTimeout' },
        'claim.result': [
          { guard: 'claimOk', target: 'registered', actions: ['setName', 'sendWelcome', 'sendOwnJoin', 'sendTopic', 'joinHub', 'sendNames', 'replayHistory'] },
          { target: 'registering', actions: ['refuseChosenTaken', 'clearNick'] },
        ],
      },
    },
    registered: {
      on: {
        tick: [
          { guard: 'isIdleTooLong', target: 'closing', actions: 'setIdle' },
          { guard: 'isPingDue', actions: ['sendPing', 'notePing', 'releaseHeld'] },
          { actions: 'releaseHeld' },
        ],
        'history.page': { actions: 'sendHistoryPage' },
        'files.listed': { actions: 'sendFilesListed' },
        'files.failed': { actions: 'sendFilesFailed' },
        'dcc.offer': { actions: 'sendDccOffer' },
        'dcc.accept': { actions: 'sendDccAccept' },
        'dcc.refused': { actions: 'sendDccRefused' },
        'dcc.ended': { actions: 'sendDccEnded' },
        process: [
          { guard: and(['isMsg', 'noTarget']), actions: 'refuseNoRecipient' },
          { guard: and(['isMsg', 'noText']), actions: 'refuseNoText' },
          { guard: and(['isMsg', 'toFiles', not({ type: 'isCommand', params: { command: 'PRIVMSG' } })]) },
          { guard: and(['isMsg', 'toFiles', 'filesDcc']), actions: 'filesDcc' },
          { guard: and(['isMsg', 'toFiles', 'filesList']), actions: 'filesList' },
          { guard: and(['isMsg', 'toFiles', 'filesGet']), actions: 'filesGet' },
          { guard: and(['isMsg', 'toFiles']), actions: 'filesHelp' },
          { guard: and(['isMsg', 'notRelayed']) },
          { guard: and(['isMsg', 'toChannel', 'inChannel']), actions: 'sayAll' },
          { guard: and(['isMsg', 'toChannel']), actions: 'refuseNotInChannel' },
          { guard: and(['isMsg', 'toOtherChannel']), actions: 'refuseNoSuchChannel' },
          { guard: and(['isMsg', not('inChannel')]), actions: 'refuseNotInChannel' },
          { guard: and(['isMsg', 'recipientOnline']), actions: ['tell', 'tellAway'] },
          { guard: and(['isMsg', 'recipientRegistered', 'recipientMailboxFull']), actions: 'refuseMailboxFull' },
          { guard: and(['isMsg', 'recipientRegistered']), actions: 'keepForLater' },
          { guard: 'isMsg', actions: 'refuseNoSuchNick' },
          { guard: { type: 'isCommand', params: { command: 'QUIT' } }, target: 'closing', actions: 'setQuit' },
          { guard: and([{ type: 'isCommand', params: { command: 'PING' } }, { type: 'lacksParams', params: { count: 1 } }]), actions: 'refuseNoOrigin' },
          { guard: { type: 'isCommand', params: { command: 'PING' } }, actions: 'answerPing' },
          { guard: { type: 'isCommand', params: { command: 'PONG' } } },
          { guard: and([{ type: 'isCommand', params: { command: 'JOIN' } }, { type: 'lacksParams', params: { count: 1 } }]), actions: 'refuseNeedMoreParams' },
          { guard: and([{ type: 'isCommand', params: { command: 'JOIN' } }, 'joinZero', 'inChannel']), actions: 'partChannel' },
          { guard: and([{ type: 'isCommand', params: { command: 'JOIN' } }, 'joinsMessenger', not('inChannel')]), target: 'rejoining', actions: ['refuseOtherChannels', 'claimAgain'] },
          { guard: { type: 'isCommand', params: { command: 'JOIN' } }, actions: 'refuseOtherChannels' },
          { guard: and([{ type: 'isCommand', params: { command: 'PART' } }, { type: 'lacksParams', params: { count: 1 } }]), actions: 'refuseNeedMoreParams' },
          { guard: and([{ type: 'isCommand', params: { command: 'PART' } }, 'partsMessenger', 'inChannel']), actions: 'partChannel' },
          { guard: { type: 'isCommand', params: { command: 'PART' } }, actions: 'refuseNotOnChannel' },
          { guard: { type: 'isCommand', params: { command: 'NAMES' } }, actions: 'answerNames' },
          { guard: { type: 'isCommand', params: { command: 'WHO' } }, actions: 'answerWho' },
          { guard: and([{ type: 'isCommand', params: { command: 'WHOIS' } }, { type: 'lacksParams', params: { count: 1 } }]), actions: 'refuseNoNick' },
          { guard: { type: 'isCommand', params: { command: 'WHOIS' } }, actions: 'answerWhois' },
          { guard: { type: 'isCommand', params: { command: 'WHOWAS' } }, actions: 'answerWhowas' },
          { guard: and([{ type: 'isCommand', params: { command: 'MODE' } }, { type: 'lacksParams', params: { count: 1 } }]), actions: 'refuseNeedMoreParams' },
          { guard: { type: 'isCommand', params: { command: 'MODE' } }, actions: 'answerMode' },
          { guard: and([{ type: 'isCommand', params: { command: 'TOPIC' } }, { type: 'lacksParams', params: { count: 1 } }]), actions: 'refuseNeedMoreParams' },
          { guard: { type: 'isCommand', params: { command: 'TOPIC' } }, actions: 'answerTopic' },
          { guard: { type: 'isCommand', params: { command: 'CHATHISTORY' } }, actions: 'askHistory' },
          { guard: { type: 'isCommand', params: { command: 'LIST' } }, actions: 'answerList' },
          { guard: { type: 'isCommand', params: { command: 'MOTD' } }, actions: 'answerMotd' },
          { guard: { type: 'isCommand', params: { command: 'LUSERS' } }, actions: 'answerLusers' },
          { guard: { type: 'isCommand', params: { command: 'VERSION' } }, actions: 'answerVersion' },
          { guard: { type: 'isCommand', params: { command: 'ISON' } }, actions: 'answerIson' },
          { guard: { type: 'isCommand', params: { command: 'USERHOST' } }, actions: 'answerUserhost' },
          { guard: { type: 'isCommand', params: { command: 'AWAY' } }, actions: ['setAway', 'answerAway'] },
          { guard: { type: 'isCap', params: { sub: 'LS' } }, actions: 'capLs' },
          { guard: { type: 'isCap', params: { sub: 'REQ' } }, actions: 'capReq' },
          { guard: { type: 'isCap', params: { sub: 'LIST' } }, actions: 'capList' },
          { guard: { type: 'isCap', params: { sub: 'END' } }, actions: 'capEnd' },
          { guard: { type: 'isCommand', params: { command: 'CAP' } }, actions: 'refuseCap' },
          { guard: and([{ type: 'isCommand', params: { command: 'NICK' } }, 'nickUnchanged']) },
          { guard: and([{ type: 'isCommand', params: { command: 'NICK' } }, { type: 'lacksParams', params: { count: 1 } }]), actions: 'refuseNoNick' },
          { guard: { type: 'isCommand', params: { command: 'NICK' } }, actions: 'refuseNickChange' },
          { guard: { type: 'isCommand', params: { command: 'USER' } }, actions: 'refuseAlreadyRegistered' },
          { guard: { type: 'isCommand', params: { command: 'PASS' } }, actions: 'refuseAlreadyRegistered' },
          { guard: { type: 'isCommand', params: { command: 'AUTHENTICATE' } }, actions: 'sendSaslAlready' },
          { guard: { type: 'isCommand', params: { command: 'TAGMSG' } } },
          { guard: { type: 'isCommand', params: { command: 'KICK' } }, actions: 'refuseChanOp' },
          { guard: { type: 'isCommand', params: { command: 'INVITE' } }, actions: 'refuseChanOp' },
          { guard: { type: 'isCommand', params: { command: 'OPER' } }, actions: 'refuseNoPrivileges' },
          { guard: { type: 'isCommand', params: { command: 'KILL' } }, actions: 'refuseNoPrivileges' },
          { actions: 'refuseUnknown' },
        ],
      },
    },
    // a JOIN after a PART: the nickname is claimed in the hub again
    rejoining: {
      on: {
        line: [
          { guard: 'excessFlood', target: 'closing', actions: 'setExcessFlood' },
          { actions: ['noteHeard', 'holdLine'] },
        ],
        tick: { guard: 'isIdleTooLong', target: 'closing', actions: 'setIdle' },
        'claim.result': [
          { guard: 'claimOk', target: 'registered', actions: ['setName', 'sendOwnJoin', 'sendTopic', 'joinHub', 'sendNames'] },
          { target: 'registered', actions: 'refuseRejoin' },
        ],
      },
    },
    closing: {
      entry: ['sendError', 'closeSocket'],
      on: {
        line: {}, bad: {}, tick: {}, shutdown: {},
        'socket.closed': { target: 'closed' },
      },
    },
    closed: { type: 'final', entry: 'leaveHub' },
  },
});

export type IrcSessionMachine = typeof ircSessionMachine;
