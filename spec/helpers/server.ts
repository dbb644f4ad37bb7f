// An in-process MessengerServer on 127.0.0.1 with a random free TCP port, a silent logger and a temporary shared
// folder. Every option can be overridden; session limits may be given in part.
import { DEFAULT_SESSION_CONFIG, type SessionConfig } from '../../machines/session.machine.js';
import { LIMITS, type Limits } from '../../machines/limits.js';
import { makeLogger } from '../../runtime/logger.js';
import { MessengerServer, SERVER_DEFAULTS, type ServerOptions } from '../../runtime/server.js';
import type { TransfersOptions } from '../../runtime/transfers-host.js';
import { nextUdpPorts } from './ports.js';
import { makeTempDir, removeDir, writeFiles } from './tmp.js';
import { TEST_IDENTITY } from './tls.js';

export interface TestServerOptions extends Partial<Omit<ServerOptions, 'session' | 'transfers'>> {
  session?: Partial<Omit<SessionConfig, 'limits'>> & { limits?: Partial<Limits> };
  transfers?: Partial<TransfersOptions>;
  /** Files to put into the shared folder (a fresh temporary folder unless `filesDir` is given). */
  files?: Record<string, string | Uint8Array>;
  /** Plain NDJSON, as with --no-tls (TLS 1.3 with the test identity otherwise, as users get it). */
  plain?: boolean;
}

export interface TestServer {
  server: MessengerServer;
  host: string;
  port: number;
  filesDir: string;
  options: ServerOptions;
  stop(): Promise<void>;
}

/** The server's options; the UDP pool must be given (startServer takes one from nextUdpPorts when it is not). */
export function serverOptions(o: TestServerOptions & { transfers: { ports: [number, number] } }): ServerOptions {
  const { session, transfers, files: _files, plain, ...rest } = o;
  return {
    host: '127.0.0.1',
    port: 0,
    filesDir: '',
    maxPerAddress: 0,
    maxConnections: SERVER_DEFAULTS.maxConnections,
    maxOutboxBytes: SERVER_DEFAULTS.maxOutboxBytes,
    tickMs: SERVER_DEFAULTS.tickMs,
    log: makeLogger({ quiet: true }),
    ...(plain ? {} : { tls: TEST_IDENTITY }),
    ...rest,
    session: {
      ...DEFAULT_SESSION_CONFIG,
      ...session,
      limits: { ...DEFAULT_SESSION_CONFIG.limits, ...session?.limits },
    },
    transfers: {
      host: rest.host ?? '127.0.0.1',
      halfway: 0.5,
      chunk: 60000,
      cc: 'bbr',
      silentMs: 30000,
      maxPerSession: LIMITS.transfersPerClient,
      ...transfers,
    },
  };
}

export async function startServer(o: TestServerOptions = {}): Promise<TestServer> {
  const ownDir = o.filesDir === undefined;
  const filesDir = o.filesDir ?? makeTempDir('messenger-files-');
  if (o.files) writeFiles(filesDir, o.files);
  const ports = o.transfers?.ports ?? await nextUdpPorts(2, o.host ?? '127.0.0.1');
  const options = serverOptions({ ...o, filesDir, transfers: { ...o.transfers, ports } });
  const server = new MessengerServer(options);
  try {
    await server.start();
  } catch (e) {
    if (ownDir) removeDir(filesDir);
    throw e;
  }
  let stopped = false;
  return {
    server, options, filesDir, host: options.host, port: server.port,
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop('server-shutdown');
      if (ownDir) removeDir(filesDir);
    },
  };
}
