// IRC in tests: a messenger server with its IRC listener (TLS as the main listener unless `plain`), and a raw IRC
// client over a real socket whose received lines are parsed and logged, with bounded waits.
import type net from 'node:net';
import { parseLine, type IrcMessage } from '../../machines/irc/message.js';
import type { IrcConfig } from '../../machines/irc/irc-session.machine.js';
import { makeLogger } from '../../runtime/logger.js';
import { IrcListener } from '../../runtime/irc/irc-listener.js';
import { Recorder, type WaitOptions } from './recorder.js';
import type { Scope } from './scope.js';
import type { TestServer, TestServerOptions } from './server.js';
import { connectSocket, TEST_IDENTITY } from './tls.js';

export interface IrcTestServer { srv: TestServer; irc: IrcListener; ircPort: number; stop(): Promise<void> }

/** A server (through `scope`) with an IRC listener on a free port; stop() closes the listener (call it before
 *  scope.dispose()). */
export async function startIrcServer(scope: Scope, o: TestServerOptions & { irc?: Partial<IrcConfig>; ircTickMs?: number; dcc?: { offerTimeoutMs?: number; silentMs?: number } } = {}): Promise<IrcTestServer> {
  const { irc: ircCfg, dcc, ircTickMs, ...rest } = o;
  const srv = await scope.server(rest);
  const irc = new IrcListener(srv.server, {
    host: '127.0.0.1', port: 0, tls: o.plain ? undefined : (o.tls ?? TEST_IDENTITY), log: makeLogger({ quiet: true }), irc: ircCfg, dcc, tickMs: ircTickMs,
  });
  await irc.start();
  let stopped = false;
  return { srv, irc, ircPort: irc.port, async stop() { if (!stopped) { stopped = true; await irc.stop(); } } };
}

export type Line = IrcMessage & { raw: string };

export class IrcClient extends Recorder<Line> {
  private buf = Buffer.alloc(0);

  private constructor(readonly socket: net.Socket, label: string) {
    super(label);
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      for (;;) {
        const nl = this.buf.indexOf(0x0a);
        if (nl < 0) break;
        let line = this.buf.subarray(0, nl);
        this.buf = this.buf.subarray(nl + 1);
        if (line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
        const r = parseLine(line);
        if (r.ok) this.push({ ...r.message, raw: line.toString('utf8') });
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => this.end('closed'));
  }

  static async connect(port: number, secure: boolean, label = 'irc'): Promise<IrcClient> {
    return new IrcClient(await connectSocket(port, '127.0.0.1', secure), label);
  }

  /** One line, CRLF added. */
  send(...lines: string[]): void { for (const l of lines) this.socket.write(`${l}\r\n`); }

  /** Bytes exactly as given. */
  writeRaw(bytes: string | Uint8Array): void { this.socket.write(bytes); }

  waitCommand(command: string, pred: (l: Line) => boolean = () => true, opts: WaitOptions | number = {}): Promise<Line> {
    return this.waitFor((l) => l.command === command && pred(l), opts);
  }

  /** The first of `commands` to arrive (a numeric or a command). */
  waitAny(commands: string[], opts: WaitOptions | number = {}): Promise<Line> {
    return this.waitFor((l) => commands.includes(l.command), opts);
  }

  /** NICK and USER (after CAP lines when given), then waits for 001 (rejects on a refusal numeric first). */
  async register(nick: string, opts: { before?: string[]; after?: string[]; ms?: number } = {}): Promise<Line> {
    const since = this.mark();
    this.send(...(opts.before ?? []), `NICK ${nick}`, `USER ${nick} 0 * :${nick} the tester`, ...(opts.after ?? []));
    const l = await this.waitAny(['001', '432', '433', '464', '904', 'ERROR'], { since, ms: opts.ms ?? 5000 });
    if (l.command !== '001') throw new Error(`${this.label}: not registered: ${l.raw}`);
    await this.waitCommand('366', () => true, { since, ms: opts.ms ?? 5000 });
    return l;
  }

  get closed(): boolean { return this.endedWith !== null; }
  destroy(): void { this.socket.destroy(); }
}

/** Every IRC client made through `clients`, destroyed in one call. */
export class IrcClients {
  private all: IrcClient[] = [];
  async connect(port: number, secure: boolean, label?: string): Promise<IrcClient> {
    const c = await IrcClient.connect(port, secure, label);
    this.all.push(c);
    return c;
  }
  dispose(): void { for (const c of this.all.splice(0)) c.destroy(); }
}
