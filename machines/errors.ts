// Stable error codes: they appear on the wire (`error` frames), in `--json` events and in logs. This list is the one
// definition of every code and its meaning: the codec, machines, runtime and clients take their codes from it, and
// docs/PROTOCOL.md's table of error codes matches it row for row (spec/chat/errors.spec.ts checks both). Add freely;
// never rename one (scripts match on them). `refusal`: the server refuses the hello with it (the handshake goes no
// further); `'name'` when another nickname may be tried.
const ERRORS = {
  // framing and parsing
  'line-too-long': { meaning: 'a line over the line limit (`maxLine`)' },
  'bad-encoding': { meaning: 'a line that is not valid UTF-8' },
  'bad-json': { meaning: 'a line that is not JSON' },
  'bad-frame': { meaning: 'JSON that is not an object, has no string `type`, or a field missing, of the wrong type or too long (other than `text`)' },
  'unknown-type': { meaning: 'a `type` the server does not know' },
  // handshake and names
  'handshake-required': { meaning: 'a frame other than `hello` before the handshake' },
  'already-online': { meaning: 'a `hello` after the handshake' },
  'bad-version': { meaning: 'a `hello` with a protocol version `v` the server does not speak', refusal: 'hello' },
  'invalid-name': { meaning: 'a nickname that breaks the rules', refusal: 'name' },
  'name-taken': { meaning: 'a nickname already online (case-insensitive)', refusal: 'name' },
  'hello-timeout': { meaning: 'no completed handshake within the hello deadline' },
  // accounts
  'name-registered': { meaning: 'a `hello` without a password for a registered nickname', refusal: 'name' },
  'auth-failed': { meaning: 'a `hello` whose password is wrong (or, on a closed server, names no account), or a `password` change whose old password is wrong', refusal: 'name' },
  'account-required': { meaning: 'a `hello` for a nickname without an account on a server with closed registration', refusal: 'name' },
  'login-blocked': { meaning: 'too many failed logins for this nickname or from this address lately: wait, then try again', refusal: 'name' },
  'insecure-auth': { meaning: 'a password over a connection without TLS, on a server that does not allow it (`--allow-insecure-auth`)', refusal: 'hello' },
  'already-registered': { meaning: 'a `register` for a nickname that has an account already' },
  'not-registered': { meaning: 'a `password` change for a nickname without an account' },
  'bad-password': { meaning: 'a password that is empty or longer than the password limit (`maxPassword`)' },
  'mailbox-full': { meaning: "a private message to an offline registered nickname whose kept messages are at the limit; the message was not kept" },
  // chat
  'unknown-user': { meaning: '`tell` to a name nobody online has (and no account has: a registered name gets it later)' },
  'text-too-long': { meaning: '`text` in `say` or `tell` over the text limit (`maxText`)' },
  'rate-limited': { meaning: 'a frame beyond the rate limit' },
  // history and the store
  'cluster-unavailable': { meaning: 'a cluster server cannot reach the cluster now (the broker or the server of the other person is gone): the message or request was not delivered; it works again once the cluster is back' },
  'store-unavailable': { meaning: 'the server cannot keep messages now (disk full, store file gone): the message was not delivered to anyone; sending again later works once the store can be written' },
  // files and transfers
  'no-such-file': { meaning: 'a download of a file that is not shared' },
  'bad-file-name': { meaning: 'a download name with separators, control characters, or hidden' },
  'busy': { meaning: 'no UDP port free in the pool' },
  'too-many-transfers': { meaning: 'too many downloads at once for this client' },
  'no-such-transfer': { meaning: 'an answer or a stop for a download that is not there (or not waiting for an answer)' },
  'transfer-failed': { meaning: 'a download could not go on' },
  'hash-mismatch': { meaning: "the downloaded file's SHA-256 differs from the server's (the client's own check)" },
  'file-changed': { meaning: 'the shared file changed during the download' },
  'io-error': { meaning: 'the server could not read the shared folder or file' },
  'already-downloading': { meaning: 'a `/get` of a file this client is downloading already' },
  // connection
  'idle-timeout': { meaning: 'nothing heard from the client for `idleMs`' },
  'slow-reader': { meaning: 'the client did not read what it was sent fast enough' },
  'server-shutdown': { meaning: 'the server is stopping' },
  'too-many-connections': { meaning: 'too many connections from one address', refusal: 'hello' },
  'flood': { meaning: 'too many refused frames in a row' },
  'internal': { meaning: 'a fault in the server' },
  // TLS
  'tls-required': { meaning: 'a plain (not TLS) connection to a server that speaks TLS only: connect without `--no-tls`', refusal: 'hello' },
  'tls-not-enabled': { meaning: 'a TLS handshake to a server started with `--no-tls` (the server answers it in plain text and closes)' },
  'tls-handshake-failed': { meaning: "the client's TLS handshake with the server failed or did not finish in time (a server with `--no-tls`, or not a messenger server)" },
  'server-identity-changed': { meaning: "the server's certificate is not the one this client trusts for that host:port (known_hosts or `--trust`): nothing was sent; the connection is closed, without reconnecting" },
  // the client's own
  'bad-command': { meaning: 'a typed command the client does not understand' },
  'not-connected': { meaning: 'a command while the client is not connected, or lines left unsent when the connection was lost' },
} as const satisfies Record<string, { meaning: string; refusal?: 'hello' | 'name' }>;

export type ErrorCode = keyof typeof ERRORS;

/** Every code, in the order of docs/PROTOCOL.md's table. */
export const ERROR_CODES = Object.keys(ERRORS) as readonly ErrorCode[];

/** What a code means, in one line (docs/PROTOCOL.md quotes it). */
export function errorMeaning(code: ErrorCode): string { return ERRORS[code].meaning; }

const refusal = (code: ErrorCode): 'hello' | 'name' | undefined => (ERRORS[code] as { refusal?: 'hello' | 'name' }).refusal;

/** The codes with which the server refuses a hello: the handshake ends there (another name may be tried for some). */
export const REFUSAL_CODES: ReadonlySet<ErrorCode> = new Set(ERROR_CODES.filter((c) => refusal(c) !== undefined));

/** The refusals of a nickname: a person may try another name on the same connection. */
export const NAME_REFUSAL_CODES: ReadonlySet<ErrorCode> = new Set(ERROR_CODES.filter((c) => refusal(c) === 'name'));

/** An error with a stable code, for everything that can go wrong because of input or the network. */
export class MessengerError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'MessengerError';
    this.code = code;
  }
}

export function isErrorCode(x: unknown): x is ErrorCode {
  return typeof x === 'string' && Object.hasOwn(ERRORS, x);
}
