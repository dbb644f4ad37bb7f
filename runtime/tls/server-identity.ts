// The client's decision about the certificate a server presented, made after the TLS handshake and before anything
// is sent: a certificate that verifies against the system's CAs (for that host name) is trusted as usual; otherwise
// the fingerprint must be the one given with --trust, or the one remembered for host:port in known_hosts, or, for a
// server never seen, it is trusted on first use and remembered.
import type { TLSSocket } from 'node:tls';
import { fingerprintOf, normalizeFingerprint } from './fingerprint.js';
import type { KnownHosts } from './known-hosts.js';

export interface TrustOptions {
  /** Where fingerprints are remembered (null: nowhere, every server is new). */
  knownHosts: KnownHosts | null;
  /** Accept exactly this fingerprint (and remember it). */
  trust?: string;
}

export type Verdict =
  | { ok: true; fingerprint: string; how: 'ca' | 'known' | 'trust' | 'first-use'; note?: string }
  | { ok: false; fingerprint: string; message: string };

export function judgeServer(socket: TLSSocket, hostPort: string, opts: TrustOptions): Verdict {
  const peer = socket.getPeerX509Certificate();
  if (!peer) return { ok: false, fingerprint: '', message: `the server at ${hostPort} presented no certificate: nothing was sent` };
  const fingerprint = fingerprintOf(peer);
  const file = opts.knownHosts?.file ?? 'known_hosts';
  if (opts.trust !== undefined) {
    const wanted = normalizeFingerprint(opts.trust);
    if (wanted !== fingerprint) {
      return { ok: false, fingerprint, message: `the server at ${hostPort} presented the certificate with SHA-256 fingerprint ${fingerprint}, not the one given with --trust (${wanted ?? opts.trust}): nothing was sent` };
    }
    return { ok: true, fingerprint, how: 'trust', note: remember(opts.knownHosts, hostPort, fingerprint) };
  }
  if (socket.authorized) return { ok: true, fingerprint, how: 'ca' };
  let known: string | null;
  try { known = opts.knownHosts?.get(hostPort) ?? null; } catch (e) {
    return { ok: false, fingerprint, message: `cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}) to check the server at ${hostPort}: nothing was sent` };
  }
  if (known === fingerprint) return { ok: true, fingerprint, how: 'known' };
  if (known !== null) {
    return {
      ok: false, fingerprint,
      message: `the server at ${hostPort} presented a different certificate (SHA-256 ${fingerprint}) from the one remembered in ${file} (${known}); nothing was sent. `
        + 'Someone may be intercepting the connection, or the server was given a new identity. If the change is legitimate '
        + `(check the fingerprint the server logs at start with its operator), connect once with --trust ${fingerprint}, `
        + `or remove the line for ${hostPort} from ${file}.`,
    };
  }
  return { ok: true, fingerprint, how: 'first-use', note: remember(opts.knownHosts, hostPort, fingerprint) };
}

/** Remembers a fingerprint; says why not when it cannot (the connection goes on: it was accepted). */
function remember(knownHosts: KnownHosts | null, hostPort: string, fingerprint: string): string | undefined {
  if (!knownHosts) return undefined;
  try { knownHosts.set(hostPort, fingerprint); return undefined; } catch (e) {
    return `could not remember it in ${knownHosts.file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
  }
}
