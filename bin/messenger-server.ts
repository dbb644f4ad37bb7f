#!/usr/bin/env node
// messenger-server: the chat server and file-download host.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { TIMING } from '../machines/timing.js';
import { DEFAULT_LIMITS, LIMITS } from '../machines/limits.js';
import { DEFAULT_CC, type CongestionControlName } from '../machines/transport/api.js';
import { accountCommand, ACCOUNT_USAGE } from '../runtime/account-admin.js';
import { heapMode } from '../runtime/heap-mode.js';
import { CliError, parseBytes, parseFraction, parseMs, parsePort, parsePortRange } from '../runtime/cli-args.js';
import { systemClock } from '../runtime/clock.js';
import { DashboardSetup, parseDashboardAddress } from '../runtime/dashboard/index.js';
import { makeInspector } from '../runtime/inspect.js';
import { makeLogger } from '../runtime/logger.js';
import { IrcListener } from '../runtime/irc/irc-listener.js';
import { MessengerServer, SERVER_DEFAULTS } from '../runtime/server.js';
import { DEFAULT_RETENTION, StoreError, type Store } from '../runtime/store/port.js';
import { JetStreamStore } from '../runtime/store/jetstream/jetstream-store.js';
import { DEFAULT_PREFIX, parseClusterArgs, type ClusterArgs } from '../runtime/cluster/cli.js';
import { openNames } from '../runtime/cluster/names-bucket.js';
import { ClusterHub } from '../runtime/cluster/cluster-hub.js';
import { SqliteStore } from '../runtime/store/sqlite/sqlite-store.js';
import { loadIdentity, loadOrMakeIdentity, TlsIdentityError, type TlsIdentity } from '../runtime/tls/identity.js';
import { isIpLiteral } from '../machines/offer.js';

const USAGE = `Usage: messenger-server [options]
       messenger-server account add NAME | remove NAME | list [--data DIR] [--password-file FILE]

Starts the messenger server: chat over TCP, file downloads over UDP.

Options:
  --host HOST                 address for the TCP listener and the UDP pool (default 127.0.0.1)
  --port PORT                 TCP port (default 50000)
  --files DIR                 folder whose regular files are shared (default ./files)
  --data DIR                  where the server keeps its state, history included (default ./data, created)
  --history N                 messages replayed to a client at login (default 100; 0 for none)
  --history-max COUNT         messages kept in the history (default 100000)
  --history-days D            also forget messages older than D days (default: no age limit)
  --no-store                  keep no state: history in memory only, lost at exit (for measurements)
  --registration open|closed  closed: only nicknames with an account may connect (default open)
  --allow-insecure-auth       take passwords over connections without TLS (for tests and debugging)
  --tls-cert FILE             the server's TLS certificate (PEM; with --tls-key). Without both, a self-signed
                              identity is made on first start and kept in the data folder (DIR/tls/)
  --tls-key FILE              the certificate's private key (PEM)
  --no-tls                    plain NDJSON instead of TLS 1.3 (for debugging with nc; clients need --no-tls too)
  --irc-port PORT             also open an IRC listener on PORT (same host; TLS as the main listener), where
                              everyone is in #messenger
  --udp-ports A-B             UDP port pool for downloads (default 55000-55015)
  --udp-advertise-ports A-B   ports named to clients instead of the pool's own (port forwarding, messenger-link)
  --udp-advertise-host IP     in a cluster: the address clients of other nodes send this node's datagrams to
                              (default --host, unless it is a wildcard: then the address each client reached)
  --halfway FRACTION          where a download pauses for consent: 0.5 or 50% (default 0.5; 0 turns it off)
  --chunk BYTES               UDP payload per datagram (default 60k on loopback, 1200 otherwise; at most 65000)
  --cc NAME                   congestion control: cubic, bbr or newreno (default cubic)
  --silent-timeout DURATION   a transfer whose client is silent this long fails (default 30s)
  --consent-timeout DURATION  a halfway question unanswered this long stops the download (default 10m)
  --idle-timeout DURATION     a chat connection silent this long is closed (default 60s)
  --max-per-address N         connections allowed from one address (default 128; 0 = no limit)
  --rate N                    chat frames a second per client, burst 2N (default ${DEFAULT_LIMITS.ratePerSec})
  --log-json                  log JSON lines instead of readable text
  --log-level LEVEL           trace, debug, info, warn, error (default info)
  --inspect [FILE]            print every actor transition (to FILE, or to stderr with -)
  --cluster URLS              join a cluster through NATS with JetStream: nats://HOST:PORT, several comma-separated
                              (names, history, accounts and the file list are then the cluster's, not DATA's)
  --node NAME                 this server's name in the cluster (letters, digits, - and _; default HOST-PID)
  --cluster-prefix P          names the cluster's streams, buckets and subjects (default ${DEFAULT_PREFIX})
  --dashboard [HOST:]PORT     serve the live web dashboard (read-only; host 127.0.0.1 unless given); its address,
                              with the access token it needs, is logged at start
  --help                      this text
`;

async function main(): Promise<void> {
  if (process.argv[2] === 'account') {
    accountCommand(process.argv.slice(3), { out: (l) => process.stdout.write(`${l}\n`), env: process.env, now: () => systemClock.now() }).then(
      (code) => process.exit(code),
      (e: unknown) => {
        if (e instanceof CliError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
          process.stderr.write(`messenger-server: ${(e as Error).message}\n\n${ACCOUNT_USAGE}`);
          process.exit(2);
        }
        throw e;
      },
    );
    return;
  }
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        host: { type: 'string' }, port: { type: 'string' }, files: { type: 'string' }, 'udp-ports': { type: 'string' },
        data: { type: 'string' }, history: { type: 'string' }, 'history-max': { type: 'string' }, 'history-days': { type: 'string' }, 'no-store': { type: 'boolean' },
        registration: { type: 'string' }, 'allow-insecure-auth': { type: 'boolean' },
        'tls-cert': { type: 'string' }, 'tls-key': { type: 'string' }, 'no-tls': { type: 'boolean' }, 'irc-port': { type: 'string' },
        'udp-advertise-ports': { type: 'string' }, 'udp-advertise-host': { type: 'string' }, halfway: { type: 'string' }, chunk: { type: 'string' }, cc: { type: 'string' },
        'silent-timeout': { type: 'string' }, 'consent-timeout': { type: 'string' }, 'idle-timeout': { type: 'string' }, 'max-per-address': { type: 'string' },
        cluster: { type: 'string' }, node: { type: 'string' }, 'cluster-prefix': { type: 'string' },
        rate: { type: 'string' }, 'log-json': { type: 'boolean' }, 'log-level': { type: 'string' }, inspect: { type: 'string' }, dashboard: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true, allowPositionals: false,
    }));
  } catch (e) {
    process.stderr.write(`messenger-server: ${(e as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (values.help) { process.stdout.write(USAGE); return; }
  try {
    const host = (values.host as string | undefined) ?? SERVER_DEFAULTS.host;
    const port = values.port !== undefined ? parsePort(values.port as string, '--port') : SERVER_DEFAULTS.port;
    const ircPort = values['irc-port'] !== undefined ? parsePort(values['irc-port'] as string, '--irc-port') : undefined;
    if (ircPort !== undefined && ircPort !== 0 && ircPort === port) throw new CliError('--irc-port must differ from --port');
    const filesDir = (values.files as string | undefined) ?? defaultFilesDir();
    if (!fs.existsSync(filesDir) || !fs.statSync(filesDir).isDirectory()) throw new CliError(`--files: ${filesDir} is not a folder`);
    const ports = parsePortRange((values['udp-ports'] as string | undefined) ?? '55000-55015', '--udp-ports');
    const adv = values['udp-advertise-ports'] ? parsePortRange(values['udp-advertise-ports'] as string, '--udp-advertise-ports') : undefined;
    if (adv && adv[1] - adv[0] !== ports[1] - ports[0]) throw new CliError('--udp-advertise-ports must be as long as --udp-ports');
    const advHost = values['udp-advertise-host'] as string | undefined;
    if (advHost !== undefined && !isIpLiteral(advHost)) throw new CliError(`--udp-advertise-host: "${advHost}" is not an IPv4 or IPv6 address`);
    const cc = ((values.cc as string | undefined) ?? DEFAULT_CC) as CongestionControlName;
    if (!['bbr', 'cubic', 'newreno'].includes(cc)) throw new CliError(`--cc: "${cc}" is not one of bbr, cubic, newreno`);
    const loopback = host === '127.0.0.1' || host === 'localhost' || host === '::1';
    const chunk = values.chunk ? parseBytes(values.chunk as string, '--chunk') : loopback ? 60000 : 1200;
    if (chunk < 256 || chunk > 65000) throw new CliError('--chunk must be between 256 and 65000 bytes');
    const rate = values.rate ? Number(values.rate) : DEFAULT_LIMITS.ratePerSec;
    if (!Number.isInteger(rate) || rate < 1) throw new CliError('--rate must be a positive integer');
    const maxPerAddress = values['max-per-address'] !== undefined ? Number(values['max-per-address']) : SERVER_DEFAULTS.maxPerAddress;
    if (!Number.isInteger(maxPerAddress) || maxPerAddress < 0) throw new CliError('--max-per-address must be a whole number');
    const historyReplay = values.history !== undefined ? Number(values.history) : 100;
    if (!Number.isInteger(historyReplay) || historyReplay < 0 || historyReplay > 10000) throw new CliError('--history must be a whole number from 0 to 10000');
    const maxCount = values['history-max'] !== undefined ? Number(values['history-max']) : DEFAULT_RETENTION.maxCount;
    if (!Number.isInteger(maxCount) || maxCount < 0) throw new CliError('--history-max must be a whole number');
    const days = values['history-days'] !== undefined ? Number(values['history-days']) : undefined;
    if (days !== undefined && !(days > 0)) throw new CliError('--history-days must be a positive number');
    const registration = (values.registration as string | undefined) ?? 'open';
    if (registration !== 'open' && registration !== 'closed') throw new CliError('--registration must be open or closed');
    if (registration === 'closed' && values['no-store']) throw new CliError('--registration closed needs the store (accounts live there): drop --no-store');
    const dataDir = (values.data as string | undefined) ?? 'data';
    const dashboard = values.dashboard !== undefined ? new DashboardSetup(parseDashboardAddress(values.dashboard as string)) : null;
    const certFile = values['tls-cert'] as string | undefined, keyFile = values['tls-key'] as string | undefined;
    if (values['no-tls'] && (certFile || keyFile)) throw new CliError('--no-tls and --tls-cert/--tls-key do not go together');
    if (Boolean(certFile) !== Boolean(keyFile)) throw new CliError('--tls-cert and --tls-key go together');
    let clusterArgs: ClusterArgs | undefined;
    if (values.cluster !== undefined) {
      if (values['no-store']) throw new CliError('--cluster keeps its state in the cluster: drop --no-store');
      try { clusterArgs = parseClusterArgs(values.cluster as string, values.node as string | undefined, values['cluster-prefix'] as string | undefined); }
      catch (e) { throw e instanceof CliError ? e : new CliError((e as Error).message); }
    } else if (values.node !== undefined || values['cluster-prefix'] !== undefined) throw new CliError('--node and --cluster-prefix go with --cluster');
    const retention = days === undefined ? { maxCount } : { maxCount, maxAgeMs: days * 86_400_000 };
    let store: Store | undefined;
    if (clusterArgs) try {
      store = await JetStreamStore.open({ servers: clusterArgs.servers, prefix: clusterArgs.prefix, retention, name: clusterArgs.node });
    } catch (e) {
      if (!(e instanceof StoreError)) throw e;
      process.stderr.write(`messenger-server: cluster: ${e.message}\n`);
      process.exit(1);
    } else if (!values['no-store']) try { store = SqliteStore.open(dataDir); } catch (e) {
      if (!(e instanceof StoreError)) throw e;
      process.stderr.write(`messenger-server: ${e.message}\n`);
      process.exit(1);
    }
    // after the store, which checks the data folder first (and says what is wrong with it)
    let identity: TlsIdentity | undefined;
    if (!values['no-tls']) try {
      identity = certFile && keyFile ? loadIdentity(certFile, keyFile) : await loadOrMakeIdentity(dataDir);
    } catch (e) {
      if (!(e instanceof TlsIdentityError)) throw e;
      await store?.close();
      process.stderr.write(`messenger-server: TLS identity: ${e.message}\n`);
      process.exit(1);
    }
    // a server holds many small, long-lived sessions: V8's memory-saving heuristics (smaller heap growth, compaction)
    // halve the RSS per logged-in session after a login storm (13 KB -> 7-8 KB at 5,000) for no measurable CPU
    // (docs/BENCHMARKS.md, "Capacity per server"); set before the heap grows, and lifted while downloads run
    // (runtime/heap-mode.ts: per-datagram crypto buffers make it cost a full GC every ~15 MB sent)
    heapMode.optimizeForSize();
    const plainLog = makeLogger({ json: Boolean(values['log-json']), level: values['log-level'] as string | undefined });
    const log = dashboard ? dashboard.tap(plainLog) : plainLog;
    if (store instanceof JetStreamStore) log.info({ cluster: clusterArgs!.servers.join(','), node: clusterArgs!.node, prefix: clusterArgs!.prefix, messages: await store.history.count() }, 'cluster store open');
    else if (store) log.info({ data: path.resolve(dataDir), messages: await store.history.count() }, 'store open');
    const cluster = clusterArgs && store instanceof JetStreamStore
      ? { nc: store.connection, names: await openNames(store.connection, clusterArgs.prefix), history: store.history, node: clusterArgs.node, prefix: clusterArgs.prefix }
      : undefined;
    if (identity) log.info({ fingerprint: identity.fingerprint, cert: path.resolve(identity.certFile), source: identity.source }, `TLS 1.3 identity, SHA-256 fingerprint ${identity.fingerprint}`);
    else log.warn({}, 'TLS is off (--no-tls): chat and file tokens travel in clear');
    const inspect = values.inspect !== undefined ? makeInspector(values.inspect as string || '-') : undefined;
    const server = new MessengerServer({
      host, port, filesDir, maxPerAddress, maxConnections: SERVER_DEFAULTS.maxConnections,
      maxOutboxBytes: SERVER_DEFAULTS.maxOutboxBytes, tickMs: SERVER_DEFAULTS.tickMs, log, inspect,
      tls: identity, store, historyReplay, retention, cluster,
      session: {
        registration, allowInsecureAuth: Boolean(values['allow-insecure-auth']),
        limits: {
          ...DEFAULT_LIMITS, ratePerSec: rate, burst: rate * 2,
          idleMs: values['idle-timeout'] ? parseMs(values['idle-timeout'] as string, '--idle-timeout') : TIMING.idleMs,
        },
      },
      transfers: {
        host, ports, advertisePorts: adv, ...(advHost !== undefined ? { advertiseHost: advHost } : {}),
        halfway: values.halfway !== undefined ? parseFraction(values.halfway as string, '--halfway') : 0.5,
        chunk, cc,
        silentMs: values['silent-timeout'] ? parseMs(values['silent-timeout'] as string, '--silent-timeout') : TIMING.senderSilentMs,
        maxPerSession: LIMITS.transfersPerClient,
        consentTimeoutMs: values['consent-timeout'] ? parseMs(values['consent-timeout'] as string, '--consent-timeout') : undefined,
      },
    });
    const irc = ircPort !== undefined ? new IrcListener(server, { host, port: ircPort, tls: identity, log, maxPerAddress }) : undefined;
    let stopping = false;
    const stop = (sig: string) => {
      if (stopping) process.exit(1);
      stopping = true;
      log.info({ signal: sig }, 'shutting down');
      // IRC users leave first, while the hub (in a cluster, its broker connection) is still there to tell everyone
      Promise.resolve(irc?.stop()).then(() => server.stop('server-shutdown')).then(() => process.exit(0), () => process.exit(1));
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
    // clustered, the dashboard's nodes panel shows every node this one hears
    const hub = server.hub;
    const nodes = hub instanceof ClusterHub ? () => [
      { name: hub.nodeName, address: `${host}:${server.port}`, self: true, state: hub.reachable ? 'up' : 'cut off from the broker', sessions: hub.local.size, transfers: [...server.transfers.running].length },
      ...hub.peers().map((p) => ({ name: p.node, address: '', self: false, state: 'up', sessions: p.users, transfers: 0, since: p.lastSeen })),
    ] : undefined;
    server.start().then(() => irc?.start()).then(() => dashboard?.start(server, log, { address: `${host}:${server.port}`, nodeName: clusterArgs?.node, nodes })).catch((e: NodeJS.ErrnoException) => {
      log.fatal({ err: e.message, code: e.code }, 'cannot start');
      void Promise.resolve(store?.close()).finally(() => process.exit(1));
    });
  } catch (e) {
    if (e instanceof CliError) { process.stderr.write(`messenger-server: ${e.message}\n`); process.exit(2); }
    throw e;
  }
}

function defaultFilesDir(): string {
  if (fs.existsSync('files')) return 'files';
  // the package's own files/, two levels up from dist/bin or one from bin/
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const up of ['../../files', '../files']) {
    const d = path.resolve(here, up);
    if (fs.existsSync(d)) return d;
  }
  return 'files';
}

void main();
