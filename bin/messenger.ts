#!/usr/bin/env node
// messenger: the client. Full-screen by default; --plain for line mode (scripts and tests).
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CliError, parseHosts, parsePort } from '../runtime/cli-args.js';
import { ClientRuntime, type ServerAddress } from '../runtime/client-runtime.js';
import { makeInspector } from '../runtime/inspect.js';
import { runLineClient } from '../runtime/line-client.js';
import { readPassword } from '../runtime/password-source.js';
import { normalizeFingerprint } from '../runtime/tls/fingerprint.js';
import { KnownHosts, messengerHome } from '../runtime/tls/known-hosts.js';

const USAGE = `Usage: messenger --name NAME [options]

Connects to a messenger server. Full-screen by default; --plain reads commands from standard input and prints
events, one per line (/help lists the commands).

Options:
  --name NAME        your nickname (the full-screen client asks when it is missing)
  --host HOST[,...]  server address (default 127.0.0.1); several servers, each HOST or HOST:PORT, separated by
                     commas: when the connection is lost the client reconnects to the next one (and so on, in turn)
  --port PORT        server TCP port (default 50000; for every --host without its own)
  --downloads DIR    where downloads are saved (default ./downloads)
  --plain            line mode: commands on stdin, events on stdout
  --json             with --plain: each event as one JSON object with a "type" field
  --yes              answer every halfway question with yes at once
  --no-reconnect     do not reconnect when the connection is lost
  --reconnect-tries N  give up after N reconnect attempts in a row (default: 8 rounds over several servers,
                     never with one)
  --password-file F  log in with the password on F's first line (or set MESSENGER_PASSWORD); /register and
                     /password read it again (the full-screen client asks for them in a dialog)
  --no-tls           plain NDJSON instead of TLS 1.3 (only against a server started with --no-tls)
  --trust SHA256     accept the server's certificate with exactly this SHA-256 fingerprint (and remember it)
  --inspect [FILE]   print every actor transition (to FILE, or to stderr with -)
  --help             this text
`;

async function main(): Promise<void> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        name: { type: 'string' }, host: { type: 'string' }, port: { type: 'string' }, downloads: { type: 'string' },
        plain: { type: 'boolean' }, json: { type: 'boolean' }, yes: { type: 'boolean' }, 'no-reconnect': { type: 'boolean' },
        inspect: { type: 'string' }, 'password-file': { type: 'string' }, help: { type: 'boolean', short: 'h' },
        'no-tls': { type: 'boolean' }, trust: { type: 'string' }, 'reconnect-tries': { type: 'string' },
      },
      strict: true, allowPositionals: false,
    }));
  } catch (e) {
    process.stderr.write(`messenger: ${(e as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (values.help) { process.stdout.write(USAGE); return; }
  let servers: ServerAddress[];
  let reconnectTries: number | undefined;
  try {
    const port = values.port !== undefined ? parsePort(values.port as string, '--port') : 50000;
    servers = parseHosts((values.host as string | undefined) ?? '127.0.0.1', port);
    const tries = values['reconnect-tries'] as string | undefined;
    if (tries !== undefined) {
      if (!/^\d+$/.test(tries)) throw new CliError(`--reconnect-tries: "${tries}" is not a whole number`);
      reconnectTries = Number(tries);
    }
  } catch (e) { process.stderr.write(`messenger: ${(e as CliError).message}\n`); process.exit(2); }
  const { host, port } = servers[0]!;
  const where = { host, port, servers, ...(reconnectTries !== undefined ? { reconnectTries } : {}) };
  const downloadsDir = path.resolve((values.downloads as string | undefined) ?? 'downloads');
  const inspect = values.inspect !== undefined ? makeInspector(values.inspect as string || '-') : undefined;
  const name = values.name as string | undefined;
  const passwordFile = values['password-file'] as string | undefined;
  let password: string | undefined;
  try { password = readPassword(passwordFile) ?? undefined; }
  catch (e) { process.stderr.write(`messenger: ${(e as CliError).message}\n`); process.exit(2); }
  const account = { password, readPassword: () => readPassword(passwordFile) };

  const trust = values.trust as string | undefined;
  if (trust !== undefined && !normalizeFingerprint(trust)) { process.stderr.write(`messenger: --trust: "${trust}" is not a SHA-256 fingerprint (64 hex digits, colons optional)\n`); process.exit(2); }
  if (trust !== undefined && values['no-tls']) { process.stderr.write('messenger: --trust and --no-tls do not go together\n'); process.exit(2); }
  // known_hosts lives in $MESSENGER_HOME (default ~/.config/messenger), made when a first server is trusted
  const tls = values['no-tls'] ? false as const : { knownHosts: KnownHosts.in(messengerHome()), ...(trust ? { trust } : {}) };

  if (values.plain) {
    if (!name) { process.stderr.write('messenger: --plain needs --name NAME\n'); process.exit(2); }
    const client = new ClientRuntime({ ...where, name, downloadsDir, yes: Boolean(values.yes), reconnect: !values['no-reconnect'], inspect, tls, ...account });
    process.on('SIGINT', () => { void client.quit(); });
    process.on('SIGTERM', () => { void client.quit(); });
    const reason = await runLineClient(client, process.stdin, process.stdout, Boolean(values.json));
    process.exitCode = reason === 'quit' || reason === '' ? 0 : 1;
    // stdin may still be open (a terminal): leave now that the session is over
    setImmediate(() => process.exit());
    return;
  }
  const { runFullScreen } = await import('../tui/app.js');
  // a person at the full-screen client waits through a server restart; a script in line mode ends on its bye
  await runFullScreen({ ...where, name, downloadsDir, yes: Boolean(values.yes), reconnect: !values['no-reconnect'], retryAfterShutdown: true, inspect, tls, ...account });
}

void main();
