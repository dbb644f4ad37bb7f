// The transfer benchmark's scenarios: clean loopback against plain TCP (and udx-native), goodput through the link
// emulator per controller and loss rate, and fairness of simultaneous downloads through one emulated bottleneck.
import fs from 'node:fs';
import path from 'node:path';
import { LinkEmulator, parseImpairments, type LinkStats } from '../../runtime/link/index.js';
import { JsonChild, startClient, startPeer } from './procs.js';
import { fairness, type FairnessResult } from './stats.js';

export interface Ports { tcp: number; pool: [number, number]; link: [number, number] }

export interface Env {
  dir: string;
  ports: Ports;
  log: (s: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function rmDownloads(dir: string): void {
  for (const f of fs.readdirSync(dir)) fs.rmSync(path.join(dir, f), { recursive: true, force: true });
}

// ------------------------------------------------------------------------------------------------ our download

export interface OurRun {
  seconds: number;
  /** File bytes per second, /get to `finished` (the client's SHA-256 check included). */
  goodput: number;
  /** Between the progress sample at or past `steadyFrom` of the file and the last one (past slow start). */
  steady: number;
  serverCpu: number;
  clientCpu: number;
  /** Progress samples (ms since /get, bytes received). */
  samples: Array<[number, number]>;
  /** The server's `transfer ended` log line (controller state at the end). */
  ended?: Record<string, unknown>;
}

export async function ourDownload(server: JsonChild, client: JsonChild, file: string, size: number, downloads: string, steadyFrom = 0.25, timeoutMs = 300_000): Promise<OurRun> {
  const fromC = client.lines.length;
  const fromS = server.lines.length;
  const s0 = server.cpu();
  const c0 = client.cpu();
  const t0 = performance.now();
  client.write(`/get ${file}`);
  const fin = await client.waitFor((m) => m.type === 'finished' || m.type === 'error' || m.type === 'stopped', timeoutMs, fromC);
  const t1 = fin.at;
  const serverCpu = server.cpu() - s0;
  const clientCpu = client.cpu() - c0;
  if (fin.msg.type !== 'finished') throw new Error(`download did not finish: ${JSON.stringify(fin.msg)}`);
  if (fin.msg.size !== size) throw new Error(`finished with ${String(fin.msg.size)} of ${size} bytes`);
  const samples: Array<[number, number]> = [[0, 0]];
  for (const l of client.lines.slice(fromC)) if (l.msg.type === 'progress') samples.push([l.at - t0, Number(l.msg.received)]);
  samples.push([t1 - t0, size]);
  let ended: Record<string, unknown> | undefined;
  try { ended = (await server.waitFor((m) => m.msg === 'transfer ended', 2000, fromS)).msg; } catch { /* log line late */ }
  rmDownloads(downloads);
  return { seconds: (t1 - t0) / 1000, goodput: size / ((t1 - t0) / 1000), steady: steadyRate(samples, size * steadyFrom), serverCpu, clientCpu, samples, ended };
}

/** Rate between the first progress sample at or past `from` bytes and the last progress sample before the end. */
export function steadyRate(samples: ReadonlyArray<readonly [number, number]>, from: number): number {
  const prog = samples.slice(1, -1);
  const i = prog.findIndex(([, b]) => b >= from);
  if (i < 0 || prog.length - 1 - i < 2) return NaN;
  const [ta, ba] = prog[i]!;
  const [tb, bb] = prog[prog.length - 1]!;
  return (bb - ba) / ((tb - ta) / 1000);
}

// ------------------------------------------------------------------------------------------------ loopback

export interface PeerRun { seconds: number; goodput: number; serverCpu: number; clientCpu: number }

export async function tcpDownload(file: string, size: number, out: string | null): Promise<PeerRun> {
  const srv = startPeer('tcp-peer.mjs', ['server', file]);
  try {
    const port = Number((await srv.waitFor((m) => m.type === 'listening', 10_000)).msg.port);
    const cli = startPeer('tcp-peer.mjs', out ? ['client', String(port), out] : ['client', String(port), '-', 'nodisk']);
    const done = (await cli.waitFor((m) => m.type === 'done', 300_000)).msg;
    const sent = (await srv.waitFor((m) => m.type === 'sent', 10_000)).msg;
    await cli.exit;
    if (done.bytes !== size) throw new Error(`TCP client got ${String(done.bytes)} of ${size}`);
    if (out) fs.rmSync(out, { force: true });
    const seconds = Number(done.seconds);
    return { seconds, goodput: size / seconds, serverCpu: Number(sent.cpu), clientCpu: Number(done.cpu) };
  } finally { await srv.kill(); }
}

/** udx-native downloads: `n` streams at once from one udx server, via `viaPort` (an emulator) or directly. */
export async function udxDownload(file: string, size: number, outDir: string | null, n = 1, via?: (serverPort: number) => Promise<number>): Promise<{ run: PeerRun; flows: Array<Array<[number, number]>> }> {
  const srv = startPeer('udx-peer.mjs', ['server', file]);
  try {
    const port = Number((await srv.waitFor((m) => m.type === 'listening', 10_000)).msg.port);
    const target = via ? await via(port) : port;
    const cli = startPeer('udx-peer.mjs', outDir ? ['client', String(target), outDir, String(n)] : ['client', String(target), '-', String(n), 'nodisk']);
    const sum = (await cli.waitFor((m) => m.type === 'summary' || m.type === 'error', 600_000)).msg;
    if (sum.type !== 'summary') throw new Error(`udx: ${JSON.stringify(sum)}`);
    const sent = (await srv.waitFor((m) => m.type === 'sent', 10_000).catch(() => ({ msg: { cpu: NaN } }))).msg;
    await cli.exit;
    const flows: Array<Array<[number, number]>> = Array.from({ length: n }, () => [[0, 0]]);
    for (const l of cli.lines) {
      if (l.msg.type === 'progress') flows[Number(l.msg.i)]!.push([Number(l.msg.t), Number(l.msg.received)]);
      else if (l.msg.type === 'done') {
        if (l.msg.bytes !== size) throw new Error(`udx stream ${String(l.msg.i)} got ${String(l.msg.bytes)} of ${size}`);
        flows[Number(l.msg.i)]!.push([Number(l.msg.t), size]);
      }
    }
    if (outDir) rmDownloads(outDir);
    const seconds = Number(sum.seconds);
    return { run: { seconds, goodput: (n * size) / seconds, serverCpu: Number(sent.cpu), clientCpu: Number(sum.cpu) }, flows };
  } finally { await srv.kill(); }
}

// ------------------------------------------------------------------------------------------------ emulated link

export async function startLink(env: Env, serverPorts: [number, number], down: string, up: string, seed: number): Promise<LinkEmulator> {
  const n = serverPorts[1] - serverPorts[0] + 1;
  const mappings = Array.from({ length: n }, (_, i) => ({ listenPort: env.ports.link[0] + i, targetHost: '127.0.0.1', targetPort: serverPorts[0] + i }));
  const link = new LinkEmulator({ host: '127.0.0.1', mappings, down: parseImpairments(down), up: parseImpairments(up), seed });
  await link.start();
  return link;
}

export function linkDrops(s: LinkStats): Record<string, number> {
  return { ...s.down.dropped } as unknown as Record<string, number>;
}

/** Runs `n` of our downloads at once (one client process each) and measures fairness over 1 s windows. */
export async function ourFairness(env: Env, server: JsonChild, file: string, size: number, n: number): Promise<FairnessResult & { finishedAll: number }> {
  const dirs = Array.from({ length: n }, (_, i) => path.join(env.dir, `fair-${i}`));
  for (const d of dirs) fs.mkdirSync(d, { recursive: true });
  const clients: JsonChild[] = [];
  try {
    for (let i = 0; i < n; i++) clients.push(await startClient(`fair${i}`, env.ports.tcp, dirs[i]!));
    await sleep(300);
    const t0 = performance.now();
    for (const c of clients) c.write(`/get ${file}`);
    const ends = await Promise.all(clients.map((c) => c.waitFor((m) => m.type === 'finished' || m.type === 'error' || m.type === 'stopped', 600_000)));
    for (const e of ends) if (e.msg.type !== 'finished') throw new Error(`fairness download failed: ${JSON.stringify(e.msg)}`);
    const flows = clients.map((c, i) => {
      const s: Array<[number, number]> = [[0, 0]];
      for (const l of c.lines) if (l.msg.type === 'progress' && l.at >= t0) s.push([l.at - t0, Number(l.msg.received)]);
      s.push([ends[i]!.at - t0, size]);
      return s;
    });
    return { ...fairness(flows), finishedAll: (Math.max(...ends.map((e) => e.at)) - t0) / 1000 };
  } finally {
    await Promise.all(clients.map((c) => c.kill()));
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  }
}
