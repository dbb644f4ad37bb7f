// Whether a client takes a server's offer of a download: the checks a client makes before it opens a file or a
// socket for it. Pure. An offer may come from a hostile or broken server, so every field is checked here, and a
// resume is taken only at exactly the offset and for exactly the file the client asked to resume.
import type { ErrorCode } from './errors.js';
import { localBaseName } from './file-name.js';
import type { TransferServerFrame } from './frames.js';

export type OfferFrame = Extract<TransferServerFrame, { type: 'offer' }>;

/** What the client's own request said: the partial copy it asked to resume, if any. */
export interface OfferRequest { offset?: number; sha256?: string }

export type OfferCheck =
  | { ok: true; /** the name the file is saved under */ base: string; resume: boolean }
  | { ok: false; code: Extract<ErrorCode, 'bad-file-name' | 'transfer-failed'>; message: string };

/** An IPv4 or IPv6 address literal: what an offer's `host` may name (no name to resolve). */
export function isIpLiteral(v: unknown): v is string {
  if (typeof v !== 'string' || v.length < 2 || v.length > 45) return false;
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(v);
  if (m) return m.slice(1).every((p) => Number(p) <= 255);
  return v.includes(':') && /^[0-9A-Fa-f:.]+$/.test(v);
}

const SHA256_HEX = /^[0-9a-f]{64}$/;
const TOKEN_HEX = /^[0-9a-f]{16}$/;

/**
 * Checks an offer against the request it answers. `tls`: the control connection runs TLS, so datagrams must be
 * sealed with keys from it (an offer to send them in clear is refused, as is one that wants keys there are none for).
 */
export function checkOffer(f: OfferFrame, req: OfferRequest, tls = false): OfferCheck {
  const base = localBaseName(String(f.file));
  const valid = base !== null && Number.isSafeInteger(f.size) && f.size >= 0 && Number.isSafeInteger(f.offset) && f.offset >= 0 && f.offset <= f.size
    && SHA256_HEX.test(String(f.sha256)) && TOKEN_HEX.test(String(f.token)) && Number.isInteger(f.port) && f.port > 0 && f.port < 65536
    && (f.host === undefined || isIpLiteral(f.host));
  if (!valid) {
    return { ok: false, code: 'bad-file-name', message: `refused an offer with an unsafe name or fields: ${JSON.stringify(String(f.file)).slice(0, 80)}` };
  }
  const sealed = f.seal === 'aes-128-gcm';
  if (tls && !sealed) {
    return { ok: false, code: 'transfer-failed', message: 'download refused: the server offered unencrypted datagrams over a TLS connection' };
  }
  if (!tls && sealed) {
    return { ok: false, code: 'transfer-failed', message: 'download refused: the server offered encrypted datagrams over a connection without TLS' };
  }
  const resume = f.resumed === true;
  if (resume && (f.offset !== req.offset || f.sha256 !== req.sha256)) {
    return { ok: false, code: 'transfer-failed', message: 'download refused: the server offered a resume this client did not ask for' };
  }
  if (!resume && f.offset !== 0) {
    return { ok: false, code: 'transfer-failed', message: 'download refused: the server offered to start in the middle of a file' };
  }
  return { ok: true, base: base!, resume };
}
