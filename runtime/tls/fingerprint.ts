// A certificate's SHA-256 fingerprint, written one way everywhere (the server's log, known_hosts, --trust, the
// client's messages): colon-separated upper-case hex pairs, as `openssl x509 -fingerprint -sha256` and Node's
// X509Certificate.fingerprint256 print it. On input, colons and case do not matter.
import { X509Certificate } from 'node:crypto';

const HEX64 = /^[0-9A-F]{64}$/;

/** The canonical form of a fingerprint given in either spelling, or null when it is not a SHA-256 fingerprint. */
export function normalizeFingerprint(text: string): string | null {
  const hex = text.trim().replace(/^sha256[:=]?/i, '').replace(/[:\s]/g, '').toUpperCase();
  if (!HEX64.test(hex)) return null;
  return hex.match(/../g)!.join(':');
}

/** The SHA-256 fingerprint of a certificate (PEM or DER, or already parsed). */
export function fingerprintOf(cert: string | Buffer | X509Certificate): string {
  const x = cert instanceof X509Certificate ? cert : new X509Certificate(cert);
  return x.fingerprint256;
}
