// `messenger-server account add NAME | remove NAME | list`: manages accounts in the store of `--data DIR` (or, with
// `--cluster`, in the clustered store every node shares), while the server is stopped or running (SQLite in WAL mode
// takes a second connection; a cluster's nodes follow its accounts bucket; the server reads accounts at each login,
// so it sees the change at the next one).
import { parseArgs } from 'node:util';
import { checkNickname, nameKey } from '../machines/nickname.js';
import { CliError } from './cli-args.js';
import { hashPassword } from './password-hash.js';
import { PASSWORD_ENV, readPassword } from './password-source.js';
import { openStore, parseClusterPrefix, parseClusterServers } from './store/open-store.js';
import { StoreError, type Store } from './store/port.js';

export const ACCOUNT_USAGE = `Usage: messenger-server account add NAME | remove NAME | list [--data DIR | --cluster URLS] [--password-file FILE]

Manages registered nicknames in the server's store (works while the server runs).
  add NAME       registers NAME with the password from --password-file FILE or ${PASSWORD_ENV}
  remove NAME    removes NAME's account and the private messages kept for it
  list           prints every registered nickname and when it was registered
Options:
  --data DIR             the server's data folder (default ./data)
  --cluster URLS         the clustered store instead: nats://HOST:PORT of the NATS servers, separated by commas
  --cluster-prefix NAME  the cluster's prefix for its streams and buckets (default MESSENGER)
  --password-file FILE   the password, on the file's first line
`;

export interface AdminIo { out(line: string): void; env: NodeJS.ProcessEnv; now(): number }

/** Runs one account command; returns the process exit code (0 done, 1 refused, 2 usage). Throws CliError on usage. */
export async function accountCommand(argv: string[], io: AdminIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true, strict: true,
    options: {
      data: { type: 'string' }, cluster: { type: 'string' }, 'cluster-prefix': { type: 'string' },
      'password-file': { type: 'string' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) { io.out(ACCOUNT_USAGE); return 0; }
  const [verb, name, ...extra] = positionals;
  if (extra.length || !verb) throw new CliError('account: say add NAME, remove NAME or list');
  if ((verb === 'add' || verb === 'remove') && !name) throw new CliError(`account ${verb}: which NAME?`);
  if (verb === 'list' && name) throw new CliError('account list takes no NAME');
  if (!['add', 'remove', 'list'].includes(verb)) throw new CliError(`account: unknown command "${verb}" (add, remove, list)`);
  const cluster = values.cluster !== undefined ? parseClusterServers(values.cluster) : undefined;
  if (values['cluster-prefix'] !== undefined && !cluster) throw new CliError('--cluster-prefix goes with --cluster');
  const prefix = values['cluster-prefix'] !== undefined ? parseClusterPrefix(values['cluster-prefix']) : undefined;
  if (cluster && values.data !== undefined) throw new CliError('--data and --cluster do not go together: the cluster keeps accounts in its broker');
  let password: string | null = null;
  if (verb === 'add') {
    const check = checkNickname(name!);
    if (!check.ok) throw new CliError(`account add: ${check.reason}`);
    password = readPassword(values['password-file'], io.env);
    if (password === null) throw new CliError(`account add: give the password with --password-file FILE or ${PASSWORD_ENV}`);
  }
  let store: Store;
  try { store = await openStore({ dataDir: values.data ?? 'data', cluster, prefix }); } catch (e) {
    if (e instanceof StoreError) { io.out(`messenger-server: ${e.message}`); return 1; }
    throw e;
  }
  try {
    if (verb === 'list') {
      for (const a of store.accounts.list()) io.out(`${a.name}\t${new Date(a.created).toISOString()}`);
      return 0;
    }
    const nfc = name!.normalize('NFC');
    if (verb === 'remove') {
      if (!(await store.accounts.remove(nameKey(nfc)))) { io.out(`no account for "${nfc}"`); return 1; }
      io.out(`removed the account "${nfc}"`);
      return 0;
    }
    const h = await hashPassword(password!);
    if (!(await store.accounts.add(nameKey(nfc), { name: nfc, ...h, created: io.now() }))) { io.out(`"${nfc}" has an account already`); return 1; }
    io.out(`added the account "${nfc}"`);
    return 0;
  } catch (e) {
    if (e instanceof StoreError) { io.out(`messenger-server: ${e.message}`); return 1; }
    throw e;
  } finally {
    await store.close();
  }
}
