// Scenarios on the kernel-queue bed (bench/netns/bed.ts): our downloads and plain Node TCP streams (Linux's CUBIC)
// through one real tbf bottleneck, alone or mixed. Every flow is its own client process in the client namespace; our
// server and the TCP server run in the server namespace. Progress samples (cumulative bytes at the bench's clock) give
// each flow's rate per 1 s window and its mean rate over the interval in which all flows ran.
import fs from 'node:fs';
import path from 'node:path';
import type { Bed } from '../netns/bed.js';
import { type JsonChild, makeFile, startClient, startPeer, startServer } from './procs.js';

/** A peer process to start later (at the moment the measurement begins). */
function startPeerLater(script: string, args: string[], wrap: (a: string[]) => string[]): () => JsonChild {
  return () => startPeer(script, args, wrap);
}
import { bytesAt, jain, median } from './stats.js';

const TCP_PORT = 7000;
const UDP_POOL: [number, number] = [7100, 7163];

export interface KernelFlow { kind: 'ours' | 'udx' | 'tcp'; samples: Array<[number, number]> }

export interface MixResult {
  flows: KernelFlow[];
  /** Seconds in which every flow ran (after `skipMs` of it). */
  overlap: number;
  /** Each flow's mean rate over the overlap, bytes/s. */
  rates: number[];
  /** Each flow's rate over the fair share (link rate / flows). */
  shares: number[];
  jainOverall: number;
  jainMedian: number;
  windows: number;
  /** Sum of the rates over the link's rate (goodput, so a bit under 1 at best: headers). */
  linkUse: number;
  /** Bytes the bottleneck sent (whole frames, headers included) from the first /get (or the start of a TCP-only
   *  run) to the end, over what the link can carry in that time: how full the link was, the tbf's own count. */
  wireUse: number;
  /** The bottleneck's drops during the run. */
  drops: number;
  ended: Array<Record<string, unknown> | undefined>;
}

export interface MixOptions {
  ours: number;
  /** udx-native downloads (libudx's own congestion control), each its own client process. */
  udx?: number;
  tcp: number;
  /** Seconds the run lasts (our flows get files of their fair share times this). */
  seconds: number;
  cc?: string;
  /** Left out at the start of the overlap (the flows converging), ms. */
  skipMs?: number;
  dir: string;
  log: (s: string) => void;
  /** Run our bins from source through tsx (tests) rather than from dist/. */
  src?: boolean;
}

const waitEnd = (c: JsonChild, ms: number) => c.waitFor((m) => m.type === 'finished' || m.type === 'error' || m.type === 'stopped', ms);

/** Runs `ours` downloads of ours, `udx` of udx-native and `tcp` TCP streams at once through the bed; TCP streams
 *  start first. Flows in the result: ours, then udx, then TCP. */
export async function kernelMix(bed: Bed, o: MixOptions): Promise<MixResult> {
  const udxN = o.udx ?? 0;
  const n = o.ours + udxN + o.tcp;
  const fair = bed.rateBytes / n;
  const files = path.join(o.dir, 'kfiles');
  fs.mkdirSync(files, { recursive: true });
  const size = Math.max(1 << 20, Math.round(fair * o.seconds));
  const name = `k-${size}.bin`;
  if (o.ours + udxN > 0 && !fs.existsSync(path.join(files, name))) makeFile(path.join(files, name), size);
  const procs: JsonChild[] = [];
  const dirs: string[] = [];
  const drops0 = bed.qdiscStats().dropped;
  try {
    let server: JsonChild | null = null;
    if (o.ours > 0) {
      server = await startServer({ port: TCP_PORT, files, udp: UDP_POOL, cc: o.cc, host: bed.serverAddr, wrap: (a) => bed.exec('server', a), src: o.src });
      procs.push(server);
      // the server hashes its files when it starts: the downloads go to a server that has (as one up for a while has)
      await server.waitFor((m) => m.msg === 'shared files hashed', 120_000);
    }
    const clients: JsonChild[] = [];
    for (let i = 0; i < o.ours; i++) {
      const d = path.join(o.dir, `kdl-${i}`);
      fs.mkdirSync(d, { recursive: true });
      dirs.push(d);
      const c = await startClient(`k${i}`, TCP_PORT, d, bed.serverAddr, (a) => bed.exec('client', a), o.src);
      procs.push(c);
      clients.push(c);
    }
    const udxClients: Array<() => JsonChild> = [];
    if (udxN > 0) {
      const udxServer = startPeer('udx-peer.mjs', ['server', path.join(files, name), '0', bed.serverAddr], (a) => bed.exec('server', a));
      procs.push(udxServer);
      const port = Number((await udxServer.waitFor((m) => m.type === 'listening', 10_000)).msg.port);
      for (let i = 0; i < udxN; i++) {
        // started below, with our /get: its hello is its request
        udxClients.push(startPeerLater('udx-peer.mjs', ['client', String(port), '-', '1', 'nodisk', bed.serverAddr], (a) => bed.exec('client', a)));
      }
    }
    const tcpClients: JsonChild[] = [];
    let tcpServer: JsonChild | null = null;
    if (o.tcp > 0) {
      // enough for the whole run and more: the streams are stopped when our downloads are done
      tcpServer = startPeer('tcp-peer.mjs', ['server', `gen:${Math.round(bed.rateBytes * o.seconds * 4)}`, bed.serverAddr], (a) => bed.exec('server', a));
      procs.push(tcpServer);
      const port = Number((await tcpServer.waitFor((m) => m.type === 'listening', 10_000)).msg.port);
      for (let i = 0; i < o.tcp; i++) {
        const c = startPeer('tcp-peer.mjs', ['client', String(port), '-', 'nodisk', bed.serverAddr], (a) => bed.exec('client', a));
        procs.push(c);
        tcpClients.push(c);
      }
      await Promise.all(tcpClients.map((c) => c.waitFor((m) => m.type === 'progress' && Number(m.received) > 0, 10_000)));
    }
    const t0 = performance.now();
    const sent0 = bed.qdiscStats().sentBytes;
    for (const c of clients) c.write(`/get ${name}`);
    const udxProcs = udxClients.map((start) => start());
    procs.push(...udxProcs);
    let tEnd: number;
    if (o.ours + udxN > 0) {
      const ends = await Promise.all(clients.map((c) => waitEnd(c, 60_000 + o.seconds * 4000)));
      for (const e of ends) if (e.msg.type !== 'finished') throw new Error(`download failed: ${JSON.stringify(e.msg)}`);
      const udxEnds = await Promise.all(udxProcs.map((c) => c.waitFor((m) => m.type === 'done' || m.type === 'error', 60_000 + o.seconds * 4000)));
      for (const e of udxEnds) if (e.msg.type !== 'done' || e.msg.bytes !== size) throw new Error(`udx download failed: ${JSON.stringify(e.msg)}`);
      tEnd = Math.min(...ends.map((e) => e.at), ...udxEnds.map((e) => e.at));
    } else {
      await new Promise((r) => setTimeout(r, o.seconds * 1000));
      tEnd = performance.now();
    }
    const wireUse = (bed.qdiscStats().sentBytes - sent0) / (bed.rateBytes * (performance.now() - t0) / 1000);
    const flows: KernelFlow[] = [];
    for (const c of clients) {
      const s: Array<[number, number]> = [[0, 0]];
      for (const l of c.lines) {
        if (l.at < t0) continue;
        if (l.msg.type === 'progress') s.push([l.at - t0, Number(l.msg.received)]);
        if (l.msg.type === 'finished') s.push([l.at - t0, Number(l.msg.size)]);
      }
      flows.push({ kind: 'ours', samples: s });
    }
    for (const c of udxProcs) {
      const s: Array<[number, number]> = [[0, 0]];
      for (const l of c.lines) {
        if (l.msg.type === 'progress') s.push([l.at - t0, Number(l.msg.received)]);
        if (l.msg.type === 'done') s.push([l.at - t0, Number(l.msg.bytes)]);
      }
      flows.push({ kind: 'udx', samples: s });
    }
    for (const c of tcpClients) {
      const s: Array<[number, number]> = [];
      for (const l of c.lines) if (l.msg.type === 'progress') s.push([l.at - t0, Number(l.msg.received)]);
      flows.push({ kind: 'tcp', samples: s });
    }
    const ended: Array<Record<string, unknown> | undefined> = [];
    if (server) {
      await server.waitFor((m) => m.msg === 'transfer ended', 3000).catch(() => null);
      for (const l of server.lines) if (l.msg.msg === 'transfer ended') ended.push(l.msg);
    }
    const res = measure(flows, tEnd - t0, bed.rateBytes, o.skipMs ?? 0);
    return { ...res, flows, wireUse, drops: bed.qdiscStats().dropped - drops0, ended };
  } finally {
    await Promise.all(procs.reverse().map((p) => p.kill()));
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  }
}

/** Rates over the interval in which every flow ran: from the last flow's first byte (+ skip) to `endMs`. */
export function measure(flows: KernelFlow[], endMs: number, linkBytes: number, skipMs: number): Omit<MixResult, 'flows' | 'drops' | 'wireUse' | 'ended'> {
  const starts = flows.map((f) => f.samples.find(([, b]) => b > 0)?.[0] ?? Infinity);
  const start = Math.max(...starts) + skipMs;
  const end = Math.min(endMs, ...flows.map((f) => f.samples[f.samples.length - 1]?.[0] ?? 0));
  const secs = (end - start) / 1000;
  const rates = flows.map((f) => (bytesAt(f.samples, end) - bytesAt(f.samples, start)) / secs);
  const fair = rates.reduce((a, b) => a + b, 0) / flows.length;
  const linkFair = linkBytes / flows.length;
  const js: number[] = [];
  for (let t = start; t + 1000 <= end; t += 1000) js.push(jain(flows.map((f) => bytesAt(f.samples, t + 1000) - bytesAt(f.samples, t))));
  void fair;
  return {
    overlap: secs, rates, shares: rates.map((r) => r / linkFair), jainOverall: jain(rates), jainMedian: median(js), windows: js.length,
    linkUse: rates.reduce((a, b) => a + b, 0) / linkBytes,
  };
}
