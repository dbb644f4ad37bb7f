// Starting the two servers under test with equivalent settings, and reading their CPU time and memory from /proc.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export type ServerKind = 'ours' | 'ngircd';

export interface RunningServer {
  kind: ServerKind;
  port: number;
  pid: number;
  proc: ChildProcess;
  stop(): Promise<void>;
}

const CLK_TCK = 100; // sysconf(_SC_CLK_TCK) on Linux

/** utime + stime of a process, in seconds. */
export function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields after "(comm) ": state is f[0], so utime (field 14) is f[11] and stime (15) is f[12]
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}

/** Resident set size of a process, in bytes. */
export function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

export function ngircdPath(): string | null {
  for (const p of ['/usr/sbin/ngircd', '/usr/local/sbin/ngircd', '/usr/bin/ngircd']) if (fs.existsSync(p)) return p;
  const r = spawnSync('sh', ['-c', 'command -v ngircd'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : null;
}

export function ngircdVersion(bin: string): string {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  const m = /ngIRCd\s+(\S+)/.exec(r.stdout ?? '');
  return m ? m[1]!.split('-')[0]! : 'unknown';
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); });
  });
}

export async function waitForPort(port: number, proc: ChildProcess, what: string, ms = 15000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`${what} exited (${proc.exitCode}) before listening`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port });
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`${what} did not listen on ${port} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function stopper(proc: ChildProcess): () => Promise<void> {
  return () => new Promise<void>((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) { resolve(); return; }
    const t = setTimeout(() => proc.kill('SIGKILL'), 3000);
    proc.once('exit', () => { clearTimeout(t); resolve(); });
    proc.kill('SIGTERM');
  });
}

/**
 * Our server, compiled: no per-address limit, a rate limit far above the load, warnings only, a temp files folder.
 * `extraNodeArgs` (for instance --cpu-prof) go to node before the script, `serverArgs` (--no-store, --history N) after
 * it. Each server keeps its store in a fresh data folder. It runs with --no-tls: the load generator speaks plain
 * NDJSON (and IRC to ngIRCd), so the figures compare the chat core; `tls` runs it as users get it (TLS 1.3), for the
 * TLS on / off rows. `pipeStdout`: the server's log on `proc.stdout` (the dashboard rows read its address there).
 */
export async function startOurs(root: string, tmp: string, extraNodeArgs: string[] = [], serverArgs: string[] = [], tls = false, pipeStdout = false, env: Record<string, string> = {}): Promise<RunningServer> {
  const port = await freePort();
  const files = fs.mkdtempSync(path.join(tmp, 'files-'));
  const udp = 40000 + Math.floor(Math.random() * 20000);
  // a caller that allocates its UDP pools itself (bench:cluster, several servers at once) passes --udp-ports
  const pool = serverArgs.includes('--udp-ports') ? [] : ['--udp-ports', `${udp}-${udp + 3}`];
  const proc = spawn(process.execPath, [...extraNodeArgs, path.join(root, 'dist/bin/messenger-server.js'),
    '--host', '127.0.0.1', '--port', String(port), '--files', files, ...pool,
    '--max-per-address', '0', '--rate', '100000', '--log-level', 'warn', ...(tls ? [] : ['--no-tls']), '--data', fs.mkdtempSync(path.join(tmp, 'data-')), ...serverArgs], { stdio: ['ignore', pipeStdout ? 'pipe' : 'ignore', 'inherit'], cwd: tmp, env: { ...process.env, ...env } });
  await waitForPort(port, proc, 'messenger-server');
  return { kind: 'ours', port, pid: proc.pid!, proc, stop: stopper(proc) };
}

/** ngIRCd in the foreground with a generated config: no connection or flood limits, no PAM, ident or DNS. */
export async function startNgircd(bin: string, tmp: string): Promise<RunningServer> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(tmp, 'ngircd-'));
  const conf = path.join(dir, 'ngircd.conf');
  fs.writeFileSync(conf, [
    '[Global]',
    '\tName = bench.local',
    '\tInfo = messenger bench anchor',
    '\tAdminInfo1 = bench', '\tAdminInfo2 = bench', '\tAdminEMail = bench@localhost',
    '\tListen = 127.0.0.1',
    `\tPorts = ${port}`,
    '\tMotdPhrase = bench',
    `\tPidFile = ${path.join(dir, 'ngircd.pid')}`,
    '[Limits]',
    '\tMaxConnections = 0',
    '\tMaxConnectionsIP = 0',
    '\tMaxJoins = 0',
    '\tMaxNickLength = 30',
    '\tMaxPenaltyTime = 0', // no flood penalties (the command-per-loop limit stays: it is how ngIRCd works)
    '\tPingTimeout = 600',
    '\tPongTimeout = 600',
    '[Options]',
    '\tDNS = no',
    '\tIdent = no',
    '\tPAM = no',
    '\tRequireAuthPing = no',
    '',
  ].join('\n'));
  // -n: stay in the foreground (so its pid is ours to measure); stderr carries its log, which we drop
  const proc = spawn(bin, ['-n', '-f', conf], { stdio: ['ignore', 'ignore', 'ignore'], cwd: dir });
  await waitForPort(port, proc, 'ngircd');
  return { kind: 'ngircd', port, pid: proc.pid!, proc, stop: stopper(proc) };
}

export function machine(): { cpu: string; cores: number; node: string; kernel: string } {
  const info = fs.readFileSync('/proc/cpuinfo', 'utf8');
  const m = /model name\s*:\s*(.+)/.exec(info);
  return { cpu: m ? m[1]!.trim() : os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, node: process.version, kernel: os.release() };
}
