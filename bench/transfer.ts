// The transfer benchmark (npm run bench, or node --import tsx bench/transfer.ts [--quick] [--only a,b] [--runs N]
// [--rates 20mbit,100mbit] [--rows tcp-alone,ours-alone,...: kernel rows by key] [--cc cubic,bbr]).
// Runs the built bins (npm run build first) as child processes and measures, in one run on this machine:
//   loopback   one big download: our goodput against a plain Node TCP stream (and udx-native), CPU s/MB per end
//   emulated   10 Mbit/s, 30 ms RTT, 25-packet queue, 0-10% random loss on the data direction: goodput / link rate
//              per controller (bbr, cubic, newreno) and for udx-native
//   fairness   4 and 16 simultaneous downloads through one 20 Mbit/s, 30 ms bottleneck: Jain's index per 1 s window
//   kernel     a real kernel bottleneck (bench/netns/bed.ts: tbf at 20 and 100 Mbit/s, 50 ms queue, in a router
//              namespace): one download alone against one TCP stream alone, ours against 1 and 4 TCP CUBIC streams,
//              4 and 16 of ours at once (needs root; skipped otherwise)
// Every figure is a median of several runs. Tables go to stdout and bench/transfer/results.md, raw data to
// bench/transfer/results.json.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, makeFile, startClient, startServer, type JsonChild } from './transfer/procs.js';
import {
  type Env, type OurRun, type PeerRun, linkDrops, ourDownload, ourFairness, startLink, steadyRate, tcpDownload, udxDownload,
} from './transfer/scenarios.js';
import { fairness, median } from './transfer/stats.js';
import { kernelMix, type MixResult } from './transfer/kernel.js';
import { bedAvailable, createBed } from './netns/bed.js';
import { DEFAULT_CC } from '../machines/transport/api.js';

const { values } = parseArgs({
  options: { quick: { type: 'boolean' }, only: { type: 'string' }, runs: { type: 'string' }, cc: { type: 'string' }, rates: { type: 'string' }, rows: { type: 'string' } },
  strict: true,
});
const quick = Boolean(values.quick);
const only = new Set((values.only ?? 'kernel,loopback,emulated,fairness').split(','));
const CCS = (values.cc ?? `${DEFAULT_CC},bbr`).split(',');
const LOSSES = [0, 1, 2, 5, 10];
const KERNEL_RATES = (values.rates ?? '20mbit,100mbit').split(',');
const MB = 1e6;
const cfg = {
  loopSize: (quick ? 64 : 256) << 20,
  loopRuns: values.runs ? Number(values.runs) : quick ? 3 : 5,
  emuSize: (quick ? 3 : 6) << 20,
  emuRuns: values.runs ? Number(values.runs) : quick ? 1 : 3,
  fairRuns: values.runs ? Number(values.runs) : quick ? 1 : 2,
  fairSize: (n: number) => (n <= 4 ? (quick ? 4 : 8) : (quick ? 1.5 : 3)) * (1 << 20),
  kernRuns: values.runs ? Number(values.runs) : quick ? 1 : 2,
  kernSeconds: quick ? 8 : 12,
};
const EMU_RATE = 10e6 / 8; // bytes/s on the wire
const EMU_DOWN = (loss: number) => `loss=${loss}%,delay=15ms,rate=10mbit,queue=25`;
const FAIR_RATE = 20e6 / 8;
const FAIR_DOWN = 'delay=15ms,rate=20mbit,queue=64';
const UP = 'delay=15ms';

// below the kernel's ephemeral range (32768-60999 here): a port some connection took would stop a section
const base = 20000 + 100 * Math.floor(Math.random() * 120);
const env: Env = {
  dir: fs.mkdtempSync(path.join(os.tmpdir(), 'messenger-bench-')),
  ports: { tcp: base, pool: [base + 10, base + 29], link: [base + 40, base + 59] },
  log: (s) => process.stderr.write(`[bench] ${s}\n`),
};
const filesDir = path.join(env.dir, 'files');
const dlDir = path.join(env.dir, 'downloads');
fs.mkdirSync(filesDir);
fs.mkdirSync(dlDir);

const results: Record<string, unknown> = {};
const md: string[] = [];
const fmt = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(0)}%` : 'n/a');

function machine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `${cpu.trim()}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.type()} ${os.release()}`;
}

async function withServer<T>(opts: { cc?: string; chunk?: number; advertise?: boolean }, fn: (s: JsonChild, c: JsonChild) => Promise<T>): Promise<T> {
  const server = await startServer({
    port: env.ports.tcp, files: filesDir, udp: env.ports.pool, cc: opts.cc, chunk: opts.chunk,
    advertise: opts.advertise ? env.ports.link : undefined,
  });
  let client: JsonChild | null = null;
  try {
    client = await startClient('bench', env.ports.tcp, dlDir);
    return await fn(server, client);
  } finally {
    await client?.kill();
    await server.kill();
  }
}

// ------------------------------------------------------------------------------------------------ loopback

async function loopback(): Promise<void> {
  const size = cfg.loopSize;
  const name = 'loop.bin';
  const file = path.join(filesDir, name);
  makeFile(file, size);
  env.log(`loopback: ${size / 2 ** 20} MiB x ${cfg.loopRuns} runs`);
  const ours: OurRun[] = [];
  const tcp: PeerRun[] = [];
  const tcpNoDisk: PeerRun[] = [];
  const udx: PeerRun[] = [];
  // The same warm-up for every peer: one untimed download each, which puts the file in the page cache. Then every
  // timed download runs in fresh processes at both ends, for every peer: the baselines start their peers per
  // download, and ours starts a server and a client per download, so neither a warm JIT nor the server's SHA-256
  // cache carries over from one download to the next (docs/BENCHMARKS.md, "Method").
  // The server hashes its shared files once per version, when it starts (runtime/catalogue.ts hashAll): a timed /get
  // goes to a server that has done so, as a server that has been up for a while has; the hash's time is reported.
  const hashMs: number[] = [];
  const ourFresh = () => withServer({}, async (server, client) => {
    const h = await server.waitFor((m) => m.msg === 'shared files hashed', 120_000);
    hashMs.push(Number(h.msg.ms));
    return ourDownload(server, client, name, size, dlDir);
  });
  await ourFresh();
  await tcpDownload(file, size, path.join(dlDir, 'tcp.bin'));
  await tcpDownload(file, size, null);
  await udxDownload(file, size, dlDir).catch((e: Error) => env.log(`udx warm-up: ${e.message}`));
  for (let r = 0; r < cfg.loopRuns; r++) {
    tcp.push(await tcpDownload(file, size, path.join(dlDir, 'tcp.bin')));
    ours.push(await ourFresh());
    tcpNoDisk.push(await tcpDownload(file, size, null));
    try { udx.push((await udxDownload(file, size, dlDir)).run); } catch (e) { env.log(`udx: ${(e as Error).message}`); }
    const o = ours[ours.length - 1]!;
    env.log(`  run ${r + 1}: ours ${fmt(o.goodput / MB, 0)} MB/s (srtt ${String(o.ended?.srttMs)} ms, minRtt ${String(o.ended?.minRttMs)} ms, retx ${String(o.ended?.retransmits)}), tcp ${fmt(tcp[r]!.goodput / MB, 0)} MB/s, tcp no disk ${fmt(tcpNoDisk[r]!.goodput / MB, 0)} MB/s, udx ${fmt((udx[r]?.goodput ?? NaN) / MB, 0)} MB/s`);
  }
  const mbs = size / MB;
  const row = (label: string, runs: PeerRun[]) => {
    const g = median(runs.map((x) => x.goodput));
    return `| ${label} | ${fmt(g / MB, 0)} | ${fmt(median(runs.map((x) => x.serverCpu / mbs)) * 1000, 1)} | ${fmt(median(runs.map((x) => x.clientCpu / mbs)) * 1000, 1)} |`;
  };
  const ratio = median(ours.map((o, i) => o.goodput / tcp[i]!.goodput));
  const ratioNoDisk = median(ours.map((o, i) => o.goodput / tcpNoDisk[i]!.goodput));
  const udxRatio = median(udx.map((u, i) => u.goodput / tcp[i]!.goodput));
  results.loopback = { size, ours, tcp, tcpNoDisk, udx, ratio, ratioNoDisk, udxRatio, hashMs };
  md.push(`### Clean loopback, one ${size / 2 ** 20} MiB download (median of ${cfg.loopRuns})`, '',
    '| peer | goodput MB/s | server CPU ms/MB | client CPU ms/MB |', '|---|---:|---:|---:|',
    row(`ours (UDP, 60 KB datagrams, ${DEFAULT_CC}; client writes + hashes)`, ours), row('Node TCP, client writes (no hash)', tcp),
    row('Node TCP, client neither writes nor hashes', tcpNoDisk), row('udx-native, client writes + hashes', udx), '',
    `Ours / TCP (same run, median of per-run ratios): **${fmt(ratio)}x**; against TCP without disk: ${fmt(ratioNoDisk)}x; udx-native / TCP: ${fmt(udxRatio)}x.`,
    `The server hashed the file when it started, in ${fmt(median(hashMs), 0)} ms (median), before the timed /get.`,
    `Our end state (median): srtt ${fmt(median(ours.map((o) => Number(o.ended?.srttMs))))} ms, minRtt ${fmt(median(ours.map((o) => Number(o.ended?.minRttMs))))} ms, retransmits ${fmt(median(ours.map((o) => Number(o.ended?.retransmits))), 0)}.`, '');
  fs.rmSync(file, { force: true });
}

// ------------------------------------------------------------------------------------------------ emulated

async function emulated(): Promise<void> {
  const size = cfg.emuSize;
  const name = 'emu.bin';
  const file = path.join(filesDir, name);
  makeFile(file, size);
  env.log(`emulated: ${size / 2 ** 20} MiB x ${cfg.emuRuns} runs, link ${EMU_DOWN(0)}`);
  const table: Record<string, Record<number, { steady: number; total: number; retx: number }>> = {};
  for (const cc of CCS) {
    table[cc] = {};
    await withServer({ cc, chunk: 1200, advertise: true }, async (server, client) => {
      for (const loss of LOSSES) {
        const runs: OurRun[] = [];
        for (let r = 0; r < cfg.emuRuns; r++) {
          const link = await startLink(env, env.ports.pool, EMU_DOWN(loss), UP, 1 + r);
          try { runs.push(await ourDownload(server, client, name, size, dlDir, 0.25, 180_000)); }
          finally {
            const drops = linkDrops(link.stats());
            await link.close();
            const o = runs[runs.length - 1];
            if (o) env.log(`  ${cc} ${loss}% run ${r + 1}: steady ${pct(o.steady / EMU_RATE)} total ${pct(o.goodput / EMU_RATE)} retx ${String(o.ended?.retransmits)} srtt ${String(o.ended?.srttMs)} cwnd ${String(o.ended?.cwnd)} drops ${JSON.stringify(drops)}`);
          }
        }
        table[cc]![loss] = {
          steady: median(runs.map((o) => o.steady)) / EMU_RATE, total: median(runs.map((o) => o.goodput)) / EMU_RATE,
          retx: median(runs.map((o) => Number(o.ended?.retransmits) / Number(o.ended?.packets))),
        };
      }
    });
  }
  // udx-native through the same emulated link
  table['udx-native'] = {};
  for (const loss of LOSSES) {
    const runs: Array<{ steady: number; total: number }> = [];
    for (let r = 0; r < cfg.emuRuns; r++) {
      const held: { link: { close(): Promise<void> } | null } = { link: null };
      try {
        const { run, flows } = await udxDownload(file, size, dlDir, 1, async (port) => { held.link = await startLink(env, [port, port], EMU_DOWN(loss), UP, 1 + r); return env.ports.link[0]; });
        runs.push({ steady: steadyRate(flows[0]!, size * 0.25), total: run.goodput });
        env.log(`  udx ${loss}% run ${r + 1}: steady ${pct(runs[runs.length - 1]!.steady / EMU_RATE)} total ${pct(run.goodput / EMU_RATE)}`);
      } catch (e) { env.log(`  udx ${loss}%: ${(e as Error).message}`); }
      finally { await held.link?.close(); }
    }
    table['udx-native']![loss] = { steady: median(runs.map((x) => x.steady)) / EMU_RATE, total: median(runs.map((x) => x.total)) / EMU_RATE, retx: NaN };
  }
  results.emulated = { size, table };
  const head = `| controller | ${LOSSES.map((l) => `${l}% loss`).join(' | ')} |`;
  const sep = `|---|${LOSSES.map(() => '---:').join('|')}|`;
  md.push(`### 10 Mbit/s, 30 ms RTT, 25-packet queue, random loss on the data direction (${size / 2 ** 20} MiB, chunk 1200, median of ${cfg.emuRuns})`, '',
    'Steady-state goodput (file bytes from 25% of the file to the end) as a fraction of the link rate; in brackets the whole download (/get to verified), slow start included.', '',
    head, sep);
  for (const [cc, row] of Object.entries(table)) md.push(`| ${cc} | ${LOSSES.map((l) => `${pct(row[l]!.steady)} (${pct(row[l]!.total)})`).join(' | ')} |`);
  md.push('', 'Retransmitted packets as a share of packets sent:', '', head, sep);
  for (const cc of CCS) md.push(`| ${cc} | ${LOSSES.map((l) => pct(table[cc]![l]!.retx)).join(' | ')} |`);
  md.push('');
  fs.rmSync(file, { force: true });
}

// ------------------------------------------------------------------------------------------------ fairness

async function fairnessSection(): Promise<void> {
  const rows: string[] = [];
  const failed: Record<string, number> = {};
  const data: Record<string, unknown> = {};
  for (const n of [4, 16]) {
    const size = Math.round(cfg.fairSize(n));
    const name = `fair-${n}.bin`;
    const file = path.join(filesDir, name);
    makeFile(file, size);
    for (const cc of CCS) {
      const runs: Array<Awaited<ReturnType<typeof ourFairness>>> = [];
      await withServer({ cc, chunk: 1200, advertise: true }, async (server, client) => {
        await ourDownload(server, client, name, size, dlDir).catch(() => null); // warm the SHA-256 cache, outside the link
        for (let r = 0; r < cfg.fairRuns; r++) {
          const link = await startLink(env, env.ports.pool, FAIR_DOWN, UP, 1 + r);
          // a download that fails is reported and counted, not the end of the section
          try { runs.push(await ourFairness(env, server, name, size, n)); }
          catch (e) { failed[`${cc}-${n}`] = (failed[`${cc}-${n}`] ?? 0) + 1; env.log(`  fairness ${cc} x${n} run ${r + 1}: ${(e as Error).message}`); continue; }
          finally { await link.close(); }
          const f = runs[runs.length - 1]!;
          env.log(`  fairness ${cc} x${n} run ${r + 1}: jain median ${fmt(f.jainMedian, 3)} min ${fmt(f.jainMin, 3)} overall ${fmt(f.jainOverall, 3)} windows ${f.windows} aggregate ${pct(f.aggregate / FAIR_RATE)}`);
        }
      });
      data[`${cc}-${n}`] = runs;
      rows.push(fairRow(`${cc}`, n, runs) + (failed[`${cc}-${n}`] ? ` (${failed[`${cc}-${n}`]} run(s) failed: a download gave up)` : ''));
    }
    // udx-native: n streams at once (one process, one socket each) through the same kind of bottleneck
    const runs: Array<ReturnType<typeof fairness>> = [];
    await udxDownload(file, size, dlDir).catch(() => null); // the same untimed warm-up our side gets, outside the link
    for (let r = 0; r < cfg.fairRuns; r++) {
      const held: { link: { close(): Promise<void> } | null } = { link: null };
      try {
        const { flows } = await udxDownload(file, size, dlDir, n, async (port) => { held.link = await startLink(env, [port, port], FAIR_DOWN, UP, 1 + r); return env.ports.link[0]; });
        runs.push(fairness(flows));
        const f = runs[runs.length - 1]!;
        env.log(`  fairness udx x${n} run ${r + 1}: jain median ${fmt(f.jainMedian, 3)} min ${fmt(f.jainMin, 3)} overall ${fmt(f.jainOverall, 3)} windows ${f.windows}`);
      } catch (e) { env.log(`  udx fairness x${n}: ${(e as Error).message}`); }
      finally { await held.link?.close(); }
    }
    data[`udx-${n}`] = runs;
    rows.push(fairRow('udx-native', n, runs));
    fs.rmSync(file, { force: true });
  }
  results.fairness = data;
  md.push(`### Fairness: simultaneous downloads through one 20 Mbit/s, 30 ms RTT, 64-packet bottleneck (median of ${cfg.fairRuns})`, '',
    'Jain\'s index of the flows\' rates in each 1 s window while all of them ran (median and worst window), of their mean rates over that whole interval, and the bottleneck\'s use.', '',
    '| controller | downloads | file each | Jain median | Jain worst window | Jain overall | 1 s windows | link use |', '|---|---:|---:|---:|---:|---:|---:|---:|', ...rows, '');
}

function fairRow(label: string, n: number, runs: Array<ReturnType<typeof fairness>>): string {
  const m = (k: keyof ReturnType<typeof fairness>) => median(runs.map((r) => r[k]));
  return `| ${label} | ${n} | ${fmt(cfg.fairSize(n) / 2 ** 20, 1)} MiB | ${fmt(m('jainMedian'), 3)} | ${fmt(m('jainMin'), 3)} | ${fmt(m('jainOverall'), 3)} | ${fmt(m('windows'), 0)} | ${pct(m('aggregate') / FAIR_RATE)} |`;
}

// ------------------------------------------------------------------------------------------------ kernel bottleneck

async function kernelSection(): Promise<void> {
  if (!bedAvailable()) { md.push('### Kernel bottleneck: skipped (needs root, ip and tc)', ''); return; }
  const rows: string[] = [];
  const data: Record<string, MixResult[]> = {};
  const S = cfg.kernSeconds;
  const scenarios: Array<{ key: string; label: string; ours: number; udx?: number; tcp: number; cc?: string }> = [
    { key: 'tcp-alone', label: 'TCP CUBIC alone', ours: 0, tcp: 1 },
    { key: 'ours-alone', label: `ours (${DEFAULT_CC}) alone`, ours: 1, tcp: 0 },
    { key: 'vs1', label: 'ours + 1 TCP', ours: 1, tcp: 1 },
    { key: 'vs4', label: 'ours + 4 TCP', ours: 1, tcp: 4 },
    { key: 'x4', label: '4 of ours', ours: 4, tcp: 0 },
    { key: 'x16', label: '16 of ours', ours: 16, tcp: 0 },
    // what TCP itself does among its own flows on the same queue: the reference for the two rows above
    { key: 'tcp-x4', label: '4 TCP CUBIC', ours: 0, tcp: 4 },
    { key: 'tcp-x16', label: '16 TCP CUBIC', ours: 0, tcp: 16 },
    ...CCS.filter((c) => c !== DEFAULT_CC).flatMap((cc) => [
      { key: `${cc}-alone`, label: `ours (${cc}) alone`, ours: 1, tcp: 0, cc },
      { key: `${cc}-vs1`, label: `ours (${cc}) + 1 TCP`, ours: 1, tcp: 1, cc },
    ]),
    // udx-native (libudx, its own BBR-like controller; defaults: nothing to tune from its JS API), in the "ours" column
    { key: 'udx-alone', label: 'udx-native alone', ours: 0, udx: 1, tcp: 0 },
    { key: 'udx-vs1', label: 'udx-native + 1 TCP', ours: 0, udx: 1, tcp: 1 },
  ];
  const wanted = values.rows ? new Set(values.rows.split(',')) : null;
  if (wanted) scenarios.splice(0, scenarios.length, ...scenarios.filter((sc) => wanted.has(sc.key)));
  for (const rate of KERNEL_RATES) {
    const bed = createBed({ rate, queueMs: 50 });
    try {
      for (const sc of scenarios) {
        const runs: MixResult[] = [];
        for (let r = 0; r < cfg.kernRuns; r++) {
          try {
            const res = await kernelMix(bed, { ours: sc.ours, udx: sc.udx, tcp: sc.tcp, seconds: S, cc: sc.cc, dir: env.dir, log: env.log });
            runs.push(res);
            env.log(`  kernel ${rate} ${sc.label} run ${r + 1}: shares ${res.shares.map((x) => fmt(x)).join(' ')} jain ${fmt(res.jainOverall, 3)} (windows median ${fmt(res.jainMedian, 3)}) link ${pct(res.linkUse)} wire ${pct(res.wireUse)} drops ${res.drops} over ${fmt(res.overlap, 1)} s`);
          } catch (e) { env.log(`  kernel ${rate} ${sc.label}: ${(e as Error).message}`); }
        }
        data[`${rate}-${sc.key}`] = runs;
        const m = (f: (x: MixResult) => number) => median(runs.map(f));
        const mine = sc.ours + (sc.udx ?? 0);
        const ourShares = runs.flatMap((x) => x.shares.slice(0, mine));
        const tcpShares = runs.flatMap((x) => x.shares.slice(mine));
        const range = (xs: number[]) => (xs.length ? `${fmt(Math.min(...xs))}-${fmt(Math.max(...xs))}` : '');
        rows.push(`| ${rate} | ${sc.label} | ${range(ourShares)} | ${range(tcpShares)} | ${mine + sc.tcp > 1 ? fmt(m((x) => x.jainOverall), 3) : ''} | ${mine + sc.tcp > 1 ? fmt(m((x) => x.jainMedian), 3) : ''} | ${pct(m((x) => x.linkUse))} | ${pct(m((x) => x.wireUse))} | ${fmt(m((x) => x.drops), 0)} | ${runs.length} |`);
      }
    } finally { bed.destroy(); }
  }
  results.kernel = data;
  md.push(`### Kernel bottleneck: tbf in a router namespace, 50 ms queue, TCP CUBIC (median of ${cfg.kernRuns}, about ${S} s each)`, '',
    'Each flow\'s mean rate over the interval in which all ran, as a multiple of its fair share of the link (link rate / flows; goodput, so headers keep a lone flow under 1: 0.96 at most for TCP\'s 1448 of 1514 bytes, 0.93 for our 1200-byte chunks under AES-GCM); Jain\'s index of those mean rates, and the median of it over 1 s windows; the bottleneck\'s use (goodput / link rate); the wire use (bytes the tbf sent, headers included, from the first request to the end, over the link rate: the tbf\'s own count of how full the link was, slow start included) and drops.', '',
    '| link | flows | ours: share | TCP: share | Jain (means) | Jain (1 s median) | link use | wire use | drops | runs |', '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|', ...rows, '');
}

// ------------------------------------------------------------------------------------------------ main

// a bench stopped with Ctrl-C removes its folder too (the kernel beds delete themselves: bench/netns/bed.ts)
process.once('SIGINT', () => { fs.rmSync(env.dir, { recursive: true, force: true }); process.exit(130); });

async function main(): Promise<void> {
  if (!fs.existsSync(path.join(ROOT, 'dist/bin/messenger-server.js'))) throw new Error('build first: npm run build');
  const started = Date.now();
  md.push(`Machine: ${machine()}. Run ${new Date().toISOString()}${quick ? ' (--quick)' : ''}; load average at the start ${os.loadavg().map((x) => x.toFixed(2)).join(', ')}.`, '');
  try {
    const sections: Array<[string, () => Promise<void>]> = [['kernel', kernelSection], ['fairness', fairnessSection], ['loopback', loopback], ['emulated', emulated]];
    for (const [name, fn] of sections) {
      if (!only.has(name)) continue;
      try { await fn(); } catch (e) {
        env.log(`${name} failed: ${(e as Error).stack ?? String(e)}`);
        md.push(`### ${name}: FAILED (${(e as Error).message.slice(0, 200)})`, '');
      }
    }
  } finally {
    fs.rmSync(env.dir, { recursive: true, force: true });
  }
  md.push(`(${Math.round((Date.now() - started) / 1000)} s; load average at the end ${os.loadavg().map((x) => x.toFixed(2)).join(', ')})`);
  const text = md.join('\n');
  process.stdout.write(text + '\n');
  const out = path.join(ROOT, 'bench/transfer');
  fs.writeFileSync(path.join(out, quick ? 'results-quick.md' : 'results.md'), text + '\n');
  fs.writeFileSync(path.join(out, quick ? 'results-quick.json' : 'results.json'), JSON.stringify({ machine: machine(), quick, results }, null, 1) + '\n');
}

main().then(() => process.exit(0), (e: Error) => { process.stderr.write(`bench/transfer: ${e.stack ?? e.message}\n`); process.exit(1); });
