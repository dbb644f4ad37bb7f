// The protocol's version and every limit of the chat protocol, with its default, in one place (durations are in
// timing.ts). The codec enforces the limits it is given, the session advertises the same ones in `welcome.limits`,
// the server's flags override them, and docs/PROTOCOL.md quotes them (spec/chat/protocol-limits.spec.ts checks it).
import { TIMING } from './timing.js';

/** The wire protocol's version: `hello.v`, `welcome.v`, and the version byte of every transfer datagram. */
export const PROTOCOL_VERSION = 1;

/** What the server advertises in `welcome.limits`, and enforces. */
export interface Limits { maxLine: number; maxText: number; ratePerSec: number; burst: number; idleMs: number }

export const LIMITS = {
  /** Bytes in one line of the control protocol, newline excluded. */
  maxLine: 65536,
  /** Characters (UTF-16 code units) of `text` in `say` and `tell`. */
  maxText: 4000,
  /** Frames a second per connection (token bucket refill), and the bucket's size. */
  ratePerSec: 20,
  burst: 40,
  /** Characters of a nickname (code points, after NFC normalisation). */
  maxNameChars: 24,
  /** Characters of a name field on the wire (`hello.name`, `tell.to`): longer is `bad-frame`, not `invalid-name`. */
  maxNameField: 256,
  /** Characters of `get.file`. */
  maxFileField: 4096,
  /** Characters of `get.ref`. */
  maxRef: 64,
  /** Refused frames in a row before the connection is closed as a flood. */
  floodAfter: 100,
  /** Messages to all kept and replayed to a newcomer (`--history N`). */
  history: 100,
  /** Messages one `history` request gets at most, and without a `limit`. */
  historyPageMax: 500,
  historyPageDefault: 100,
  /** A `history` frame is cut (its oldest lines left out) to stay under this, below what a client accepts in a line. */
  historyFrameBytes: 192 * 1024,
  /** Downloads at once per client. */
  transfersPerClient: 4,
  /** Bytes in one line from the server, as the client reads it (a `history` or `files` frame is long, and
   *  a `welcome` lists everyone online: 15,000 names of 24 characters). */
  maxServerLine: 1 << 20,
  /** Entries of `hello.caps`. */
  maxCaps: 16,
  /** Names one `presence` frame carries at most (joined and left together); a tick with more sends several. */
  presenceNames: 1000,
  /** Characters of a password (`hello.password`, `register.password`, `password.old`/`new`). */
  maxPassword: 1024,
  /** Failed logins for one nickname, or from one address, within TIMING.loginFailureWindowMs before further
   *  password attempts are refused (`login-blocked`) for TIMING.loginBlockMs. */
  loginFailures: 5,
  /** Names and addresses the failed-login counter tracks at most (the oldest forgotten first). */
  loginTracked: 10_000,
  /** Private messages kept for one offline registered nickname; past it the sender gets `mailbox-full`. */
  offlinePerRecipient: 100,
  /** Chat lines the client holds back while pacing itself to the server's rate; past it, `rate-limited`. */
  clientQueuedLines: 1000,
  /** A client given several servers gives up after this many rounds of reconnect attempts over its list. */
  reconnectRounds: 8,
  /** Times in a row a client coming back retries a `name-taken` refusal (its old session is not yet noticed as
   *  gone, by this server or, in a cluster, by the node that held it) before it counts as a refusal. */
  nameRetakeTries: 8,
  // ---- the IRC listener (runtime/irc, machines/irc)
  /** Bytes of an IRC line's body (source, command, parameters) without its CRLF (RFC 1459: 512 with it). */
  ircMaxBody: 510,
  /** Bytes of an IRC line's tag section, the `@` excluded (IRCv3: what a server must accept). */
  ircMaxTagBytes: 8191,
  /** Bytes of lines an IRC client may have waiting behind its penalty timer; past it, `Excess Flood`. */
  ircRecvQBytes: 8192,
  /** Characters of an IRC user's USER name and real name kept (longer ones are cut). */
  ircMaxUserField: 64,
  /** Bytes of base64 a SASL PLAIN exchange may send in all (IRCv3: 400-byte chunks). */
  ircMaxSaslBytes: 1600,
} as const;

/** The limits a server advertises and enforces unless told otherwise. */
export const DEFAULT_LIMITS: Readonly<Limits> = {
  maxLine: LIMITS.maxLine, maxText: LIMITS.maxText, ratePerSec: LIMITS.ratePerSec, burst: LIMITS.burst, idleMs: TIMING.idleMs,
};
