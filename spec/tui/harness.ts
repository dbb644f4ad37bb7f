// Test harness for the full-screen client: an in-process server, the client in a real pseudo-terminal, and the
// screen read back through a headless xterm. Every wait is bounded; stop() ends whatever was started.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import * as pty from '@lydell/node-pty';
import * as xtermModule from '@xterm/headless';
import { MessengerServer, SERVER_DEFAULTS, type ServerOptions } from '../../runtime/server.js';
import { makeLogger } from '../../runtime/logger.js';
import { ClientRuntime } from '../../runtime/client-runtime.js';
import type { ClientEvent } from '../../machines/client-events.js';
import { nextUdpPorts } from '../helpers/ports.js';
import { TEST_IDENTITY } from '../helpers/tls.js';

// @xterm/headless is CommonJS: depending on the loader its exports arrive as named exports or under default
const { Terminal } = ((xtermModule as { default?: typeof xtermModule }).default ?? xtermModule);

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const ROOT = path.resolve(import.meta.dirname, '../..');

export async function startServer(files: Record<string, Buffer | string> = {}, port = 0, extra: Partial<ServerOptions> = {}) {
  const udp = await nextUdpPorts(16);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tui-files-'));
  for (const [name, data] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), data);
  const server = new MessengerServer({
    ...SERVER_DEFAULTS, port, filesDir: dir, log: makeLogger({ quiet: true }), tls: TEST_IDENTITY,
    transfers: { host: '127.0.0.1', ports: udp, halfway: 0.5, chunk: 60000, cc: 'bbr', silentMs: 30000, maxPerSession: 4 },
    ...extra,
  });
  await server.start();
  return { server, dir, stop: async () => { await server.stop(); fs.rmSync(dir, { recursive: true, force: true }); } };
}

export class Tui {
  readonly term: InstanceType<typeof Terminal>;
  readonly proc: pty.IPty;
  exitCode: number | null = null;
  readonly exited: Promise<number>;
  readonly downloads: string;
  /** Everything the client wrote to the terminal. */
  raw = '';

  constructor(args: string[], readonly cols = 100, readonly rows = 30) {
    this.downloads = fs.mkdtempSync(path.join(os.tmpdir(), 'tui-dl-'));
    this.term = new Terminal({ cols, rows, allowProposedApi: true });
    this.proc = pty.spawn(process.execPath, ['--import', 'tsx', 'bin/messenger.ts', '--downloads', this.downloads, ...args], {
      name: 'xterm-256color', cols, rows, cwd: ROOT,
      // MESSENGER_HOME: the run's own (spec/helpers/setup.ts), never ~/.config
      env: { ...process.env, TERM: 'xterm-256color', LANG: 'C.UTF-8', NCURSES_NO_UTF8_ACS: '1' } as Record<string, string>,
    });
    this.proc.onData((d) => { this.raw += d; this.term.write(d); });
    this.exited = new Promise((resolve) => this.proc.onExit(({ exitCode }) => { this.exitCode = exitCode; resolve(exitCode); }));
  }

  /** The screen as text lines (trailing blanks trimmed). */
  lines(): string[] {
    const buf = this.term.buffer.active;
    const out: string[] = [];
    for (let y = 0; y < this.term.rows; y++) out.push(buf.getLine(buf.viewportY + y)?.translateToString(true) ?? '');
    return out;
  }

  text(): string { return this.lines().join('\n'); }

  /** How the cell at a 0-based column and row is drawn. */
  cell(x: number, y: number): { ch: string; bold: boolean; underline: boolean; defaultFg: boolean } {
    const buf = this.term.buffer.active;
    const c = buf.getLine(buf.viewportY + y)?.getCell(x);
    return { ch: c?.getChars() ?? '', bold: !!c?.isBold(), underline: !!c?.isUnderline(), defaultFg: !!c?.isFgDefault() };
  }

  /** Whether `text` is drawn plainly where it shows (no bold, no underline, default colour): markup not applied. */
  plainAt(text: string): boolean {
    const at = this.find(text);
    if (!at) return false;
    for (let i = 0; i < text.length; i++) { // columns = string indexes: use it where the row has no wide characters
      const c = this.cell(at.x + i, at.y);
      if (c.bold || c.underline || !c.defaultFg) return false;
    }
    return true;
  }

  /** Whether the alternate screen buffer (full-screen mode) is in use. */
  get alternate(): boolean { return this.term.buffer.active.type === 'alternate'; }

  async waitFor(what: string | RegExp | ((screen: string) => boolean), ms = 10000): Promise<string> {
    const test = typeof what === 'function' ? what : (s: string) => (typeof what === 'string' ? s.includes(what) : what.test(s));
    const deadline = Date.now() + ms;
    for (;;) {
      await new Promise<void>((r) => this.term.write('', r)); // let the emulator parse what has arrived
      const s = this.text();
      if (test(s)) return s;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${String(what)}; screen:\n${s}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** The row and column (0-based) where `text` first shows on screen, at or right of column `minX`. */
  find(text: string, minX = 0): { x: number; y: number } | null {
    const lines = this.lines();
    for (let y = 0; y < lines.length; y++) {
      const x = lines[y]!.indexOf(text, minX);
      if (x >= 0) return { x, y };
    }
    return null;
  }

  type(s: string): void { this.proc.write(s); }

  /**
   * A left click at a 0-based cell: press and release as SGR mouse reports in one write, which is what the client
   * reads from a real terminal when it was busy for a moment; the client must take it as one click (tui/input-chunks.ts).
   */
  async click(x: number, y: number): Promise<void> {
    this.proc.write(`\x1b[<0;${x + 1};${y + 1}M\x1b[<0;${x + 1};${y + 1}m`);
  }

  /** A key that must not run into the next one (Esc followed by a character reads as Meta-character). */
  async key(seq: string): Promise<void> {
    this.proc.write(seq);
    await sleep(80);
  }

  resize(cols: number, rows: number): void {
    this.proc.resize(cols, rows);
    this.term.resize(cols, rows);
  }

  async stop(): Promise<void> {
    if (this.exitCode === null) {
      try { this.proc.kill('SIGKILL'); } catch { /* gone */ }
      await Promise.race([this.exited, new Promise((r) => setTimeout(r, 2000))]);
    }
    this.term.dispose();
    fs.rmSync(this.downloads, { recursive: true, force: true });
  }
}

export const KEY = {
  enter: '\r', tab: '\t', shiftTab: '\x1b[Z', up: '\x1b[A', down: '\x1b[B', ctrlC: '\x03', esc: '\x1b',
  f2: '\x1bOQ', f3: '\x1bOR', f4: '\x1bOS', f5: '\x1b[15~', f6: '\x1b[17~', f8: '\x1b[19~', f9: '\x1b[20~', f10: '\x1b[21~',
  pageUp: '\x1b[5~', pageDown: '\x1b[6~',
};

/** A second participant, driven directly through the runtime; records its events. */
export async function peer(port: number, name: string) {
  const downloadsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tui-peer-'));
  const client = new ClientRuntime({ host: '127.0.0.1', port, name, downloadsDir, yes: true, reconnect: false, tls: { knownHosts: null } });
  const events: ClientEvent[] = [];
  client.on('event', (e) => events.push(e));
  const connected = new Promise<void>((resolve, reject) => {
    client.on('event', (e) => {
      if (e.type === 'connected') resolve();
      if (e.type === 'error' || e.type === 'disconnected') reject(new Error(`${name}: ${JSON.stringify(e)}`));
    });
  });
  client.start();
  await connected;
  return {
    client, events,
    async waitEvent(pred: (e: ClientEvent) => boolean, ms = 10000): Promise<ClientEvent> {
      const deadline = Date.now() + ms;
      for (;;) {
        const e = events.find(pred);
        if (e) return e;
        if (Date.now() > deadline) throw new Error(`${name}: no such event; got ${JSON.stringify(events)}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async stop() { await Promise.race([client.quit(), new Promise((r) => setTimeout(r, 3000))]); fs.rmSync(downloadsDir, { recursive: true, force: true }); },
  };
}

/** A TCP relay in front of the server; cut() drops every connection abruptly (no bye), as a lost network would. */
export async function relay(target: number) {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((a) => {
    const b = net.connect({ host: '127.0.0.1', port: target });
    for (const s of [a, b]) { sockets.add(s); s.on('error', () => {}); s.on('close', () => { sockets.delete(s); a.destroy(); b.destroy(); }); }
    a.pipe(b);
    b.pipe(a);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    cut() { for (const s of sockets) s.resetAndDestroy(); },
    async stop() { this.cut(); await new Promise((r) => server.close(r)); },
  };
}
