// Where a password comes from, for the client and for `messenger-server account`: `--password-file FILE` (its first
// line), or the environment variable MESSENGER_PASSWORD. Never from the command line (other users see it in `ps`).
import fs from 'node:fs';
import { CliError } from './cli-args.js';

export const PASSWORD_ENV = 'MESSENGER_PASSWORD';

/** The password from `file` (its first line, without the line ending) or from the environment; null when neither
 *  gives one. A file that cannot be read, or an empty password, is a CliError. */
export function readPassword(file: string | undefined, env: NodeJS.ProcessEnv = process.env): string | null {
  let pw: string | undefined;
  if (file !== undefined) {
    try { pw = fs.readFileSync(file, 'utf8').split(/\r?\n/)[0]; } catch (e) {
      throw new CliError(`--password-file: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    if (!pw) throw new CliError(`--password-file: ${file} holds no password on its first line`);
    return pw;
  }
  pw = env[PASSWORD_ENV];
  if (pw === undefined) return null;
  if (!pw) throw new CliError(`${PASSWORD_ENV} is set but empty`);
  return pw;
}
