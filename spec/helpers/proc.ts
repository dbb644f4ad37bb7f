// The real bins as child processes: `messenger-server` and `messenger --plain --json`, started with
// `node --import tsx` (one process each, so a SIGKILL ends the program itself).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Recorder } from './recorder.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SERVER_BIN = path.join(ROOT, 'bin/messenger-server.ts');
const CLIENT_BIN = path.join(ROOT, 'bin/messenger.ts');

export type Json = Record<string, unknown> & { type?: string; msg?: string };

/** A child whose stdout lines are logged (parsed as JSON when they are). */
export class ChildRun extends Recorder<Json> {
  readonly stderr: string[] = [];
  exitCode: number | null = null;
  signal: NodeJS.Signals | null = null;

  constructor(readonly child: ChildProcess, label: string) {
    super(label);
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      try { this.push(JSON.parse(line) as Json); } catch { this.push({ raw: line }); }
    });
    readline.createInterface({ input: child.stderr! }).on('line', (line) => this.stderr.push(line));
    child.on('exit', (code, signal) => { this.exitCode = code; this.signal = signal; this.end(signal ?? String(code)); });
    child.stdin?.on('error', () => {});
  }

  get running(): boolean { return this.endedWith === null; }

  /** One line on standard input. */
  type(line: string): void { this.child.stdin!.write(line + '\n'); }

  /** Closes standard input (end of input). */
  endInput(): void { this.child.stdin!.end(); }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void { if (this.running) this.child.kill(signal); }

  /** Kills (SIGKILL) if still running and waits for the exit. */
  async dispose(): Promise<void> {
    if (this.running) { this.child.kill('SIGKILL'); await this.waitEnd(5000).catch(() => undefined); }
    this.child.stdin?.destroy();
  }
}

function node(file: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', file, ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', ...env } });
}

/** Starts `messenger-server --log-json ARGS` and waits for its "listening" log line (which names the port). */
export async function spawnServer(args: string[], ms = 15000): Promise<{ run: ChildRun; port: number }> {
  // a data folder of its own (removed when it exits) unless the test names one
  const data = args.includes('--data') ? null : fs.mkdtempSync(path.join(os.tmpdir(), 'messenger-data-'));
  const run = new ChildRun(node(SERVER_BIN, ['--log-json', ...(data ? ['--data', data] : []), ...args]), 'messenger-server');
  if (data) run.child.once('exit', () => fs.rmSync(data, { recursive: true, force: true }));
  const ready = await Promise.race([
    run.waitFor((l) => l.msg === 'listening', ms),
    run.waitEnd(ms).then((why) => { throw new Error(`messenger-server exited (${why}): ${run.stderr.join('\n')}`); }),
  ]);
  return { run, port: Number(ready.port) };
}

/** Starts `messenger --plain --json --name NAME --port PORT ARGS` (does not wait for anything), with a MESSENGER_HOME
 *  of its own (removed when it exits) unless `env` names one: it trusts the server on first use, as a new user does. */
export function spawnClient(name: string, port: number, args: string[] = [], env: NodeJS.ProcessEnv = {}): ChildRun {
  const home = env.MESSENGER_HOME ? null : fs.mkdtempSync(path.join(os.tmpdir(), 'messenger-home-'));
  const run = new ChildRun(node(CLIENT_BIN, ['--plain', '--json', '--name', name, '--host', '127.0.0.1', '--port', String(port), ...args], { ...env, ...(home ? { MESSENGER_HOME: home } : {}) }), `messenger ${name}`);
  if (home) run.child.once('exit', () => fs.rmSync(home, { recursive: true, force: true }));
  return run;
}
