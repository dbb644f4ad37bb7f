// Child processes for the transfer benchmark: our server and line-mode clients (the built bins in dist/), the plain
// TCP and udx-native peers, CPU time from /proc, and JSON-line event plumbing.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLK_TCK = 100; // USER_HZ on Linux

/** User + system CPU seconds of a live process, from /proc/PID/stat (fields 14 and 15). */
export function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}

export interface Line { at: number; msg: Record<string, unknown> }

/** A child that prints JSON lines; every parsed line is kept with its arrival time and offered to waiters. */
export class JsonChild {
  readonly lines: Line[] = [];
  private waiters: Array<{ pred: (m: Record<string, unknown>) => boolean; resolve: (l: Line) => void; reject: (e: Error) => void }> = [];
  private exited = false;
  readonly stderr: string[] = [];
  readonly exit: Promise<number | null>;

  constructor(readonly name: string, readonly proc: ChildProcess) {
    readline.createInterface({ input: proc.stdout! }).on('line', (text) => {
      let msg: Record<string, unknown>;
      try { msg = JSON.parse(text) as Record<string, unknown>; } catch { msg = { type: 'text', text }; }
      const l = { at: performance.now(), msg };
      this.lines.push(l);
      for (const w of [...this.waiters]) if (w.pred(msg)) { this.waiters.splice(this.waiters.indexOf(w), 1); w.resolve(l); }
    });
    proc.stderr!.on('data', (d: Buffer) => { if (this.stderr.length < 50) this.stderr.push(d.toString()); });
    this.exit = new Promise((resolve) => proc.on('exit', (code) => {
      this.exited = true;
      for (const w of this.waiters.splice(0)) w.reject(new Error(`${name} exited (${code}) while waiting; stderr: ${this.stderr.join('').slice(-500)}; last lines: ${JSON.stringify(this.lines.slice(-3).map((l) => l.msg))}`));
      resolve(code);
    }));
  }

  get pid(): number { return this.proc.pid!; }
  cpu(): number { return cpuSeconds(this.pid); }

  waitFor(pred: (m: Record<string, unknown>) => boolean, timeoutMs = 120_000, from = 0): Promise<Line> {
    for (let i = from; i < this.lines.length; i++) if (pred(this.lines[i]!.msg)) return Promise.resolve(this.lines[i]!);
    if (this.exited) return Promise.reject(new Error(`${this.name} has exited`));
    return new Promise((resolve, reject) => {
      const w = { pred, resolve: (l: Line) => { clearTimeout(t); resolve(l); }, reject };
      const t = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`${this.name}: timed out after ${timeoutMs} ms; last lines: ${JSON.stringify(this.lines.slice(-3).map((l) => l.msg))}`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  write(line: string): void { this.proc.stdin?.write(line + '\n'); }

  async kill(): Promise<void> {
    if (this.exited) return;
    this.proc.kill('SIGTERM');
    const t = setTimeout(() => this.proc.kill('SIGKILL'), 3000);
    await this.exit;
    clearTimeout(t);
  }
}

/** The bench's clients remember servers in a MESSENGER_HOME of the run's own, never the user's ~/.config. */
const HOME = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-messenger-home-'));
process.on('exit', () => fs.rmSync(HOME, { recursive: true, force: true }));

/** Wraps a command line, e.g. to run it inside a network namespace (`bed.exec('server', argv)`). */
export type Wrap = (argv: string[]) => string[];

/** BENCH_CPU_PROF=DIR: our server and clients write V8 CPU profiles there (not allowed in NODE_OPTIONS). */
const PROF = process.env.BENCH_CPU_PROF;

function node(name: string, args: string[], wrap?: Wrap): JsonChild {
  const prof = PROF && !args[0]!.includes('bench/transfer') ? ['--cpu-prof', `--cpu-prof-dir=${PROF}`] : [];
  const argv = wrap ? wrap([process.execPath, ...prof, ...args]) : [process.execPath, ...prof, ...args];
  return new JsonChild(name, spawn(argv[0]!, argv.slice(1), { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, MESSENGER_HOME: HOME } }));
}

export interface ServerOpts {
  port: number; files: string; udp: [number, number]; advertise?: [number, number]; cc?: string; chunk?: number;
  /** Address for the listener and the UDP pool (default 127.0.0.1). */
  host?: string;
  wrap?: Wrap;
  /** Run the TypeScript sources through tsx (tests) instead of the built dist/ (benchmarks). */
  src?: boolean;
}

/** The argv that runs one of our bins: built (dist/bin/NAME.js) or from source (bin/NAME.ts through tsx). */
function bin(name: string, src?: boolean): string[] {
  return src ? ['--import', 'tsx', path.join(ROOT, `bin/${name}.ts`)] : [path.join(ROOT, `dist/bin/${name}.js`)];
}

export async function startServer(o: ServerOpts): Promise<JsonChild> {
  const args = [...bin('messenger-server', o.src), '--port', String(o.port), '--files', o.files,
    '--udp-ports', `${o.udp[0]}-${o.udp[1]}`, '--halfway', '0', '--log-json', '--max-per-address', '0', '--rate', '1000'];
  if (o.advertise) args.push('--udp-advertise-ports', `${o.advertise[0]}-${o.advertise[1]}`);
  if (o.cc) args.push('--cc', o.cc);
  if (o.chunk) args.push('--chunk', String(o.chunk));
  if (o.host) args.push('--host', o.host);
  const s = node('server', args, o.wrap);
  await s.waitFor((m) => m.msg === 'listening', 20_000);
  return s;
}

export async function startClient(name: string, port: number, downloads: string, host?: string, wrap?: Wrap, src?: boolean): Promise<JsonChild> {
  const c = node(`client ${name}`, [...bin('messenger', src), '--plain', '--json', '--yes', '--no-reconnect',
    '--name', name, '--port', String(port), '--downloads', downloads, ...(host ? ['--host', host] : [])], wrap);
  await c.waitFor((m) => m.type === 'connected', 30_000);
  return c;
}

/** A peer script of ours (plain JavaScript, so no loader's start-up cost lands in the CPU figures). */
export function startPeer(script: string, args: string[], wrap?: Wrap): JsonChild {
  return node(path.basename(script), [path.join(ROOT, 'bench/transfer', script), ...args], wrap);
}

/** A file of pseudo-random bytes (incompressible, fast to make). */
export function makeFile(file: string, size: number): void {
  const fd = fs.openSync(file, 'w');
  const block = Buffer.alloc(1 << 20);
  let x = 0x9e3779b9;
  for (let i = 0; i < block.length; i += 4) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; block.writeUInt32LE(x >>> 0, i); }
  for (let done = 0; done < size;) {
    const n = Math.min(block.length, size - done);
    block.writeUInt32LE(done >>> 0, 0); // no two blocks alike
    fs.writeSync(fd, block, 0, n);
    done += n;
  }
  fs.closeSync(fd);
}
