// The client's memory of servers it trusted on first use: one line per host:port with the SHA-256 fingerprint of
// the certificate it presented, in $MESSENGER_HOME/known_hosts (MESSENGER_HOME defaults to ~/.config/messenger).
// The folder is made 0700, the file 0600; every change rewrites the file through a temporary file and a rename.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { normalizeFingerprint } from './fingerprint.js';
import { writeAtomic } from './identity.js';

export const KNOWN_HOSTS_FILE = 'known_hosts';

/** $MESSENGER_HOME, or ~/.config/messenger. */
export function messengerHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MESSENGER_HOME) return path.resolve(env.MESSENGER_HOME);
  const home = env.HOME || os.homedir();
  return path.join(home, '.config', 'messenger');
}

export class KnownHosts {
  constructor(readonly file: string) {}

  /** The known_hosts file of a MESSENGER_HOME folder. */
  static in(home: string): KnownHosts { return new KnownHosts(path.join(home, KNOWN_HOSTS_FILE)); }

  /** The fingerprint remembered for host:port, or null. Lines that do not parse are skipped (and kept). */
  get(hostPort: string): string | null {
    for (const [hp, fp] of this.entries()) if (hp === hostPort) return fp;
    return null;
  }

  /** Remembers (or replaces) the fingerprint of host:port. */
  set(hostPort: string, fingerprint: string): void {
    const fp = normalizeFingerprint(fingerprint);
    if (!fp) throw new Error(`not a SHA-256 fingerprint: ${fingerprint}`);
    if (/\s/.test(hostPort)) throw new Error(`not a host:port: ${hostPort}`);
    const lines = this.lines().filter((l) => l.trim().split(/\s+/)[0] !== hostPort);
    lines.push(`${hostPort} ${fp}`);
    fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    writeAtomic(this.file, lines.join('\n') + '\n', 0o600);
  }

  private lines(): string[] {
    let text: string;
    try { text = fs.readFileSync(this.file, 'utf8'); } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    return text.split('\n').filter((l) => l.trim() !== '');
  }

  private *entries(): Iterable<[string, string]> {
    for (const l of this.lines()) {
      if (l.startsWith('#')) continue;
      const [hp, raw] = l.trim().split(/\s+/);
      const fp = raw ? normalizeFingerprint(raw) : null;
      if (hp && fp) yield [hp, fp];
    }
  }
}
