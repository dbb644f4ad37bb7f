// The TCP control protocol: newline-delimited JSON, one object per line (docs/PROTOCOL.md). These are the typed
// frames after decoding; machines/frame-codec.ts turns bytes into them and back.
import type { ErrorCode } from './errors.js';
import type { Limits } from './limits.js';

// defined with the limits, in one place; here too because every frame's reader needs them
export { PROTOCOL_VERSION, type Limits } from './limits.js';

export interface FileEntry { name: string; size: number }
export interface ChatLine {
  from: string; text: string; ts: number;
  /** its place in the server's history (pages ask for lines before it) */ id?: number;
  /** the recipient, on a private message kept while it was offline */ to?: string;
}

/** One person gone, in a `presence` frame. */
export interface PresenceLeft { name: string; reason: string }

/** Protocol extensions a client may ask for in `hello` (`caps`). `presence`: joins and leaves as `presence` frames,
 *  one per tick, instead of one `joined`/`left` frame per person. */
export const CAPABILITIES = ['presence'] as const;
export type Capability = (typeof CAPABILITIES)[number];

// ---- client -> server
export type ClientFrame =
  /** `password`: the nickname's account password (a registered nickname connects only with it) */
  /** `caps`: protocol extensions the client understands (CAPABILITIES); the server names those it will use in `welcome` */
  | { type: 'hello'; v: number; name: string; password?: string; caps?: string[] }
  /** registers the current nickname with this password */
  | { type: 'register'; password: string }
  /** changes the current nickname's password */
  | { type: 'password'; old: string; new: string }
  | { type: 'say'; text: string }
  | { type: 'tell'; to: string; text: string }
  | { type: 'who' }
  /** older history: the newest `limit` (at most LIMITS.historyPageMax) messages to all with an id below `before` */
  | { type: 'history'; before?: number; limit?: number }
  | { type: 'files' }
  | { type: 'get'; file: string; offset?: number; sha256?: string; ref?: string }
  | { type: 'consent'; id: number; answer: 'yes' | 'no' }
  | { type: 'stop'; id: number }
  | { type: 'ping'; t?: number }
  | { type: 'pong'; t?: number }
  | { type: 'bye' };

export type ClientFrameType = ClientFrame['type'];

// ---- server -> client
export type ServerFrame =
  /** `caps`: the capabilities of the hello this server uses for this session (absent: none) */
  | { type: 'welcome'; v: number; name: string; server: string; limits: Limits; caps?: string[]; online: string[] }
  | { type: 'history'; messages: ChatLine[]; /** an answer to a `history` request (not the replay at login) */ older?: boolean }
  | { type: 'joined'; name: string }
  /** the answer to `register`, and to a `password` change (`changed: true`) */
  | { type: 'registered'; name: string; changed?: boolean }
  | { type: 'left'; name: string; reason: string }
  /** presence coalesced per tick (capability `presence`, instead of `joined`/`left`): apply `left` first, then `joined`;
   *  a left name the client does not list and a joined name it lists already are no news (docs/PROTOCOL.md) */
  | { type: 'presence'; joined: string[]; left: PresenceLeft[] }
  | { type: 'message'; from: string; text: string; ts: number; to?: string }
  | { type: 'online'; names: string[] }
  | { type: 'files'; files: FileEntry[] }
  | { type: 'error'; code: ErrorCode; message: string; re?: string; id?: number; file?: string; ref?: string }
  | { type: 'ping'; t?: number }
  | { type: 'pong'; t?: number }
  | { type: 'bye'; reason: string }
  // transfers (docs/PROTOCOL.md, "Downloads")
  | TransferServerFrame;

/** How a transfer's datagrams are sealed (docs/PROTOCOL.md, "UDP datagrams"). */
export type DatagramSeal = 'crc32' | 'aes-128-gcm';

export type TransferServerFrame =
  | {
      type: 'offer'; id: number; file: string; size: number; sha256: string; port: number; token: string;
      offset: number; chunk: number; halfway: number; resumed: boolean; ref?: string;
      /** how datagrams are sealed: `aes-128-gcm` under TLS, `crc32` (or absent, from an older server) without */
      seal?: DatagramSeal;
      /** the IP address to send datagrams to, when it is not the one the TCP connection reached (a cluster node
       *  serving a file another node's client asked for); absent: that address */
      host?: string;
    }
  | { type: 'ask'; id: number; file: string; received: number; size: number }
  | { type: 'complete'; id: number; file: string; size: number; sha256: string; lastByte?: number }
  | { type: 'stopped'; id: number; file: string; received: number; reason: string };

export type ServerFrameType = ServerFrame['type'];
