// Stable error codes: they appear on the wire (`error` frames), in `--json` events and in logs. Add freely; never
// rename one (scripts match on them). docs/PROTOCOL.md lists each with its meaning.
export const ERROR_CODES = [
  // framing and parsing
  'line-too-long', 'bad-encoding', 'bad-json', 'bad-frame', 'unknown-type',
  // handshake and names
  'handshake-required', 'already-online', 'bad-version', 'invalid-name', 'name-taken', 'hello-timeout',
  // chat
  'unknown-user', 'text-too-long', 'rate-limited',
  // history and the store
  'store-unavailable',
  // files and transfers
  'no-such-file', 'bad-file-name', 'busy', 'too-many-transfers', 'no-such-transfer', 'transfer-failed',
  'hash-mismatch', 'file-changed', 'io-error',
  // connection
  'idle-timeout', 'slow-reader', 'server-shutdown', 'too-many-connections', 'flood', 'internal',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

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
  return typeof x === 'string' && (ERROR_CODES as readonly string[]).includes(x);
}
